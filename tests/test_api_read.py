"""The read API: me, collectivity, contract, insured pages, node/nodes, and scope (B1, B3, C1, G1)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.relay import to_base64

from storage.enums import ContractLinkStatus, PremiumCollection, UserRole

from . import factories
from .http import Api, error_codes

COLLECTIVITY = """
query($id: ID!) {
  collectivity(id: $id) {
    id collectivityNumber name
    customer { customerNumber }
    contract {
      year premiumCollection paymentMethod discountPercentage
      employerContribution { kind amount percentage }
    }
  }
}
"""

PAGE = """
query($id: ID!, $first: Int, $after: String) {
  collectivity(id: $id) {
    insuredPersons(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
      edges { cursor node { id name lastName relation policyNumber employeeNumber
                            birthDate startDate endDate status } }
    }
  }
}
"""


def gid(type_name: str, key: int) -> str:
    return to_base64(type_name, key)


@pytest.fixture
async def two_employers(session_factory: async_sessionmaker[AsyncSession]) -> dict:
    """Employer A (two collectivities, linked) and employer B, each with a main user."""
    async with session_factory() as db:
        a1 = await factories.collectivity(db)
        a2 = await factories.collectivity(
            db, await db.get(type(a1).customer.property.mapper.class_, a1.customer_id)
        )
        b1 = await factories.collectivity(db, premium_collection=PremiumCollection.INDIVIDUAL)
        await factories.link(db, a1, a2)
        user_a = await factories.user(db, a1)
        user_b = await factories.user(db, b1)
        staff = await factories.user(db, None, role=UserRole.STAFF)
        family_a = await factories.family(
            db, a1, last_name="Aalbers", children=2, employee_number="E1"
        )
        family_b = await factories.family(db, b1, last_name="Bakker")
        await db.commit()
    return {
        "a1": a1, "a2": a2, "b1": b1, "user_a": user_a, "user_b": user_b, "staff": staff,
        "family_a": family_a, "family_b": family_b,
    }  # fmt: skip


async def test_me_lists_home_and_linked_collectivities(api: Api, two_employers) -> None:
    token = await api.login(two_employers["user_a"].email)
    body = await api.gql(
        "{ me { user { id } homeCollectivity { id } collectivities { id } } }", token=token
    )
    me = body["data"]["me"]
    assert me["user"]["id"] == gid("User", two_employers["user_a"].id)
    assert me["homeCollectivity"]["id"] == gid("Collectivity", two_employers["a1"].id)
    assert {c["id"] for c in me["collectivities"]} == {
        gid("Collectivity", two_employers["a1"].id),
        gid("Collectivity", two_employers["a2"].id),
    }


async def test_b1_pending_link_gives_no_access(
    api: Api, two_employers, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as db:
        await factories.link(
            db, two_employers["a1"], two_employers["b1"], ContractLinkStatus.PENDING
        )
        await db.commit()
    token = await api.login(two_employers["user_a"].email)
    body = await api.gql(
        COLLECTIVITY, {"id": gid("Collectivity", two_employers["b1"].id)}, token=token
    )
    assert error_codes(body) == ["NOT_FOUND"]


async def test_collectivity_with_customer_and_contract(api: Api, two_employers) -> None:
    token = await api.login(two_employers["user_a"].email)
    a1 = two_employers["a1"]
    body = await api.gql(COLLECTIVITY, {"id": gid("Collectivity", a1.id)}, token=token)
    collectivity = body["data"]["collectivity"]
    assert collectivity["collectivityNumber"] == a1.collectivity_number
    assert collectivity["contract"] == {
        "year": 2026,
        "premiumCollection": "SALARY_DEDUCTION",
        "paymentMethod": "ACCEPTGIRO",
        "discountPercentage": "10.00",
        "employerContribution": {"kind": "NONE", "amount": None, "percentage": None},
    }


async def test_b3_other_employers_collectivity_answers_like_a_missing_one(
    api: Api, two_employers
) -> None:
    token = await api.login(two_employers["user_a"].email)
    foreign = await api.gql(
        COLLECTIVITY, {"id": gid("Collectivity", two_employers["b1"].id)}, token=token
    )
    missing = await api.gql(COLLECTIVITY, {"id": gid("Collectivity", 987654)}, token=token)
    assert foreign == missing
    assert error_codes(foreign) == ["NOT_FOUND"]
    assert foreign["data"] == {"collectivity": None}


@pytest.mark.parametrize(
    "bad_id",
    ["", "bm9wZQ", "not base64 at all!", to_base64("Customer", 1), to_base64("Collectivity", "x"),
     to_base64("Collectivity", -1), to_base64("Collectivity", 10**30), to_base64("Nope", 1)],
)  # fmt: skip
async def test_b3_malformed_and_wrong_type_ids_answer_not_found(
    api: Api, two_employers, bad_id: str
) -> None:
    token = await api.login(two_employers["user_a"].email)
    body = await api.gql(COLLECTIVITY, {"id": bad_id}, token=token)
    assert error_codes(body) == ["NOT_FOUND"]


async def test_b3_node_answers_not_found_for_every_foreign_type(api: Api, two_employers) -> None:
    token = await api.login(two_employers["user_a"].email)
    foreign = [
        gid("Collectivity", two_employers["b1"].id),
        gid("Customer", two_employers["b1"].customer_id),
        gid("InsuredPerson", two_employers["family_b"].members[0].id),
        gid("User", two_employers["user_b"].id),
    ]
    for node_id in foreign:
        body = await api.gql(
            "query($id: ID!) { node(id: $id) { id } }", {"id": node_id}, token=token
        )
        assert error_codes(body) == ["NOT_FOUND"], node_id
    own = [
        gid("Collectivity", two_employers["a2"].id),
        gid("Customer", two_employers["a1"].customer_id),
        gid("InsuredPerson", two_employers["family_a"].members[1].id),
        gid("User", two_employers["user_a"].id),
    ]
    body = await api.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": own}, token=token
    )
    assert [n["id"] for n in body["data"]["nodes"]] == own


async def test_b4_staff_sees_every_collectivity(api: Api, two_employers) -> None:
    token = await api.login(two_employers["staff"].email)
    for key in ("a1", "b1"):
        body = await api.gql(
            COLLECTIVITY, {"id": gid("Collectivity", two_employers[key].id)}, token=token
        )
        assert (
            body["data"]["collectivity"]["collectivityNumber"]
            == two_employers[key].collectivity_number
        )


async def test_c1_insured_page_has_the_limited_fields(api: Api, two_employers) -> None:
    token = await api.login(two_employers["user_a"].email)
    body = await api.gql(PAGE, {"id": gid("Collectivity", two_employers["a1"].id)}, token=token)
    connection = body["data"]["collectivity"]["insuredPersons"]
    assert connection["totalCount"] == 3
    holder = connection["edges"][0]["node"]
    assert holder["name"] == "J. Aalbers"
    assert holder["relation"] == "POLICYHOLDER"
    assert holder["employeeNumber"] == "E1"
    assert holder["status"] == "ACTIVE"
    assert holder["startDate"] == "2025-01-01"
    assert [e["node"]["relation"] for e in connection["edges"]][1:] == ["CHILD", "CHILD"]
    assert all(e["node"]["employeeNumber"] is None for e in connection["edges"][1:])


async def test_c1_status_follows_dates_in_amsterdam(
    api: Api, session_factory: async_sessionmaker[AsyncSession], today: dt.date
) -> None:
    async with session_factory() as db:
        home = await factories.collectivity(db)
        user = await factories.user(db, home)
        await factories.family(db, home, last_name="Eind", end=today - dt.timedelta(days=1))
        await factories.family(db, home, last_name="Laatste", end=today)
        await factories.family(db, home, last_name="Toekomst", start=today + dt.timedelta(days=1))
        await db.commit()
    token = await api.login(user.email)
    body = await api.gql(PAGE, {"id": gid("Collectivity", home.id)}, token=token)
    statuses = {
        e["node"]["lastName"]: e["node"]["status"]
        for e in body["data"]["collectivity"]["insuredPersons"]["edges"]
    }
    assert statuses == {"Eind": "ENDED", "Laatste": "ACTIVE", "Toekomst": "FUTURE"}


async def test_g1_cursor_pagination_walks_every_row_once(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as db:
        home = await factories.collectivity(db)
        user = await factories.user(db, home)
        for i in range(23):
            # Same last names on purpose: the enrollment id breaks ties.
            await factories.family(db, home, last_name=f"Naam{i % 4}")
        await db.commit()
    token = await api.login(user.email)
    seen, names, after, pages = [], [], None, 0
    while True:
        body = await api.gql(
            PAGE, {"id": gid("Collectivity", home.id), "first": 5, "after": after}, token=token
        )
        connection = body["data"]["collectivity"]["insuredPersons"]
        seen += [e["node"]["id"] for e in connection["edges"]]
        names += [e["node"]["lastName"] for e in connection["edges"]]
        pages += 1
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert names == sorted(names)


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_g1_page_size_above_100_or_below_1_is_refused(
    api: Api, two_employers, first: int
) -> None:
    token = await api.login(two_employers["user_a"].email)
    body = await api.gql(
        PAGE, {"id": gid("Collectivity", two_employers["a1"].id), "first": first}, token=token
    )
    assert error_codes(body) == ["PAGE_SIZE_OUT_OF_RANGE"]


def _cursor(*values: object) -> str:
    raw = json.dumps(["insured:name", *values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "after",
    ["garbage", to_base64("x", "y"), _cursor(999_999), _cursor(10**20), _cursor(True),
     _cursor("1"), _cursor(1, 2), _cursor(-5)],
)  # fmt: skip
async def test_g1_bad_cursor_is_refused(api: Api, two_employers, after: str) -> None:
    token = await api.login(two_employers["user_a"].email)
    body = await api.gql(
        PAGE, {"id": gid("Collectivity", two_employers["a1"].id), "after": after}, token=token
    )
    assert error_codes(body) == ["INVALID_CURSOR"]


async def test_b3_foreign_insured_listing_is_not_found(api: Api, two_employers) -> None:
    token = await api.login(two_employers["user_b"].email)
    body = await api.gql(PAGE, {"id": gid("Collectivity", two_employers["a1"].id)}, token=token)
    assert error_codes(body) == ["NOT_FOUND"]


async def test_unauthenticated_reads_are_refused_with_a_code(api: Api, two_employers) -> None:
    body = await api.gql(COLLECTIVITY, {"id": gid("Collectivity", two_employers["a1"].id)})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] == {"collectivity": None}


async def test_g1_cursor_of_another_collectivity_is_refused(api: Api, two_employers) -> None:
    """A cursor names a row of one listing; it opens nothing in another (B3)."""
    token = await api.login(two_employers["user_a"].email)
    foreign_enrollment = two_employers["family_b"].enrollments[0].id
    body = await api.gql(
        PAGE,
        {"id": gid("Collectivity", two_employers["a1"].id), "after": _cursor(foreign_enrollment)},
        token=token,
    )
    assert error_codes(body) == ["INVALID_CURSOR"]


async def test_g1_cursors_hold_no_names(api: Api, two_employers) -> None:
    token = await api.login(two_employers["user_a"].email)
    body = await api.gql(PAGE, {"id": gid("Collectivity", two_employers["a1"].id)}, token=token)
    for edge in body["data"]["collectivity"]["insuredPersons"]["edges"]:
        padded = edge["cursor"] + "=" * (-len(edge["cursor"]) % 4)
        assert "aalbers" not in base64.urlsafe_b64decode(padded).decode().lower()


async def test_b3_nodes_answers_null_for_foreign_and_unknown_ids_alike(
    api: Api, two_employers
) -> None:
    token = await api.login(two_employers["user_a"].email)
    ids = [
        gid("Collectivity", two_employers["a1"].id),
        gid("Collectivity", two_employers["b1"].id),
        gid("Collectivity", 987654),
        "garbage",
    ]
    body = await api.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}, token=token
    )
    assert "errors" not in body
    assert body["data"]["nodes"] == [{"id": ids[0]}, None, None, None]


async def test_g1_nodes_takes_at_most_100_ids(api: Api, two_employers) -> None:
    token = await api.login(two_employers["user_a"].email)
    ids = [gid("Collectivity", two_employers["a1"].id)] * 101
    body = await api.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}, token=token
    )
    assert error_codes(body) == ["TOO_MANY_IDS"]
