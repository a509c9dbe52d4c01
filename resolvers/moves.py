"""Moving an insured and their family to another collectivity in scope (C7).

Only between two collectivities that both use salary deduction (in the contract in force today).
The old membership ends the day before the effective date; a new one starts on it, carrying the
employee number and the copies the overview sorts on. The effective date lies within the same
window as a deregistration's end date and after the old membership's start; the members must not
already be members of the target from that date. A MOVE mutation is recorded in both
collectivities, and the audit event in both trails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Collectivity, Policy
from storage.enums import AuditOutcome, MutationKind

from . import audit
from .employee_numbers import employee_number_taken
from .errors import DomainError, ErrorCode, NotFound
from .insured_mutations import (
    Attempt,
    MutationRequest,
    MutationResult,
    audited,
    choose_members,
    find_subject,
    lock_collectivity,
    lock_family,
    require_employer_user,
)
from .memberships import enrollments_from, latest_enrollments, start_membership, view_of
from .mutation_history import entries_by_ids, record_mutation
from .mutation_window import MutationWindow
from .salary_deduction import uses_salary_deduction

ACTION = "move_insured"


async def _collectivity(
    db: AsyncSession, request: MutationRequest, collectivity_id: int, field: str
) -> Collectivity:
    request.actor.require_scope(collectivity_id, field)
    row = await db.get(Collectivity, collectivity_id)
    if row is None:
        raise NotFound(field)
    return row


async def move_insured(
    db: AsyncSession,
    request: MutationRequest,
    window: MutationWindow,
    *,
    insured_id: int,
    from_collectivity_id: int,
    to_collectivity_id: int,
    effective_date: dt.date,
    members: Sequence[int] | None,
    expected_version: int | None = None,
) -> MutationResult:
    actor, today = request.actor, request.today
    attempt = Attempt(
        ACTION,
        from_collectivity_id,
        {
            "insured_id": insured_id,
            "to_collectivity_id": to_collectivity_id,
            "effective_date": effective_date.isoformat(),
        },
    )

    async def work() -> MutationResult:
        require_employer_user(actor)
        source = await _collectivity(db, request, from_collectivity_id, "from_collectivity_id")
        target = await _collectivity(db, request, to_collectivity_id, "to_collectivity_id")
        subject = await find_subject(
            db,
            actor,
            insured_id,
            from_collectivity_id,
            collectivity_field="from_collectivity_id",
        )
        if source.id == target.id:
            raise DomainError(ErrorCode.MOVE_TO_SAME_COLLECTIVITY, field="to_collectivity_id")
        for row, field in ((source, "from_collectivity_id"), (target, "to_collectivity_id")):
            if not await uses_salary_deduction(db, row.id, today):
                raise DomainError(ErrorCode.MOVE_NEEDS_SALARY_DEDUCTION, field=field)
        if not window.contains(effective_date, today):
            raise DomainError(
                ErrorCode.EFFECTIVE_DATE_OUT_OF_RANGE,
                field="effective_date",
                earliest=window.earliest(today),
                latest=window.latest(today),
            )
        family = await lock_family(db, subject, expected_version)
        current = await latest_enrollments(db, family, source.id)
        chosen = choose_members(subject, family, current, members)
        for member_id in chosen:
            enrollment = current[member_id]
            if enrollment.end_date is not None:
                raise DomainError(
                    ErrorCode.ALREADY_DEREGISTERED, field="members", end_date=enrollment.end_date
                )
            if effective_date <= enrollment.start_date:
                raise DomainError(
                    ErrorCode.EFFECTIVE_DATE_BEFORE_START,
                    field="effective_date",
                    start_date=enrollment.start_date,
                )
        if await enrollments_from(db, chosen, target.id, effective_date):
            raise DomainError(ErrorCode.ALREADY_IN_COLLECTIVITY, field="to_collectivity_id")
        await lock_collectivity(db, target.id)
        for member_id in chosen:
            number = current[member_id].employee_number
            if number is not None and await employee_number_taken(
                db, target.id, number, today=today, except_insured=set(chosen)
            ):
                raise DomainError(ErrorCode.EMPLOYEE_NUMBER_TAKEN, field="to_collectivity_id")
        policy_number = await db.scalar(
            select(Policy.policy_number).where(Policy.id == subject.policy_id)
        )
        assert policy_number is not None
        last_day = effective_date - dt.timedelta(days=1)
        started, recorded = {}, []
        for member_id in chosen:
            old = current[member_id]
            old.end_date = last_day
            started[member_id] = start_membership(
                family[member_id],
                policy_number,
                collectivity_id=target.id,
                start_date=effective_date,
                employee_number=old.employee_number,
            )
            db.add(started[member_id])
            for side in (source.id, target.id):
                recorded.append(
                    record_mutation(
                        db,
                        kind=MutationKind.MOVE,
                        insured_id=member_id,
                        collectivity_id=side,
                        effective_date=effective_date,
                        at=request.now,
                        user_id=actor.user_id,
                        before={"collectivity": source.collectivity_number},
                        after={"collectivity": target.collectivity_number},
                    )
                )
        await db.flush()
        for side, other in ((source, target), (target, source)):
            audit.record(
                db,
                action=ACTION,
                outcome=AuditOutcome.SUCCESS,
                at=request.now,
                actor_user_id=actor.user_id,
                collectivity_id=side.id,
                client_address=request.client_address,
                insured_id=insured_id,
                insured_ids=chosen,
                from_collectivity_number=source.collectivity_number,
                to_collectivity_number=target.collectivity_number,
                effective_date=effective_date.isoformat(),
                mutation_ids=[m.id for m in recorded if m.collectivity_id == side.id],
                other_collectivity_id=other.id,
            )
        await db.commit()
        memberships = [view_of(current[i], family[i], today) for i in chosen]
        memberships += [view_of(started[i], family[i], today) for i in chosen]
        return MutationResult(
            memberships=memberships,
            mutations=await entries_by_ids(db, [m.id for m in recorded]),
        )

    return await audited(db, request, attempt, work)
