"""Linked contracts (B1, B2, B3) over HTTP: linking, approval, removal, and the scope they give."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import ContractLink
from storage.enums import AuditOutcome, ContractLinkStatus

from . import factories
from .employers import (
    COLLECTIVITY_INSURED,
    NODE,
    Employers,
    audit_events,
    gid,
    mails_to,
    make_employers,
    payload_of,
    scope_of,
)
from .http import Api, error_codes

LINK = """
mutation($input: LinkContractInput!) {
  linkContract(input: $input) {
    contractLink { id direction status linkedCollectivityNumber linkedCollectivityName
                   requestedBy { name email role } requestedAt approvedBy { name } approvedAt
                   linkedCollectivity { id } }
    userErrors { field code message }
  }
}
"""
APPROVE = """
mutation($input: ContractLinkIdInput!) {
  approveContractLink(input: $input) {
    contractLink { id direction status approvedBy { name email } approvedAt }
    userErrors { field code message }
  }
}
"""
UNLINK = """
mutation($input: ContractLinkIdInput!) {
  unlinkContract(input: $input) { removedContractLinkId userErrors { field code message } }
}
"""
LINKS = """
query($id: ID!) {
  collectivity(id: $id) {
    linkedContracts { id direction status linkedCollectivityNumber linkedCollectivityName
                      requestedBy { email } requestedAt approvedBy { email } approvedAt }
  }
}
"""


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Employers:
    return await make_employers(session_factory)


def numbers(cast: Employers, target: str, customer: str | None = None) -> dict:
    collectivity = getattr(cast, target)
    customer_row = (
        cast.customer_x if collectivity.customer_id == cast.customer_x.id else (cast.customer_y)
    )
    customer_number = customer or customer_row.customer_number
    return {
        "input": {
            "customerNumber": customer_number,
            "collectivityNumber": collectivity.collectivity_number,
        }
    }


async def links_in_db(session_factory) -> list[ContractLink]:
    async with session_factory() as db:
        return list(await db.scalars(select(ContractLink).order_by(ContractLink.id)))


async def test_b2_a_collectivity_of_the_same_customer_is_linked_at_once(
    api: Api, cast: Employers, clock
) -> None:
    colleague = await api.login(cast.colleague_x1.email)
    assert gid("Collectivity", cast.x2.id) not in await scope_of(api, colleague)
    main = await api.login(cast.main_x1.email)

    body = await api.gql(LINK, numbers(cast, "x2"), token=main)

    link = payload_of(body, "linkContract")["contractLink"]
    assert link | {"id": None} == {
        "id": None,
        "direction": "OUTGOING",
        "status": "ACTIVE",
        "linkedCollectivityNumber": cast.x2.collectivity_number,
        "linkedCollectivityName": cast.x2.name,
        "requestedBy": {"name": "Xandra Hoofd", "email": cast.main_x1.email, "role": "MAIN"},
        "requestedAt": clock.now().isoformat(),
        "approvedBy": None,
        "approvedAt": clock.now().isoformat(),
        "linkedCollectivity": {"id": gid("Collectivity", cast.x2.id)},
    }
    # B1: every user of x1, already logged in, acts on x2 from the next request on.
    assert gid("Collectivity", cast.x2.id) in await scope_of(api, colleague)
    insured = await api.gql(
        NODE, {"id": gid("InsuredPerson", cast.family_x2.members[0].id)}, token=colleague
    )
    assert "errors" not in insured


async def test_b2_numbers_that_do_not_match_answer_like_numbers_that_do_not_exist(
    api: Api, cast: Employers, session_factory
) -> None:
    main = await api.login(cast.main_x1.email)

    # y1's collectivity number with customer X's number: the pair does not match.
    mismatch = await api.gql(
        LINK, numbers(cast, "y1", customer=cast.customer_x.customer_number), token=main
    )
    missing = await api.gql(
        LINK,
        {"input": {"customerNumber": "C999999", "collectivityNumber": "K999999"}},
        token=main,
    )

    assert mismatch == missing
    assert payload_of(mismatch, "linkContract") == {
        "contractLink": None,
        "userErrors": [
            {
                "field": None,
                "code": "LINK_TARGET_NOT_FOUND",
                "message": "Er is geen collectiviteit met dit klantnummer en collectiviteitsnummer.",
            }
        ],
    }
    assert await links_in_db(session_factory) == []
    async with session_factory() as db:
        own = await audit_events(db, collectivity_id=cast.x1.id, action="link_contract")
        probed = await audit_events(db, collectivity_id=cast.y1.id, action="link_contract")
    assert [(e.outcome, e.details["reason"]) for e in own] == [
        (AuditOutcome.FAILURE, "target_not_found"),
        (AuditOutcome.FAILURE, "target_not_found"),
    ]
    assert own[0].details.keys() == own[1].details.keys()
    assert own[0].details["collectivity_number"] == cast.y1.collectivity_number
    # The collectivity whose number was tried sees the attempt in its own trail.
    assert [(e.outcome, e.actor_user_id) for e in probed] == [
        (AuditOutcome.DENIED, cast.main_x1.id)
    ]
    assert gid("Collectivity", cast.y1.id) not in await scope_of(api, main)


async def test_b2_linking_to_itself_or_twice_is_refused(
    api: Api, cast: Employers, session_factory
) -> None:
    main = await api.login(cast.main_x1.email)
    to_self = await api.gql(LINK, numbers(cast, "x1"), token=main)
    first = await api.gql(LINK, numbers(cast, "y1"), token=main)
    again = await api.gql(LINK, numbers(cast, "y1"), token=main)

    assert payload_of(to_self, "linkContract")["userErrors"][0]["code"] == "CANNOT_LINK_TO_SELF"
    assert payload_of(first, "linkContract")["userErrors"] == []
    assert payload_of(again, "linkContract")["userErrors"][0]["code"] == "ALREADY_LINKED"
    assert len(await links_in_db(session_factory)) == 1


@pytest.mark.parametrize("who", ["colleague_x1", "staff"])
async def test_b2_only_the_main_user_links(
    api: Api, cast: Employers, session_factory, who: str
) -> None:
    token = await api.login(getattr(cast, who).email)
    body = await api.gql(LINK, numbers(cast, "x2"), token=token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert await links_in_db(session_factory) == []


async def test_b2_a_pending_link_gives_no_access_until_the_target_approves(
    api: Api, cast: Employers, session_factory, clock
) -> None:
    main = await api.login(cast.main_x1.email)
    colleague = await api.login(cast.colleague_x1.email)
    y1 = gid("Collectivity", cast.y1.id)
    y1_insured = gid("InsuredPerson", cast.family_y1.members[0].id)

    link = payload_of(await api.gql(LINK, numbers(cast, "y1"), token=main), "linkContract")
    link_id = link["contractLink"]["id"]

    assert link["contractLink"]["status"] == "PENDING"
    assert link["contractLink"]["linkedCollectivity"] is None
    for token in (main, colleague):
        assert y1 not in await scope_of(api, token)
        assert error_codes(await api.gql(COLLECTIVITY_INSURED, {"id": y1}, token=token)) == [
            "NOT_FOUND"
        ]
        assert error_codes(await api.gql(NODE, {"id": y1_insured}, token=token)) == ["NOT_FOUND"]
    async with session_factory() as db:
        (mail,) = await mails_to(db, cast.main_y1.email)
    assert cast.main_x1.email in mail.body_text
    assert cast.x1.collectivity_number in mail.body_text

    # The requester cannot approve its own request; the target's colleague may not approve.
    own = await api.gql(APPROVE, {"input": {"id": link_id}}, token=main)
    assert payload_of(own, "approveContractLink")["userErrors"][0]["code"] == "NOT_FOUND"
    target_colleague = await api.login(cast.colleague_y1.email)
    refused = await api.gql(APPROVE, {"input": {"id": link_id}}, token=target_colleague)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert y1 not in await scope_of(api, colleague)

    target_main = await api.login(cast.main_y1.email)
    approved = await api.gql(APPROVE, {"input": {"id": link_id}}, token=target_main)

    assert payload_of(approved, "approveContractLink") == {
        "contractLink": {
            "id": link_id,
            "direction": "INCOMING",
            "status": "ACTIVE",
            "approvedBy": {"name": "Yvonne Hoofd", "email": cast.main_y1.email},
            "approvedAt": clock.now().isoformat(),
        },
        "userErrors": [],
    }
    # Every user of x1, without logging in again; not the other way round.
    for token in (main, colleague):
        assert y1 in await scope_of(api, token)
        assert "errors" not in await api.gql(NODE, {"id": y1_insured}, token=token)
    assert gid("Collectivity", cast.x1.id) not in await scope_of(api, target_main)
    again = await api.gql(APPROVE, {"input": {"id": link_id}}, token=target_main)
    assert payload_of(again, "approveContractLink")["userErrors"][0]["code"] == "LINK_NOT_PENDING"


async def test_b2_links_are_listed_on_both_sides_with_who_and_when(
    api: Api, cast: Employers, clock
) -> None:
    main = await api.login(cast.main_x1.email)
    link_id = payload_of(await api.gql(LINK, numbers(cast, "y1"), token=main), "linkContract")[
        "contractLink"
    ]["id"]
    target_main = await api.login(cast.main_y1.email)
    await api.gql(APPROVE, {"input": {"id": link_id}}, token=target_main)
    requested_at = clock.now().isoformat()

    outgoing = await api.gql(
        LINKS,
        {"id": gid("Collectivity", cast.x1.id)},
        token=await api.login(cast.colleague_x1.email),
    )
    incoming = await api.gql(
        LINKS,
        {"id": gid("Collectivity", cast.y1.id)},
        token=await api.login(cast.colleague_y1.email),
    )

    assert outgoing["data"]["collectivity"]["linkedContracts"] == [
        {
            "id": link_id,
            "direction": "OUTGOING",
            "status": "ACTIVE",
            "linkedCollectivityNumber": cast.y1.collectivity_number,
            "linkedCollectivityName": cast.y1.name,
            "requestedBy": {"email": cast.main_x1.email},
            "requestedAt": requested_at,
            "approvedBy": {"email": cast.main_y1.email},
            "approvedAt": requested_at,
        }
    ]
    (link,) = incoming["data"]["collectivity"]["linkedContracts"]
    assert (link["direction"], link["linkedCollectivityNumber"]) == (
        "INCOMING",
        cast.x1.collectivity_number,
    )
    # x1's users see y1 through the link, but not y1's links.
    y1_links = await api.gql(LINKS, {"id": gid("Collectivity", cast.y1.id)}, token=main)
    assert error_codes(y1_links) == ["FORBIDDEN"]


@pytest.mark.parametrize("remover", ["main_x1", "main_y1"])
async def test_b2_removing_a_link_ends_access_at_once(
    api: Api, cast: Employers, session_factory, remover: str
) -> None:
    """Either side's main user removes the link; x1's users lose y1 on their next request."""
    async with session_factory() as db:
        row = await factories.link(db, cast.x1, cast.y1)
        await db.commit()
    colleague = await api.login(cast.colleague_x1.email)
    y1 = gid("Collectivity", cast.y1.id)
    assert y1 in await scope_of(api, colleague)
    token = await api.login(getattr(cast, remover).email)

    body = await api.gql(UNLINK, {"input": {"id": gid("ContractLink", row.id)}}, token=token)

    assert payload_of(body, "unlinkContract") == {
        "removedContractLinkId": gid("ContractLink", row.id),
        "userErrors": [],
    }
    assert y1 not in await scope_of(api, colleague)
    assert error_codes(await api.gql(COLLECTIVITY_INSURED, {"id": y1}, token=colleague)) == [
        "NOT_FOUND"
    ]
    assert await links_in_db(session_factory) == []
    async with session_factory() as db:
        events = await audit_events(db, action="unlink_contract")
    assert {e.collectivity_id for e in events} == {cast.x1.id, cast.y1.id}


async def test_b2_a_colleague_cannot_remove_a_link(
    api: Api, cast: Employers, session_factory
) -> None:
    async with session_factory() as db:
        row = await factories.link(db, cast.x1, cast.x2)
        await db.commit()
    token = await api.login(cast.colleague_x1.email)
    body = await api.gql(UNLINK, {"input": {"id": gid("ContractLink", row.id)}}, token=token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert len(await links_in_db(session_factory)) == 1


@pytest.mark.parametrize("operation", ["approveContractLink", "unlinkContract"])
async def test_b3_another_employers_link_answers_like_a_missing_one(
    api: Api, cast: Employers, session_factory, operation: str
) -> None:
    """A pending link between two collectivities of customer Y and another one: x1's main user
    gets the same NOT_FOUND as for an id that does not exist, and nothing changes."""
    async with session_factory() as db:
        y2 = await factories.collectivity(db, cast.customer_y)
        other = await factories.collectivity(db)
        foreign = await factories.link(db, other, cast.y1, ContractLinkStatus.PENDING)
        await factories.link(db, y2, cast.y1, ContractLinkStatus.PENDING)
        await db.commit()
    document = APPROVE if operation == "approveContractLink" else UNLINK
    token = await api.login(cast.main_x1.email)

    found = await api.gql(document, {"input": {"id": gid("ContractLink", foreign.id)}}, token=token)
    missing = await api.gql(document, {"input": {"id": gid("ContractLink", 987654)}}, token=token)
    node = await api.gql(NODE, {"id": gid("ContractLink", foreign.id)}, token=token)

    assert found == missing
    assert payload_of(found, operation)["userErrors"][0]["code"] == "NOT_FOUND"
    assert error_codes(node) == ["NOT_FOUND"]
    assert next((r.id, r.status) for r in await links_in_db(session_factory)) == (
        foreign.id,
        ContractLinkStatus.PENDING,
    )
    assert len(await links_in_db(session_factory)) == 2


async def test_b3_the_linked_contracts_of_another_employer_are_not_found(
    api: Api, cast: Employers
) -> None:
    token = await api.login(cast.main_x1.email)
    body = await api.gql(LINKS, {"id": gid("Collectivity", cast.y1.id)}, token=token)
    assert error_codes(body) == ["NOT_FOUND"]


async def test_b4_staff_read_every_collectivitys_links(
    api: Api, cast: Employers, session_factory
) -> None:
    async with session_factory() as db:
        row = await factories.link(db, cast.x1, cast.y1, ContractLinkStatus.PENDING)
        await db.commit()
    token = await api.login(cast.staff.email)
    body = await api.gql(LINKS, {"id": gid("Collectivity", cast.y1.id)}, token=token)
    node = await api.gql(NODE, {"id": gid("ContractLink", row.id)}, token=token)
    assert [link["direction"] for link in body["data"]["collectivity"]["linkedContracts"]] == [
        "INCOMING"
    ]
    assert node["data"]["node"] == {"id": gid("ContractLink", row.id)}
