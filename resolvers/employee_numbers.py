"""Adding or changing a policyholder's employee number in a collectivity (C6).

The employee number is the employer's payroll number, kept on the membership. It takes effect
**today** (Amsterdam): any other effective date is refused, so payroll and insurer never disagree
about a past or future period. Only policyholders have one, and it is unique among the active
members of the collectivity (those whose membership has not ended before today). Format: 1 to 20
characters, letters, digits and ``. - / _``, starting with a letter or digit; surrounding spaces
are dropped. Numbers are compared exactly as written.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Enrollment
from storage.enums import AuditOutcome, MutationKind, Relation

from . import audit
from .errors import DomainError, ErrorCode
from .insured_mutations import (
    Attempt,
    MutationRequest,
    MutationResult,
    audited,
    find_subject,
    lock_collectivity,
    lock_family,
    require_employer_user,
)
from .memberships import latest_enrollments, view_of
from .mutation_history import entries_by_ids, record_mutation

ACTION = "change_employee_number"
MAX_LENGTH = 20
_FORMAT = re.compile(r"[A-Za-z0-9][A-Za-z0-9./_-]*")


def checked_employee_number(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise DomainError(ErrorCode.VALUE_REQUIRED, field="employee_number")
    if len(value) > MAX_LENGTH:
        raise DomainError(ErrorCode.VALUE_TOO_LONG, field="employee_number", maximum=MAX_LENGTH)
    if not _FORMAT.fullmatch(value):
        raise DomainError(ErrorCode.EMPLOYEE_NUMBER_INVALID, field="employee_number")
    return value


async def employee_number_taken(
    db: AsyncSession,
    collectivity_id: int,
    employee_number: str,
    *,
    today: dt.date,
    except_insured: set[int],
) -> bool:
    """Whether another member of the collectivity, not ended before today, has this number."""
    return bool(
        await db.scalar(
            select(
                exists().where(
                    Enrollment.collectivity_id == collectivity_id,
                    Enrollment.employee_number == employee_number,
                    Enrollment.insured_id.not_in(except_insured),
                    Enrollment.end_date.is_(None) | (Enrollment.end_date >= today),
                )
            )
        )
    )


async def change_employee_number(
    db: AsyncSession,
    request: MutationRequest,
    *,
    insured_id: int,
    collectivity_id: int | None,
    employee_number: str,
    effective_date: dt.date,
    expected_version: int | None = None,
) -> MutationResult:
    actor, today = request.actor, request.today
    attempt = Attempt(ACTION, collectivity_id, {"insured_id": insured_id})

    async def work() -> MutationResult:
        require_employer_user(actor)
        subject = await find_subject(db, actor, insured_id, collectivity_id)
        attempt.collectivity_id = subject.collectivity_id
        value = checked_employee_number(employee_number)
        if effective_date != today:
            raise DomainError(
                ErrorCode.EMPLOYEE_NUMBER_NOT_TODAY, field="effective_date", today=today
            )
        family = await lock_family(db, subject, expected_version)
        person = family[insured_id]
        if person.relation is not Relation.POLICYHOLDER:
            raise DomainError(
                ErrorCode.EMPLOYEE_NUMBER_ONLY_FOR_POLICYHOLDER, field="insured_person_id"
            )
        enrollment = (await latest_enrollments(db, [insured_id], subject.collectivity_id))[
            insured_id
        ]
        if enrollment.end_date is not None and enrollment.end_date < today:
            raise DomainError(
                ErrorCode.MEMBERSHIP_ENDED, field="insured_person_id", end_date=enrollment.end_date
            )
        if enrollment.employee_number == value:
            raise DomainError(ErrorCode.EMPLOYEE_NUMBER_UNCHANGED, field="employee_number")
        await lock_collectivity(db, subject.collectivity_id)
        if await employee_number_taken(
            db, subject.collectivity_id, value, today=today, except_insured={insured_id}
        ):
            raise DomainError(ErrorCode.EMPLOYEE_NUMBER_TAKEN, field="employee_number")
        previous = enrollment.employee_number
        enrollment.employee_number = value
        mutation = record_mutation(
            db,
            kind=MutationKind.EMPLOYEE_NUMBER,
            insured_id=insured_id,
            collectivity_id=subject.collectivity_id,
            effective_date=today,
            at=request.now,
            user_id=actor.user_id,
            before={"employee_number": previous},
            after={"employee_number": value},
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
            mutation_ids=[mutation.id],
        )
        await db.commit()
        return MutationResult(
            memberships=[view_of(enrollment, person, today)],
            mutations=await entries_by_ids(db, [mutation.id]),
        )

    return await audited(db, request, attempt, work)
