"""What every mutation of an insured's membership shares (C5–C8): who may, which person and
family, the family lock, and the audit of the outcome.

**One transaction.** A use case reads, validates, changes, records its ``Mutation`` rows and its
audit event, and commits once at the end. A refusal (a ``DomainError``) rolls everything back and
records only the refusal in the audit trail (``audited``).

**No lost update (C8).** Concurrent mutations of one family must not both act on what they read.
Each mutation first *bumps the version* of every member of the policy (``InsuredPerson.version``,
SQLAlchemy's ``version_id_col``: ``UPDATE … SET version = v + 1 WHERE id = … AND version = v``)
and only then reads the memberships it validates and changes. When another mutation of the
family committed after this one read the versions, the update matches no row and the mutation is
refused with CONCURRENT_CHANGE ("try again"), changing nothing. On PostgreSQL the update also
holds the rows' locks, so a second mutation waits for the first and then finds the version moved;
SQLite lets one writer at a time, so mutations are serialised and the same check applies. A
client may also pass the version it showed (``expected_version``): a person changed since
answers CONCURRENT_CHANGE too, so two people working from the same screen cannot overwrite each
other either.

Employer users (main user and colleagues) change the insured of the collectivities in their scope
(B1); insurer staff read but do not change (B4): FORBIDDEN, audited as DENIED.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from storage import Collectivity, Enrollment, InsuredPerson
from storage.enums import AuditOutcome

from . import audit
from .actor import Actor
from .errors import DomainError, ErrorCode, NotFound
from .memberships import MembershipView
from .mutation_history import MutationEntry
from .permissions import Forbidden

T = TypeVar("T")

# The most family members one request may name.
MAX_MEMBERS = 50


@dataclasses.dataclass(frozen=True)
class MutationRequest:
    """Who asks, when, and from where."""

    actor: Actor
    now: dt.datetime
    today: dt.date
    client_address: str | None


@dataclasses.dataclass(frozen=True)
class MutationResult:
    """The memberships as they are after the change, and the mutations recorded."""

    memberships: list[MembershipView]
    mutations: list[MutationEntry]


@dataclasses.dataclass
class Attempt:
    """What the audit trail records of a mutation; filled in as the use case learns more."""

    action: str
    collectivity_id: int | None = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)


def require_employer_user(actor: Actor) -> None:
    """Main users and colleagues change insured memberships; staff may not (B4)."""
    if actor.is_staff:
        raise Forbidden()


async def audited(
    db: AsyncSession,
    request: MutationRequest,
    attempt: Attempt,
    work: Callable[[], Awaitable[T]],
) -> T:
    """Run ``work`` (which commits on success). A refusal is rolled back and recorded alone,
    in the collectivity concerned when it is in scope, else the actor's home collectivity."""
    try:
        return await work()
    except DomainError as error:
        await db.rollback()
        actor = request.actor
        collectivity_id = attempt.collectivity_id
        if collectivity_id is None or not actor.can_see(collectivity_id):
            collectivity_id = actor.home_collectivity_id
        audit.record(
            db,
            action=attempt.action,
            outcome=AuditOutcome.DENIED if isinstance(error, Forbidden) else AuditOutcome.FAILURE,
            at=request.now,
            actor_user_id=actor.user_id,
            collectivity_id=collectivity_id,
            client_address=request.client_address,
            reason=error.code.value,
            **attempt.details,
        )
        await db.commit()
        raise


@dataclasses.dataclass(frozen=True)
class Subject:
    """The insured a mutation is about, in the collectivity it is about."""

    insured_id: int
    policy_id: int
    collectivity_id: int


async def find_subject(
    db: AsyncSession,
    actor: Actor,
    insured_id: int,
    collectivity_id: int | None,
    *,
    collectivity_field: str = "collectivity_id",
) -> Subject:
    """The insured with a membership (ever) of ``collectivity_id``; without one given, of the
    collectivity in scope where their latest membership is. NOT_FOUND otherwise (B3)."""
    statement = (
        select(InsuredPerson.policy_id, Enrollment.collectivity_id)
        .join(Enrollment, Enrollment.insured_id == InsuredPerson.id)
        .where(InsuredPerson.id == insured_id)
    )
    if collectivity_id is not None:
        actor.require_scope(collectivity_id, collectivity_field)
        statement = statement.where(Enrollment.collectivity_id == collectivity_id)
    elif actor.scope is not None:
        statement = statement.where(Enrollment.collectivity_id.in_(actor.scope))
    statement = statement.order_by(Enrollment.start_date.desc(), Enrollment.id.desc()).limit(1)
    row = (await db.execute(statement)).first()
    if row is None:
        raise NotFound("insured_person_id")
    return Subject(insured_id=insured_id, policy_id=row[0], collectivity_id=row[1])


async def lock_family(
    db: AsyncSession, subject: Subject, expected_version: int | None
) -> dict[int, InsuredPerson]:
    """Bump the version of every member of the subject's policy; CONCURRENT_CHANGE when another
    mutation of the family came first (or the subject is no longer at ``expected_version``).

    Call before reading what the mutation validates; returns the members by id."""
    people = await db.scalars(
        select(InsuredPerson)
        .where(InsuredPerson.policy_id == subject.policy_id)
        .order_by(InsuredPerson.id)
        .execution_options(populate_existing=True)
    )
    family = {person.id: person for person in people}
    subject_person = family.get(subject.insured_id)
    if subject_person is None:
        raise DomainError(ErrorCode.CONCURRENT_CHANGE)
    if expected_version is not None and subject_person.version != expected_version:
        raise DomainError(ErrorCode.CONCURRENT_CHANGE, field="expected_version")
    for person in family.values():
        person.version = person.version + 1
    try:
        await db.flush()
    except StaleDataError:
        raise DomainError(ErrorCode.CONCURRENT_CHANGE) from None
    return family


async def lock_collectivity(db: AsyncSession, collectivity_id: int) -> None:
    """Serialise checks across families of one collectivity (employee numbers, C6): a row lock
    on PostgreSQL; SQLite already has the one write lock from ``lock_family``."""
    await db.execute(
        select(Collectivity.id).where(Collectivity.id == collectivity_id).with_for_update()
    )


def choose_members(
    subject: Subject,
    family: Mapping[int, InsuredPerson],
    memberships: Mapping[int, Enrollment],
    requested: Sequence[int] | None,
) -> list[int]:
    """The family members a deregistration or move applies to.

    Without a choice: the subject and everyone on the policy whose membership of the
    collectivity is open (no end date). A choice names members of the subject's policy with a
    membership of the collectivity; any other id is NOT_FOUND (``members``), as ids outside the
    scope are (B3).
    """
    if requested is None:
        own = memberships.get(subject.insured_id)
        if own is None:
            raise NotFound("insured_person_id")
        if own.end_date is not None:
            raise DomainError(
                ErrorCode.ALREADY_DEREGISTERED, field="insured_person_id", end_date=own.end_date
            )
        return [i for i in family if i in memberships and memberships[i].end_date is None]
    chosen = list(dict.fromkeys(requested))
    if not chosen:
        raise DomainError(ErrorCode.VALUE_REQUIRED, field="members")
    if len(chosen) > MAX_MEMBERS:
        raise DomainError(ErrorCode.TOO_MANY_IDS, field="members", maximum=MAX_MEMBERS)
    if any(i not in family or i not in memberships for i in chosen):
        raise NotFound("members")
    return sorted(chosen)
