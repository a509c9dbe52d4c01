"""Employee numbers (C6), recorded and audited (C8), over HTTP on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import AMSTERDAM, FixedClock
from storage import Enrollment
from storage.enums import AuditOutcome, MutationKind

from . import factories
from .http import Api
from .insured_steps import (
    CHANGE_EMPLOYEE_NUMBER,
    Cast,
    codes,
    enrollments_of,
    events,
    gid,
    make_cast,
    mutations_in,
    payload,
    state_of,
)


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Cast:
    return await make_cast(session_factory)


def change(person_id: int, number: str, effective: dt.date | str, **extra: object) -> dict:
    return {
        "input": {
            "insuredPersonId": gid("InsuredPerson", person_id),
            "employeeNumber": number,
            "effectiveDate": str(effective),
            **extra,
        }
    }


async def test_c6_effective_date_must_be_today(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    for day in (today - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        body = await api.gql(
            CHANGE_EMPLOYEE_NUMBER,
            change(cast.holder.id, "E101", day),
            token=token,
            headers={"Accept-Language": "en"},
        )
        result = payload(body, "changeEmployeeNumber")
        assert codes(result) == [("effectiveDate", "EMPLOYEE_NUMBER_NOT_TODAY")]
        assert result["userErrors"][0]["message"] == (
            "An employee number can only be recorded with effect from today (2026-12-04)."
        )
    assert await state_of(session_factory) == before
    result = payload(
        await api.gql(CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "E101", today), token=token),
        "changeEmployeeNumber",
    )
    assert result["userErrors"] == []
    assert result["memberships"][0]["employeeNumber"] == "E101"


async def test_c6_today_is_the_date_in_amsterdam(api: Api, cast: Cast, clock: FixedClock) -> None:
    # 23:30 UTC on 4 December is 00:30 on 5 December in Amsterdam.
    clock.at = dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC)
    assert clock.at.astimezone(AMSTERDAM).date() == dt.date(2026, 12, 5)
    token = await api.login(cast.main_x1.email)
    utc_day = payload(
        await api.gql(
            CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "E101", "2026-12-04"), token=token
        ),
        "changeEmployeeNumber",
    )
    assert codes(utc_day) == [("effectiveDate", "EMPLOYEE_NUMBER_NOT_TODAY")]
    dutch_day = payload(
        await api.gql(
            CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "E101", "2026-12-05"), token=token
        ),
        "changeEmployeeNumber",
    )
    assert dutch_day["userErrors"] == []


async def test_c6_only_a_policyholder_has_an_employee_number(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    for person in (cast.partner, cast.children[0]):
        result = payload(
            await api.gql(CHANGE_EMPLOYEE_NUMBER, change(person.id, "E300", today), token=token),
            "changeEmployeeNumber",
        )
        assert codes(result) == [("insuredPersonId", "EMPLOYEE_NUMBER_ONLY_FOR_POLICYHOLDER")]
    assert await state_of(session_factory) == before


async def test_c6_number_is_unique_among_active_members_of_the_collectivity(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    async with session_factory() as db:  # a former member of x1 who had E900
        await factories.family(
            db, cast.x1, last_name="Oud", employee_number="E900", end=today - dt.timedelta(days=1)
        )
        await db.commit()
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    taken = payload(
        await api.gql(
            CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "E200", today), token=token
        ),  # Bakker's
        "changeEmployeeNumber",
    )
    assert codes(taken) == [("employeeNumber", "EMPLOYEE_NUMBER_TAKEN")]
    assert await state_of(session_factory) == before
    for number in ("E900", "e200"):  # a former member's; compared exactly as written
        result = payload(
            await api.gql(
                CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, number, today), token=token
            ),
            "changeEmployeeNumber",
        )
        assert result["userErrors"] == [], number
    # Yildiz in another employer's collectivity has E100 too: numbers are per collectivity.
    (yildiz,) = await enrollments_of(session_factory, cast.yildiz.members[0].id)
    assert yildiz.employee_number == "E100"
    result = payload(
        await api.gql(CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "E100", today), token=token),
        "changeEmployeeNumber",
    )
    assert result["userErrors"] == []


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("", ("employeeNumber", "VALUE_REQUIRED")),
        ("   ", ("employeeNumber", "VALUE_REQUIRED")),
        ("E" * 21, ("employeeNumber", "VALUE_TOO_LONG")),
        ("E 12", ("employeeNumber", "EMPLOYEE_NUMBER_INVALID")),
        ("-12", ("employeeNumber", "EMPLOYEE_NUMBER_INVALID")),
        ("12;DROP", ("employeeNumber", "EMPLOYEE_NUMBER_INVALID")),
        ("Ω12", ("employeeNumber", "EMPLOYEE_NUMBER_INVALID")),
    ],
)
async def test_c6_format_is_checked(
    api: Api, cast: Cast, today: dt.date, session_factory, number: str, expected: tuple
) -> None:
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    result = payload(
        await api.gql(CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, number, today), token=token),
        "changeEmployeeNumber",
    )
    assert codes(result) == [expected]
    assert await state_of(session_factory) == before


async def test_c6_allowed_characters_and_surrounding_spaces(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(
            CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "  2026/A-1.b_9  ", today), token=token
        ),
        "changeEmployeeNumber",
    )
    assert result["userErrors"] == []
    (enrollment,) = await enrollments_of(session_factory, cast.holder.id)
    assert enrollment.employee_number == "2026/A-1.b_9"
    same = payload(
        await api.gql(
            CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "2026/A-1.b_9", today), token=token
        ),
        "changeEmployeeNumber",
    )
    assert codes(same) == [("employeeNumber", "EMPLOYEE_NUMBER_UNCHANGED")]


async def test_c6_an_ended_membership_gets_no_employee_number(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    async with session_factory() as db:
        left = await factories.family(
            db, cast.x1, last_name="Weg", end=dt.date(2026, 11, 30), employee_number="E555"
        )
        await db.commit()
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(
            CHANGE_EMPLOYEE_NUMBER, change(left.members[0].id, "E556", today), token=token
        ),
        "changeEmployeeNumber",
    )
    assert codes(result) == [("insuredPersonId", "MEMBERSHIP_ENDED")]
    # Deregistered per a later date: still a member today, so the number may change.
    async with session_factory() as db:
        holder_enrollment = cast.aalbers.enrollments[0]
        holder_enrollment.end_date = dt.date(2027, 1, 31)
        await db.merge(holder_enrollment)
        await db.commit()
    result = payload(
        await api.gql(CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "E101", today), token=token),
        "changeEmployeeNumber",
    )
    assert result["userErrors"] == []


async def test_c6_the_number_belongs_to_the_membership_in_the_chosen_collectivity(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    async with session_factory() as db:  # Aalbers also works for x2 (a second membership)
        first = cast.aalbers.enrollments[0]
        db.add(
            Enrollment(
                insured_id=cast.holder.id,
                collectivity_id=cast.x2.id,
                sort_name=first.sort_name,
                birth_date=first.birth_date,
                relation=first.relation,
                policy_number=first.policy_number,
                start_date=dt.date(2024, 1, 1),
                employee_number="X2-7",
            )
        )
        await db.commit()
    token = await api.login(cast.colleague_x1.email)
    result = payload(
        await api.gql(
            CHANGE_EMPLOYEE_NUMBER,
            change(cast.holder.id, "X2-8", today, collectivityId=gid("Collectivity", cast.x2.id)),
            token=token,
        ),
        "changeEmployeeNumber",
    )
    assert result["userErrors"] == []
    numbers = {
        e.collectivity_id: e.employee_number
        for e in await enrollments_of(session_factory, cast.holder.id)
    }
    assert numbers == {cast.x1.id: "E100", cast.x2.id: "X2-8"}


async def test_c8_the_change_is_recorded_with_before_and_after(
    api: Api, cast: Cast, today: dt.date, clock: FixedClock, session_factory
) -> None:
    token = await api.login(cast.colleague_x1.email)
    result = payload(
        await api.gql(CHANGE_EMPLOYEE_NUMBER, change(cast.holder.id, "E777", today), token=token),
        "changeEmployeeNumber",
    )
    assert result["userErrors"] == []
    (mutation,) = await mutations_in(session_factory, insured_id=cast.holder.id)
    assert mutation.kind is MutationKind.EMPLOYEE_NUMBER
    assert (mutation.effective_date, mutation.registered_at) == (today, clock.now())
    assert mutation.user_id == cast.colleague_x1.id
    assert (mutation.before, mutation.after) == (
        {"employee_number": "E100"},
        {"employee_number": "E777"},
    )
    assert result["mutations"][0]["changes"] == [
        {"field": "employeeNumber", "before": "E100", "after": "E777"}
    ]
    (event,) = await events(session_factory, "change_employee_number")
    assert (event.outcome, event.collectivity_id) == (AuditOutcome.SUCCESS, cast.x1.id)
    assert event.details["insured_id"] == cast.holder.id
    assert cast.holder.bsn not in str(event.details)
