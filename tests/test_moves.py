"""Moving insured to another collectivity (C7), recorded in both (C8), over HTTP on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.names import sort_name
from storage import Enrollment
from storage.enums import AuditOutcome, MutationKind

from . import factories
from .http import Api, error_codes
from .insured_steps import (
    MOVE,
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


def move(cast: Cast, effective: dt.date | str, *, to: int | None = None, **extra: object) -> dict:
    return {
        "input": {
            "insuredPersonId": gid("InsuredPerson", cast.holder.id),
            "fromCollectivityId": gid("Collectivity", cast.x1.id),
            "toCollectivityId": gid("Collectivity", to or cast.x2.id),
            "effectiveDate": str(effective),
            **extra,
        }
    }


async def test_c7_old_membership_ends_the_day_before_and_the_family_moves_along(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(MOVE, move(cast, "2027-01-01"), token=token), "moveInsuredToCollectivity"
    )
    assert result["userErrors"] == []
    for person in cast.aalbers.members:
        old, new = await enrollments_of(session_factory, person.id)
        assert (old.collectivity_id, old.start_date, old.end_date) == (
            cast.x1.id,
            dt.date(2025, 1, 1),
            dt.date(2026, 12, 31),
        )
        assert (new.collectivity_id, new.start_date, new.end_date) == (
            cast.x2.id,
            dt.date(2027, 1, 1),
            None,
        )
    memberships = {
        (m["insuredPersonId"], m["collectivity"]["id"]): m for m in result["memberships"]
    }
    holder = gid("InsuredPerson", cast.holder.id)
    assert memberships[(holder, gid("Collectivity", cast.x1.id))]["endDate"] == "2026-12-31"
    assert memberships[(holder, gid("Collectivity", cast.x2.id))]["status"] == "FUTURE"
    assert len(memberships) == 8


async def test_c7_the_new_membership_carries_employee_number_and_overview_copies(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(MOVE, move(cast, "2026-12-01"), token=token), "moveInsuredToCollectivity"
    )
    assert result["userErrors"] == []
    moved_on = {"id", "collectivity_id", "start_date", "end_date", "created_at"}
    columns = [c.key for c in inspect(Enrollment).column_attrs if c.key not in moved_on]
    assert {"employee_number", "sort_name", "birth_date", "relation", "policy_number"} <= set(
        columns
    )
    for person in cast.aalbers.members:
        old, new = await enrollments_of(session_factory, person.id)
        assert {c: getattr(new, c) for c in columns} == {c: getattr(old, c) for c in columns}
    _, new = await enrollments_of(session_factory, cast.holder.id)
    assert new.employee_number == "E100"
    assert new.sort_name == sort_name("Jan", None, "Aalbers")
    assert new.policy_number == cast.aalbers.policy.policy_number


async def test_c7_both_collectivities_must_use_salary_deduction(
    api: Api, cast: Cast, session_factory
) -> None:
    async with session_factory() as db:
        individual_family = await factories.family(db, cast.x3, last_name="Indi")
        await db.commit()
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    to_individual = payload(
        await api.gql(MOVE, move(cast, "2027-01-01", to=cast.x3.id), token=token),
        "moveInsuredToCollectivity",
    )
    assert codes(to_individual) == [("toCollectivityId", "MOVE_NEEDS_SALARY_DEDUCTION")]
    from_individual = payload(
        await api.gql(
            MOVE,
            {
                "input": {
                    "insuredPersonId": gid("InsuredPerson", individual_family.members[0].id),
                    "fromCollectivityId": gid("Collectivity", cast.x3.id),
                    "toCollectivityId": gid("Collectivity", cast.x1.id),
                    "effectiveDate": "2027-01-01",
                }
            },
            token=token,
        ),
        "moveInsuredToCollectivity",
    )
    assert codes(from_individual) == [("fromCollectivityId", "MOVE_NEEDS_SALARY_DEDUCTION")]
    assert await state_of(session_factory) == before


async def test_c7_mutation_is_recorded_and_audited_in_both_collectivities(
    api: Api, cast: Cast, session_factory, clock
) -> None:
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(
            MOVE,
            move(cast, "2027-01-01", members=[gid("InsuredPerson", cast.holder.id)]),
            token=token,
        ),
        "moveInsuredToCollectivity",
    )
    assert result["userErrors"] == []
    recorded = await mutations_in(session_factory, insured_id=cast.holder.id)
    assert [(m.kind, m.collectivity_id) for m in recorded] == [
        (MutationKind.MOVE, cast.x1.id),
        (MutationKind.MOVE, cast.x2.id),
    ]
    for mutation in recorded:
        assert mutation.effective_date == dt.date(2027, 1, 1)
        assert mutation.registered_at == clock.now()
        assert mutation.user_id == cast.main_x1.id
        assert mutation.before == {"collectivity": cast.x1.collectivity_number}
        assert mutation.after == {"collectivity": cast.x2.collectivity_number}
    trails = {e.collectivity_id: e for e in await events(session_factory, "move_insured")}
    assert set(trails) == {cast.x1.id, cast.x2.id}
    assert all(e.outcome is AuditOutcome.SUCCESS for e in trails.values())
    assert trails[cast.x2.id].details["from_collectivity_number"] == cast.x1.collectivity_number
    # Only the holder moved; the family stays in x1.
    (partner,) = await enrollments_of(session_factory, cast.partner.id)
    assert (partner.collectivity_id, partner.end_date) == (cast.x1.id, None)


async def test_b3_a_collectivity_outside_the_scope_answers_not_found(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    foreign = payload(
        await api.gql(MOVE, move(cast, "2027-01-01", to=cast.y1.id), token=token),
        "moveInsuredToCollectivity",
    )
    unknown = payload(
        await api.gql(MOVE, move(cast, "2027-01-01", to=987654), token=token),
        "moveInsuredToCollectivity",
    )
    assert codes(foreign) == codes(unknown) == [("toCollectivityId", "NOT_FOUND")]
    assert foreign == unknown
    variables = move(cast, "2027-01-01", to=cast.x1.id)
    variables["input"]["fromCollectivityId"] = gid("Collectivity", cast.x2.id)
    not_from_there = payload(
        await api.gql(MOVE, variables, token=token), "moveInsuredToCollectivity"
    )
    assert codes(not_from_there) == [("insuredPersonId", "NOT_FOUND")]
    assert await state_of(session_factory) == before


async def test_c7_refusals_each_have_their_own_code_and_change_nothing(
    api: Api, cast: Cast, session_factory
) -> None:
    async with session_factory() as db:  # Bakker was in x2 before and comes back in March
        first = cast.bakker.enrollments[0]
        db.add(
            Enrollment(
                insured_id=cast.bakker.members[0].id,
                collectivity_id=cast.x2.id,
                sort_name=first.sort_name,
                birth_date=first.birth_date,
                relation=first.relation,
                policy_number=first.policy_number,
                start_date=dt.date(2027, 3, 1),
            )
        )
        await factories.family(db, cast.x2, last_name="Cornelis", employee_number="E100")
        await db.commit()
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    bakker = {"insuredPersonId": gid("InsuredPerson", cast.bakker.members[0].id)}
    cases = [
        (
            move(cast, "2027-01-01", to=cast.x1.id),
            ("toCollectivityId", "MOVE_TO_SAME_COLLECTIVITY"),
        ),
        (move(cast, "2025-12-03"), ("effectiveDate", "EFFECTIVE_DATE_OUT_OF_RANGE")),
        (move(cast, "2027-12-05"), ("effectiveDate", "EFFECTIVE_DATE_OUT_OF_RANGE")),
        (
            {"input": move(cast, "2027-01-01")["input"] | bakker},
            ("toCollectivityId", "ALREADY_IN_COLLECTIVITY"),
        ),
        (move(cast, "2027-01-01"), ("toCollectivityId", "EMPLOYEE_NUMBER_TAKEN")),
    ]
    for variables, expected in cases:
        result = payload(await api.gql(MOVE, variables, token=token), "moveInsuredToCollectivity")
        assert codes(result) == [expected], variables
    assert await state_of(session_factory) == before


async def test_c7_effective_date_must_be_after_the_membership_start(
    api: Api, cast: Cast, session_factory
) -> None:
    async with session_factory() as db:
        for enrollment in cast.aalbers.enrollments:
            enrollment.start_date = dt.date(2026, 12, 1)
            await db.merge(enrollment)
        await db.commit()
    token = await api.login(cast.main_x1.email)
    before = await state_of(session_factory)
    result = payload(
        await api.gql(MOVE, move(cast, "2026-12-01"), token=token), "moveInsuredToCollectivity"
    )
    assert codes(result) == [("effectiveDate", "EFFECTIVE_DATE_BEFORE_START")]
    assert await state_of(session_factory) == before
    result = payload(
        await api.gql(MOVE, move(cast, "2026-12-02"), token=token), "moveInsuredToCollectivity"
    )
    assert result["userErrors"] == []


async def test_c7_a_deregistered_member_does_not_move(
    api: Api, cast: Cast, session_factory
) -> None:
    async with session_factory() as db:
        holder = cast.aalbers.enrollments[0]
        holder.end_date = dt.date(2027, 3, 31)
        await db.merge(holder)
        await db.commit()
    token = await api.login(cast.main_x1.email)
    result = payload(
        await api.gql(MOVE, move(cast, "2027-01-01"), token=token), "moveInsuredToCollectivity"
    )
    assert codes(result) == [("insuredPersonId", "ALREADY_DEREGISTERED")]


async def test_b4_staff_may_not_move(api: Api, cast: Cast, session_factory) -> None:
    token = await api.login(cast.staff.email)
    before = await state_of(session_factory)
    body = await api.gql(MOVE, move(cast, "2027-01-01"), token=token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert await state_of(session_factory) == before
