"""No lost update (C8): concurrent mutations of one family through the real HTTP app, on SQLite
(one writer at a time: requests are serialised) and PostgreSQL (row locks, READ COMMITTED).

Every mutation bumps the version of every member of the policy before it reads what it changes;
a mutation that read the family before another one committed is refused with CONCURRENT_CHANGE
and changes nothing. The tests check the outcome, not the timing: whatever interleaving the
database chose, each success is in the history exactly once, the history is one unbroken chain,
and the refused requests left no trace but their audit event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import Enrollment, InsuredPerson
from storage.enums import AuditOutcome, MutationKind

from .http import Api
from .insured_steps import (
    CHANGE_EMPLOYEE_NUMBER,
    DEREGISTER,
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

REQUESTS = 20


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Cast:
    return await make_cast(session_factory)


def employee_number(cast: Cast, number: str, today: dt.date, **extra: Any) -> dict:
    return {
        "input": {
            "insuredPersonId": gid("InsuredPerson", cast.holder.id),
            "employeeNumber": number,
            "effectiveDate": str(today),
            **extra,
        }
    }


def deregistration(cast: Cast, end_date: dt.date, **extra: Any) -> dict:
    return {
        "input": {
            "insuredPersonId": gid("InsuredPerson", cast.holder.id),
            "endDate": str(end_date),
            **extra,
        }
    }


async def versions(session_factory: async_sessionmaker[AsyncSession], cast: Cast) -> list[int]:
    async with session_factory() as db:
        rows = await db.scalars(
            select(InsuredPerson.version)
            .where(InsuredPerson.policy_id == cast.aalbers.policy.id)
            .order_by(InsuredPerson.id)
        )
        return list(rows)


async def test_c8_concurrent_employee_number_changes_lose_no_update(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    numbers = [f"N{i:02d}" for i in range(REQUESTS)]
    bodies = await asyncio.gather(
        *(
            api.gql(CHANGE_EMPLOYEE_NUMBER, employee_number(cast, n, today), token=token)
            for n in numbers
        )
    )
    results = [payload(body, "changeEmployeeNumber") for body in bodies]
    won = [n for n, r in zip(numbers, results, strict=True) if r["userErrors"] == []]
    lost = [r for r in results if r["userErrors"]]
    assert won, "at least the first request wins"
    assert all(codes(r) == [(None, "CONCURRENT_CHANGE")] for r in lost)
    history = await mutations_in(session_factory, kind=MutationKind.EMPLOYEE_NUMBER)
    # Every winner is in the history exactly once, and the history is one unbroken chain.
    assert sorted(m.after["employee_number"] for m in history) == sorted(won)
    chain = ["E100"] + [m.after["employee_number"] for m in history]
    assert [m.before["employee_number"] for m in history] == chain[:-1]
    (enrollment,) = await enrollments_of(session_factory, cast.holder.id)
    assert enrollment.employee_number == chain[-1]
    assert await versions(session_factory, cast) == [1 + len(won)] * len(cast.aalbers.members)
    audited = await events(session_factory, "change_employee_number")
    assert sum(e.outcome is AuditOutcome.SUCCESS for e in audited) == len(won)
    refused = [e for e in audited if e.outcome is AuditOutcome.FAILURE]
    assert len(refused) == len(lost)
    assert all(e.details["reason"] == "CONCURRENT_CHANGE" for e in refused)


async def test_c8_twenty_requests_from_the_same_version_have_exactly_one_winner(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    """Twenty users looking at the same details (version 1) change the family at once."""
    main = await api.login(cast.main_x1.email)
    colleague = await api.login(cast.colleague_x1.email)
    requests = []
    for i in range(REQUESTS // 2):
        requests.append(
            (
                "changeEmployeeNumber",
                CHANGE_EMPLOYEE_NUMBER,
                employee_number(cast, f"V{i:02d}", today, expectedVersion=1),
                main,
            )
        )
        requests.append(
            (
                "deregisterInsured",
                DEREGISTER,
                deregistration(cast, today + dt.timedelta(days=i), expectedVersion=1),
                colleague,
            )
        )
    bodies = await asyncio.gather(
        *(api.gql(query, variables, token=token) for _, query, variables, token in requests)
    )
    results = [payload(body, name) for (name, *_), body in zip(requests, bodies, strict=True)]
    winners = [
        (name, variables["input"])
        for (name, _, variables, _), result in zip(requests, results, strict=True)
        if result["userErrors"] == []
    ]
    assert len(winners) == 1
    assert sorted(code for r in results for _, code in codes(r)) == ["CONCURRENT_CHANGE"] * (
        REQUESTS - 1
    )
    ((name, winner),) = winners
    history = await mutations_in(session_factory)
    if name == "changeEmployeeNumber":
        assert [(m.kind, m.after) for m in history] == [
            (MutationKind.EMPLOYEE_NUMBER, {"employee_number": winner["employeeNumber"]})
        ]
        assert all(
            e.end_date is None for e in await enrollments_of(session_factory, cast.holder.id)
        )
    else:
        assert [m.kind for m in history] == [MutationKind.DEREGISTER] * len(cast.aalbers.members)
        for person in cast.aalbers.members:
            (enrollment,) = await enrollments_of(session_factory, person.id)
            assert str(enrollment.end_date) == winner["endDate"]
            assert enrollment.employee_number == ("E100" if person is cast.holder else None)
    assert await versions(session_factory, cast) == [2] * len(cast.aalbers.members)


async def test_c8_concurrent_deregistrations_of_one_family_end_it_once(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    end_dates = [today + dt.timedelta(days=i) for i in range(REQUESTS)]
    bodies = await asyncio.gather(
        *(api.gql(DEREGISTER, deregistration(cast, d), token=token) for d in end_dates)
    )
    results = [payload(body, "deregisterInsured") for body in bodies]
    won = [d for d, r in zip(end_dates, results, strict=True) if r["userErrors"] == []]
    assert len(won) == 1
    for result in results:
        if result["userErrors"]:
            assert codes(result) in (
                [(None, "CONCURRENT_CHANGE")],
                [("insuredPersonId", "ALREADY_DEREGISTERED")],
            )
    history = await mutations_in(session_factory, kind=MutationKind.DEREGISTER)
    assert sorted(m.insured_id for m in history) == sorted(p.id for p in cast.aalbers.members)
    for person in cast.aalbers.members:
        (enrollment,) = await enrollments_of(session_factory, person.id)
        assert enrollment.end_date == won[0]


async def test_c8_a_change_committed_between_read_and_write_is_refused(
    api: Api, cast: Cast, engine: AsyncEngine, today: dt.date, session_factory
) -> None:
    """Deterministic interleaving: another transaction bumps the family's versions, the request
    reads the family, and that transaction commits just as the request is about to write."""
    token = await api.login(cast.main_x1.email)
    about_to_write = asyncio.Event()

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE INSURED_PERSONS"):
            about_to_write.set()

    async with session_factory() as rival:
        await rival.execute(
            update(InsuredPerson)
            .where(InsuredPerson.policy_id == cast.aalbers.policy.id)
            .values(version=InsuredPerson.version + 1)
        )
        before = await state_of(session_factory)  # what others see: the rival has not committed
        event.listen(engine.sync_engine, "before_cursor_execute", spy)
        try:
            request = asyncio.create_task(
                api.gql(CHANGE_EMPLOYEE_NUMBER, employee_number(cast, "E101", today), token=token)
            )
            await asyncio.wait_for(about_to_write.wait(), timeout=30)
            await rival.commit()
            body = await asyncio.wait_for(request, timeout=30)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", spy)
    result = payload(body, "changeEmployeeNumber")
    assert codes(result) == [(None, "CONCURRENT_CHANGE")]
    assert result["userErrors"][0]["message"].startswith("Deze verzekerde is zojuist")
    after = await state_of(session_factory)
    assert after["enrollments"] == before["enrollments"]
    assert after["mutations"] == before["mutations"] == []
    assert await versions(session_factory, cast) == [2] * len(cast.aalbers.members)  # the rival's
    (refused,) = await events(session_factory, "change_employee_number")
    assert (refused.outcome, refused.details["reason"]) == (
        AuditOutcome.FAILURE,
        "CONCURRENT_CHANGE",
    )
    # Trying again works.
    retry = payload(
        await api.gql(CHANGE_EMPLOYEE_NUMBER, employee_number(cast, "E101", today), token=token),
        "changeEmployeeNumber",
    )
    assert retry["userErrors"] == []


async def test_c8_a_stale_expected_version_is_refused(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    first = payload(
        await api.gql(
            CHANGE_EMPLOYEE_NUMBER,
            employee_number(cast, "E101", today, expectedVersion=1),
            token=token,
        ),
        "changeEmployeeNumber",
    )
    assert first["userErrors"] == []
    assert first["memberships"][0]["version"] == 2
    before = await state_of(session_factory)
    stale = payload(
        await api.gql(
            DEREGISTER,
            deregistration(cast, today, expectedVersion=1,
                           members=[gid("InsuredPerson", cast.children[0].id)]),
            token=token,
        ),
        "deregisterInsured",
    )  # fmt: skip
    assert codes(stale) == [("expectedVersion", "CONCURRENT_CHANGE")]
    assert await state_of(session_factory) == before
    fresh = payload(
        await api.gql(
            DEREGISTER,
            deregistration(cast, today, expectedVersion=2,
                           members=[gid("InsuredPerson", cast.children[0].id)]),
            token=token,
        ),
        "deregisterInsured",
    )  # fmt: skip
    assert fresh["userErrors"] == []


async def test_c8_employee_numbers_stay_unique_under_concurrent_changes_of_two_families(
    api: Api, cast: Cast, today: dt.date, session_factory
) -> None:
    """Two families, different locks: the collectivity lock keeps the number unique."""
    token = await api.login(cast.main_x1.email)
    bakker = cast.bakker.members[0]
    bodies = await asyncio.gather(
        *(
            api.gql(
                CHANGE_EMPLOYEE_NUMBER,
                {
                    "input": {
                        "insuredPersonId": gid("InsuredPerson", person.id),
                        "employeeNumber": "SAME-1",
                        "effectiveDate": str(today),
                    }
                },
                token=token,
            )
            for person in [cast.holder, bakker] * 5
        )
    )
    results = [payload(body, "changeEmployeeNumber") for body in bodies]
    assert sum(r["userErrors"] == [] for r in results) == 1
    for result in results:
        assert codes(result) in (
            [],
            [(None, "CONCURRENT_CHANGE")],
            [("employeeNumber", "EMPLOYEE_NUMBER_TAKEN")],
            [("employeeNumber", "EMPLOYEE_NUMBER_UNCHANGED")],
        )
    async with session_factory() as db:
        holders = await db.scalars(
            select(Enrollment.insured_id).where(Enrollment.employee_number == "SAME-1")
        )
        assert len(list(holders)) == 1
