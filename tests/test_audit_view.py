"""The audit trail as the main user and staff read it (A9, B4), and the audit of staff reads."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.enums import AuditOutcome

from . import factories
from .employers import (
    COLLECTIVITY_INSURED,
    Employers,
    audit_events,
    gid,
    make_employers,
    payload_of,
)
from .http import LOGIN, Api, error_codes

TRAIL = """
query($id: ID!, $first: Int, $after: String, $action: String) {
  collectivity(id: $id) {
    id
    auditEvents(first: $first, after: $after, action: $action) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { occurredAt action outcome clientAddress
                            actor { name email role } details { key value } } }
    }
  }
}
"""
INVITE = """
mutation($input: InviteColleagueInput!) { inviteColleague(input: $input) { userErrors { code } } }
"""


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Employers:
    return await make_employers(session_factory)


async def trail(api: Api, token: str, collectivity_id: int, **variables) -> dict:
    return await api.gql(
        TRAIL, {"id": gid("Collectivity", collectivity_id), **variables}, token=token
    )


def nodes(body: dict) -> list[dict]:
    return [e["node"] for e in body["data"]["collectivity"]["auditEvents"]["edges"]]


async def test_a9_the_main_user_reads_the_trail_newest_first_page_by_page(
    api: Api, cast: Employers, clock
) -> None:
    started = clock.now()
    token = await api.login(cast.main_x1.email)
    clock.advance(dt.timedelta(minutes=1))
    wrong = {"input": {"email": cast.colleague_x1.email, "password": "niet-het-wachtwoord-hoor"}}
    await api.gql(LOGIN, wrong)
    clock.advance(dt.timedelta(minutes=1))
    for name in ("anna", "bram"):  # two events at the same moment: the later id comes first
        await api.gql(
            INVITE, {"input": {"name": name.title(), "email": f"{name}@werkgever.nl"}}, token=token
        )

    first = await trail(api, token, cast.x1.id, first=3)
    connection = first["data"]["collectivity"]["auditEvents"]
    second = await trail(api, token, cast.x1.id, first=3, after=connection["pageInfo"]["endCursor"])

    main = {"name": "Xandra Hoofd", "email": cast.main_x1.email, "role": "MAIN"}
    colleague = {"name": "Xavier Collega", "email": cast.colleague_x1.email, "role": "COLLEAGUE"}
    events = nodes(first) + nodes(second)
    assert connection["totalCount"] == 4
    assert connection["pageInfo"]["hasNextPage"] is True
    assert second["data"]["collectivity"]["auditEvents"]["pageInfo"]["hasNextPage"] is False
    assert [(e["action"], e["outcome"], e["actor"]) for e in events] == [
        ("invite_colleague", "SUCCESS", main),
        ("invite_colleague", "SUCCESS", main),
        ("login", "FAILURE", colleague),
        ("login", "SUCCESS", main),
    ]
    assert [e["occurredAt"] for e in events] == [
        (started + dt.timedelta(minutes=2)).isoformat(),
        (started + dt.timedelta(minutes=2)).isoformat(),
        (started + dt.timedelta(minutes=1)).isoformat(),
        started.isoformat(),
    ]
    assert {e["clientAddress"] for e in events} == {"127.0.0.1"}
    assert {"key": "reason", "value": "invalid_credentials"} in events[2]["details"]
    assert [d["key"] for d in events[0]["details"]] == ["user_id"]
    # Bram, invited after Anna at the same moment, comes first.
    assert int(events[0]["details"][0]["value"]) > int(events[1]["details"][0]["value"])
    # Cursors name an event id only.
    assert "invite" not in connection["edges"][0]["cursor"]


async def test_a9_the_trail_can_be_narrowed_to_one_action(api: Api, cast: Employers) -> None:
    token = await api.login(cast.main_x1.email)
    await api.gql(INVITE, {"input": {"name": "Anna", "email": "anna@werkgever.nl"}}, token=token)

    body = await trail(api, token, cast.x1.id, action="login")

    assert [e["action"] for e in nodes(body)] == ["login"]
    assert body["data"]["collectivity"]["auditEvents"]["totalCount"] == 1


async def test_a9_colleagues_and_linked_users_may_not_read_the_trail(
    api: Api, cast: Employers, session_factory
) -> None:
    async with session_factory() as db:
        await factories.link(db, cast.x2, cast.x1)
        await db.commit()

    colleague = await trail(api, await api.login(cast.colleague_x1.email), cast.x1.id)
    linked_main = await trail(api, await api.login(cast.main_x2.email), cast.x1.id)

    for body in (colleague, linked_main):
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["data"]["collectivity"] == {
            "id": gid("Collectivity", cast.x1.id),
            "auditEvents": None,
        }


async def test_b3_another_employers_trail_is_not_found(api: Api, cast: Employers) -> None:
    token = await api.login(cast.main_x1.email)
    body = await trail(api, token, cast.y1.id)
    assert error_codes(body) == ["NOT_FOUND"]
    assert body["data"] == {"collectivity": None}


async def test_a9_a_cursor_of_another_trail_is_invalid(api: Api, cast: Employers) -> None:
    await api.login(cast.main_y1.email)
    staff = await api.login(cast.staff.email)
    y1_page = await trail(api, staff, cast.y1.id, first=1)
    y1_cursor = y1_page["data"]["collectivity"]["auditEvents"]["pageInfo"]["endCursor"]
    token = await api.login(cast.main_x1.email)

    for cursor in (y1_cursor, "garbage"):
        body = await trail(api, token, cast.x1.id, after=cursor)
        assert error_codes(body) == ["INVALID_CURSOR"]


async def test_b4_staff_read_the_trail_of_every_collectivity(api: Api, cast: Employers) -> None:
    await api.login(cast.main_y1.email)
    staff = await api.login(cast.staff.email)
    body = await trail(api, staff, cast.y1.id)
    assert [(e["action"], e["actor"]["email"]) for e in nodes(body)] == [
        ("login", cast.main_y1.email)
    ]


async def test_b4_staff_reads_of_insured_are_audited(
    api: Api, cast: Employers, session_factory
) -> None:
    staff = await api.login(cast.staff.email)
    x1_insured = cast.family_x1.members[0].id
    y1_insured = cast.family_y1.members[0].id

    listing = await api.gql(
        COLLECTIVITY_INSURED, {"id": gid("Collectivity", cast.x1.id)}, token=staff
    )
    nodes_body = await api.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [gid("InsuredPerson", y1_insured), gid("InsuredPerson", x1_insured)]},
        token=staff,
    )

    assert "errors" not in listing
    assert "errors" not in nodes_body
    async with session_factory() as db:
        reads = await audit_events(db, action="staff_read_insured")
    assert sorted(
        (e.collectivity_id, e.details["via"], e.details["insured_ids"], e.actor_user_id)
        for e in reads
    ) == sorted(
        [
            (cast.x1.id, "insuredPersons", [x1_insured], cast.staff.id),
            (cast.x1.id, "node", [x1_insured], cast.staff.id),
            (cast.y1.id, "node", [y1_insured], cast.staff.id),
        ]
    )
    assert {e.outcome for e in reads} == {AuditOutcome.SUCCESS}
    assert {e.client_address for e in reads} == {"127.0.0.1"}
    # The employer's main user sees that the insurer looked.
    main = await api.login(cast.main_x1.email)
    seen = nodes(await trail(api, main, cast.x1.id, action="staff_read_insured"))
    assert [(e["actor"]["role"], e["actor"]["name"]) for e in seen] == [
        ("STAFF", "Sanne Staf"),
        ("STAFF", "Sanne Staf"),
    ]


async def test_b4_a_staff_read_of_an_empty_page_is_audited_too(
    api: Api, cast: Employers, session_factory
) -> None:
    async with session_factory() as db:
        empty = await factories.collectivity(db)
        await db.commit()
    staff = await api.login(cast.staff.email)

    await api.gql(COLLECTIVITY_INSURED, {"id": gid("Collectivity", empty.id)}, token=staff)

    async with session_factory() as db:
        (read,) = await audit_events(db, action="staff_read_insured")
    assert (read.collectivity_id, read.details["insured_count"]) == (empty.id, 0)


async def test_b4_employer_reads_of_insured_are_not_staff_reads(
    api: Api, cast: Employers, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    body = await api.gql(COLLECTIVITY_INSURED, {"id": gid("Collectivity", cast.x1.id)}, token=token)
    assert payload_of(body, "collectivity")["insuredPersons"]["edges"]
    async with session_factory() as db:
        assert await audit_events(db, action="staff_read_insured") == []
