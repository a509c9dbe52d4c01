"""Deregistering insured persons (C5), recorded and audited (C8), over HTTP on both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from server.settings import Settings
from storage import Coverage, InsuredPerson, Policy
from storage.enums import AuditOutcome

from .http import Api, error_codes
from .insured_steps import (
    DEREGISTER,
    MUTATIONS,
    Cast,
    api_with,
    codes,
    enrollments_of,
    events,
    gid,
    make_cast,
    mutations_in,
    payload,
    state_of,
)

STATUS = """
query($collectivity: ID!, $id: ID!) {
  collectivity(id: $collectivity) { insuredPersonDetails(id: $id) { membership { status } } }
}
"""


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Cast:
    return await make_cast(session_factory)


def deregistration(cast: Cast, end_date: dt.date | str, **extra: object) -> dict:
    return {
        "input": {
            "insuredPersonId": gid("InsuredPerson", cast.holder.id),
            "endDate": str(end_date),
            **extra,
        }
    }


async def test_c5_end_date_is_inclusive(
    api: Api, cast: Cast, clock: FixedClock, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2027-04-30"), token=token),
        "deregisterInsured",
    )
    assert result["userErrors"] == []
    holder = next(
        m
        for m in result["memberships"]
        if m["insuredPersonId"] == gid("InsuredPerson", cast.holder.id)
    )
    assert holder["endDate"] == "2027-04-30"
    assert holder["status"] == "ACTIVE"
    variables = {
        "collectivity": gid("Collectivity", cast.x1.id),
        "id": gid("InsuredPerson", cast.holder.id),
    }
    statuses = []
    for day in (dt.date(2027, 4, 30), dt.date(2027, 5, 1)):
        clock.at = clock.at.replace(year=day.year, month=day.month, day=day.day)
        token = await api.login(cast.main_x1.email)
        body = await api.gql(STATUS, variables, token=token)
        statuses.append(
            body["data"]["collectivity"]["insuredPersonDetails"]["membership"]["status"]
        )
    assert statuses == ["ACTIVE", "ENDED"]


async def test_c5_default_is_the_whole_family_enrolled_in_the_collectivity(
    api: Api, cast: Cast, session_factory
) -> None:
    async with session_factory() as db:  # Lotte left the collectivity earlier this year
        lotte_enrollment = cast.aalbers.enrollments[3]
        lotte_enrollment.end_date = dt.date(2026, 6, 30)
        await db.merge(lotte_enrollment)
        await db.commit()
    token = await api.login(cast.colleague_x1.email)
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2026-12-31"), token=token),
        "deregisterInsured",
    )
    assert result["userErrors"] == []
    family = [cast.holder, cast.partner, cast.children[0]]
    assert [m["insuredPersonId"] for m in result["memberships"]] == [
        gid("InsuredPerson", p.id) for p in family
    ]
    for person in family:
        (enrollment,) = await enrollments_of(session_factory, person.id)
        assert enrollment.end_date == dt.date(2026, 12, 31)
    (lotte,) = await enrollments_of(session_factory, cast.children[1].id)
    assert lotte.end_date == dt.date(2026, 6, 30)
    (bakker,) = await enrollments_of(session_factory, cast.bakker.members[0].id)
    assert bakker.end_date is None
    assert [m["kind"] for m in result["mutations"]] == ["DEREGISTER"] * 3


async def test_c5_only_the_chosen_members_are_deregistered(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    kees = cast.children[0]
    result = payload(
        await api.gql(
            DEREGISTER,
            deregistration(cast, "2026-12-31", members=[gid("InsuredPerson", kees.id)]),
            token=token,
        ),
        "deregisterInsured",
    )
    assert result["userErrors"] == []
    assert [m["insuredPersonId"] for m in result["memberships"]] == [gid("InsuredPerson", kees.id)]
    ended = {
        p.id: (await enrollments_of(session_factory, p.id))[0].end_date
        for p in cast.aalbers.members
    }
    assert ended == {
        cast.holder.id: None,
        cast.partner.id: None,
        kees.id: dt.date(2026, 12, 31),
        cast.children[1].id: None,
    }


async def test_c5_the_insured_stays_insured(api: Api, cast: Cast, session_factory) -> None:
    async def insured_state() -> tuple:
        async with session_factory() as db:
            people = await db.scalars(select(InsuredPerson).order_by(InsuredPerson.id))
            policies = await db.scalars(select(Policy).order_by(Policy.id))
            coverages = await db.scalars(select(Coverage).order_by(Coverage.id))
            return (
                [(p.id, p.bsn, p.policy_id, p.relation, p.last_name) for p in people],
                [(p.id, p.policy_number) for p in policies],
                [(c.id, c.insured_id, c.start_date, c.end_date) for c in coverages],
            )

    before = await insured_state()
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2026-11-30"), token=token),
        "deregisterInsured",
    )
    assert result["userErrors"] == []
    assert await insured_state() == before


async def test_c5_end_date_bounds_default_to_twelve_months_each_way(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    for too_far in ("2025-12-03", "2027-12-05"):
        body = await api.gql(
            DEREGISTER,
            deregistration(cast, too_far),
            token=token,
            headers={"Accept-Language": "en"},
        )
        result = payload(body, "deregisterInsured")
        assert codes(result) == [("endDate", "END_DATE_OUT_OF_RANGE")]
        assert result["userErrors"][0]["message"] == (
            "Choose an end date from 2025-12-04 up to and including 2027-12-04."
        )
        assert result["memberships"] is None
    assert await state_of(session_factory) == before
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2025-12-04"), token=token),
        "deregisterInsured",
    )
    assert result["userErrors"] == []


async def test_c5_end_date_bounds_come_from_the_settings(
    engine: AsyncEngine, cast: Cast, settings: Settings, clock: FixedClock, session_factory
) -> None:
    narrow = dataclasses.replace(settings, deregister_months_back=1, deregister_months_ahead=0)
    async with api_with(engine, narrow, clock) as api:
        token = await api.login(cast.main_x1.email)
        refused = []
        for day in ("2026-11-03", "2026-12-05"):
            body = await api.gql(DEREGISTER, deregistration(cast, day), token=token)
            refused.append(codes(payload(body, "deregisterInsured")))
        body = await api.gql(DEREGISTER, deregistration(cast, "2026-11-04"), token=token)
        accepted = payload(body, "deregisterInsured")
    assert refused == [[("endDate", "END_DATE_OUT_OF_RANGE")]] * 2
    assert accepted["userErrors"] == []


def test_c5_bounds_settings_are_read_and_checked() -> None:
    from server.settings import SettingsError

    settings = Settings.from_env(
        {"COLLECTIEF_DEREGISTER_MONTHS_BACK": "3", "COLLECTIEF_DEREGISTER_MONTHS_AHEAD": "0"}
    )
    assert (settings.deregister_months_back, settings.deregister_months_ahead) == (3, 0)
    for bad in ("-1", "121", "twaalf"):
        with pytest.raises(SettingsError, match="COLLECTIEF_DEREGISTER_MONTHS_BACK"):
            Settings.from_env({"COLLECTIEF_DEREGISTER_MONTHS_BACK": bad})


async def test_c5_end_date_before_the_membership_start_is_refused(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2024-12-31"), token=token),
        "deregisterInsured",
    )
    # 2024-12-31 is also outside the window; the window is checked first.
    assert codes(result) == [("endDate", "END_DATE_OUT_OF_RANGE")]
    async with session_factory() as db:  # a membership that starts next spring
        for enrollment in cast.aalbers.enrollments:
            enrollment.start_date = dt.date(2027, 3, 1)
            await db.merge(enrollment)
        await db.commit()
    before = await state_of(session_factory)
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2027-02-28"), token=token),
        "deregisterInsured",
    )
    assert codes(result) == [("endDate", "END_DATE_BEFORE_START")]
    assert "2027-03-01" in result["userErrors"][0]["message"]
    assert await state_of(session_factory) == before
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2027-03-01"), token=token),
        "deregisterInsured",
    )
    assert result["userErrors"] == []  # a membership of one day


async def test_c5_a_deregistered_membership_cannot_be_deregistered_again(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    first = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2027-01-31"), token=token),
        "deregisterInsured",
    )
    assert first["userErrors"] == []
    before = await state_of(session_factory)
    again = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2026-12-31"), token=token),
        "deregisterInsured",
    )
    assert codes(again) == [("insuredPersonId", "ALREADY_DEREGISTERED")]
    assert "2027-01-31" in again["userErrors"][0]["message"]
    chosen = payload(
        await api.gql(
            DEREGISTER,
            deregistration(cast, "2026-12-31", members=[gid("InsuredPerson", cast.partner.id)]),
            token=token,
        ),
        "deregisterInsured",
    )
    assert codes(chosen) == [("members", "ALREADY_DEREGISTERED")]
    assert await state_of(session_factory) == before


async def test_b3_foreign_and_unrelated_ids_answer_not_found(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    foreign = cast.yildiz.members[0]
    cases = {
        "foreign insured": {
            "input": {"insuredPersonId": gid("InsuredPerson", foreign.id), "endDate": "2026-12-31"}
        },
        "unknown insured": {
            "input": {"insuredPersonId": gid("InsuredPerson", 987654), "endDate": "2026-12-31"}
        },
        "malformed insured": {"input": {"insuredPersonId": "bm9wZQ", "endDate": "2026-12-31"}},
        "foreign collectivity": deregistration(
            cast, "2026-12-31", collectivityId=gid("Collectivity", cast.y1.id)
        ),
        "other collectivity in scope": deregistration(
            cast, "2026-12-31", collectivityId=gid("Collectivity", cast.x2.id)
        ),
        "foreign member": deregistration(
            cast, "2026-12-31", members=[gid("InsuredPerson", foreign.id)]
        ),
        "member of another family": deregistration(
            cast, "2026-12-31", members=[gid("InsuredPerson", cast.bakker.members[0].id)]
        ),
    }
    answers = {}
    for name, variables in cases.items():
        answers[name] = codes(
            payload(await api.gql(DEREGISTER, variables, token=token), "deregisterInsured")
        )
    assert answers == {
        "foreign insured": [("insuredPersonId", "NOT_FOUND")],
        "unknown insured": [("insuredPersonId", "NOT_FOUND")],
        "malformed insured": [("insuredPersonId", "NOT_FOUND")],
        "foreign collectivity": [("collectivityId", "NOT_FOUND")],
        "other collectivity in scope": [("insuredPersonId", "NOT_FOUND")],
        "foreign member": [("members", "NOT_FOUND")],
        "member of another family": [("members", "NOT_FOUND")],
    }
    assert await state_of(session_factory) == before


async def test_b4_staff_may_not_deregister(api: Api, cast: Cast, session_factory) -> None:
    token = await api.login(cast.staff.email)
    before = await state_of(session_factory)
    body = await api.gql(DEREGISTER, deregistration(cast, "2026-12-31"), token=token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert await state_of(session_factory) == before
    (denied,) = await events(session_factory, "deregister_insured")
    assert denied.outcome is AuditOutcome.DENIED
    assert denied.actor_user_id == cast.staff.id


async def test_c8_deregistration_is_recorded_and_audited_without_bsn(
    api: Api, cast: Cast, session_factory, clock: FixedClock
) -> None:
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(
            DEREGISTER,
            deregistration(cast, "2026-12-31", members=[gid("InsuredPerson", cast.holder.id)]),
            token=token,
        ),
        "deregisterInsured",
    )
    assert result["userErrors"] == []
    (mutation,) = await mutations_in(session_factory, insured_id=cast.holder.id)
    assert mutation.kind.value == "DEREGISTER"
    assert mutation.collectivity_id == cast.x1.id
    assert mutation.effective_date == dt.date(2027, 1, 1)
    assert mutation.registered_at == clock.now()
    assert mutation.user_id == cast.main_x1.id
    assert (mutation.before, mutation.after) == ({"end_date": None}, {"end_date": "2026-12-31"})
    assert result["mutations"] == [
        {
            "kind": "DEREGISTER",
            "effectiveDate": "2027-01-01",
            "registeredAt": clock.now().isoformat(),
            "backDated": False,
            "insuredPersonId": gid("InsuredPerson", cast.holder.id),
            "insuredPersonName": "J. Aalbers",
            "registeredBy": {"name": "Xandra Hoofd", "role": "MAIN"},
            "changes": [{"field": "endDate", "before": None, "after": "2026-12-31"}],
            "collectivity": {"id": gid("Collectivity", cast.x1.id)},
        }
    ]
    (event,) = await events(session_factory, "deregister_insured")
    assert event.outcome is AuditOutcome.SUCCESS
    assert event.collectivity_id == cast.x1.id
    assert event.details["insured_ids"] == [cast.holder.id]
    assert cast.holder.bsn not in str(event.details)


async def test_c8_a_refusal_is_audited_and_changes_nothing(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    result = payload(
        await api.gql(DEREGISTER, deregistration(cast, "2030-01-01"), token=token),
        "deregisterInsured",
    )
    assert codes(result) == [("endDate", "END_DATE_OUT_OF_RANGE")]
    assert await state_of(session_factory) == before
    (event,) = await events(session_factory, "deregister_insured")
    assert event.outcome is AuditOutcome.FAILURE
    assert event.details["reason"] == "END_DATE_OUT_OF_RANGE"
    assert event.collectivity_id == cast.x1.id


async def test_c5_back_dated_deregistrations_show_in_the_mutations_overview(
    api: Api, cast: Cast, clock: FixedClock
) -> None:
    token = await api.login(cast.main_x1.email)
    back = payload(
        await api.gql(
            DEREGISTER,
            deregistration(cast, "2026-10-31", members=[gid("InsuredPerson", cast.holder.id)]),
            token=token,
        ),
        "deregisterInsured",
    )
    assert back["userErrors"] == []
    clock.advance(dt.timedelta(minutes=5))
    later = payload(
        await api.gql(
            DEREGISTER,
            deregistration(
                cast, "2027-01-31", members=[gid("InsuredPerson", p.id) for p in cast.children]
            ),
            token=token,
        ),
        "deregisterInsured",
    )
    assert later["userErrors"] == []
    variables = {"id": gid("Collectivity", cast.x1.id), "first": 2}
    first = (await api.gql(MUTATIONS, variables, token=token))["data"]["collectivity"]["mutations"]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await api.gql(MUTATIONS, variables | {"after": first["pageInfo"]["endCursor"]}, token=token)
    )["data"]["collectivity"]["mutations"]
    nodes = [e["node"] for e in first["edges"] + rest["edges"]]
    assert [(n["insuredPersonName"], n["effectiveDate"], n["backDated"]) for n in nodes] == [
        ("L. Aalbers", "2027-02-01", False),
        ("K. Aalbers", "2027-02-01", False),
        ("J. Aalbers", "2026-11-01", True),
    ]
    assert nodes[2]["registeredAt"] == (clock.now() - dt.timedelta(minutes=5)).isoformat()
    assert rest["pageInfo"]["hasNextPage"] is False
