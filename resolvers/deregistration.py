"""Deregistering an insured and chosen family members from a collectivity (C5).

The end date is the last day of membership, inclusive: leaving per 1 May means end date 30 April.
It may lie back or ahead within the deployment's window (``MutationWindow``, default 12 months
each way) and not before a member's start. Only the membership ends: the person stays insured
with the insurer (person, policy and coverage are untouched). Each member gets a DEREGISTER
mutation whose effective date is the first day outside the collectivity (the day after the end
date), so a back-dated deregistration shows as such in the collectivity's mutations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import AuditOutcome, MutationKind

from . import audit
from .errors import DomainError, ErrorCode
from .insured_mutations import (
    Attempt,
    MutationRequest,
    MutationResult,
    audited,
    choose_members,
    find_subject,
    lock_family,
    require_employer_user,
)
from .memberships import latest_enrollments, view_of
from .mutation_history import entries_by_ids, record_mutation
from .mutation_window import MutationWindow

ACTION = "deregister_insured"


async def deregister_insured(
    db: AsyncSession,
    request: MutationRequest,
    window: MutationWindow,
    *,
    insured_id: int,
    collectivity_id: int | None,
    end_date: dt.date,
    members: Sequence[int] | None,
    expected_version: int | None = None,
) -> MutationResult:
    actor, today = request.actor, request.today
    attempt = Attempt(
        ACTION, collectivity_id, {"insured_id": insured_id, "end_date": end_date.isoformat()}
    )

    async def work() -> MutationResult:
        require_employer_user(actor)
        subject = await find_subject(db, actor, insured_id, collectivity_id)
        attempt.collectivity_id = subject.collectivity_id
        if not window.contains(end_date, today):
            raise DomainError(
                ErrorCode.END_DATE_OUT_OF_RANGE,
                field="end_date",
                earliest=window.earliest(today),
                latest=window.latest(today),
            )
        family = await lock_family(db, subject, expected_version)
        current = await latest_enrollments(db, family, subject.collectivity_id)
        chosen = choose_members(subject, family, current, members)
        for member_id in chosen:
            enrollment = current[member_id]
            if enrollment.end_date is not None:
                raise DomainError(
                    ErrorCode.ALREADY_DEREGISTERED, field="members", end_date=enrollment.end_date
                )
            if end_date < enrollment.start_date:
                raise DomainError(
                    ErrorCode.END_DATE_BEFORE_START,
                    field="end_date",
                    start_date=enrollment.start_date,
                )
        recorded = []
        for member_id in chosen:
            current[member_id].end_date = end_date
            recorded.append(
                record_mutation(
                    db,
                    kind=MutationKind.DEREGISTER,
                    insured_id=member_id,
                    collectivity_id=subject.collectivity_id,
                    effective_date=end_date + dt.timedelta(days=1),
                    at=request.now,
                    user_id=actor.user_id,
                    before={"end_date": None},
                    after={"end_date": end_date},
                )
            )
        await db.flush()
        audit.record(
            db,
            action=ACTION,
            outcome=AuditOutcome.SUCCESS,
            at=request.now,
            actor_user_id=actor.user_id,
            collectivity_id=subject.collectivity_id,
            client_address=request.client_address,
            insured_id=insured_id,
            insured_ids=chosen,
            end_date=end_date.isoformat(),
            mutation_ids=[m.id for m in recorded],
        )
        await db.commit()
        return MutationResult(
            memberships=[view_of(current[i], family[i], today) for i in chosen],
            mutations=await entries_by_ids(db, [m.id for m in recorded]),
        )

    return await audited(db, request, attempt, work)
