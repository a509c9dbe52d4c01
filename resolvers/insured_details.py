"""The details of one insured in one collectivity (C4): person, policy, coverage, family,
membership history and mutation history.

Only for a collectivity whose contract in force today uses salary deduction
(DETAILS_NEED_SALARY_DEDUCTION otherwise): then the employer administers the premium and needs
the whole picture. The insured must have (had) a membership of the collectivity, which must be in
the actor's scope; anything else is NOT_FOUND (B3). The BSN is shown (it is the employer's own
employee's number) but never logged or audited. A staff member's read is recorded in the
collectivity's audit trail before the details are returned (B4).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Coverage, Enrollment, InsuredPerson, Policy, Product
from storage.enums import AuditOutcome, Gender, ProductKind, Relation

from . import audit
from .actor import Actor
from .errors import DomainError, ErrorCode, NotFound
from .memberships import MembershipView, view_of
from .mutation_history import MutationEntry, history_of
from .names import display_name
from .salary_deduction import uses_salary_deduction

STAFF_READ_ACTION = "staff_read_insured_details"


@dataclasses.dataclass(frozen=True)
class CoverageView:
    product_code: str
    product_name: str
    product_kind: ProductKind
    start_date: dt.date
    end_date: dt.date | None


@dataclasses.dataclass(frozen=True)
class FamilyMemberView:
    insured_id: int
    initials: str
    first_name: str
    name_prefix: str | None
    last_name: str
    birth_date: dt.date
    relation: Relation
    # The member's latest membership of this collectivity; None when never a member of it.
    membership: MembershipView | None

    @property
    def name(self) -> str:
        return display_name(self.initials, self.name_prefix, self.last_name)


@dataclasses.dataclass(frozen=True)
class InsuredDetails:
    insured_id: int
    collectivity_id: int
    version: int
    initials: str
    first_name: str
    name_prefix: str | None
    last_name: str
    birth_date: dt.date
    gender: Gender | None
    relation: Relation
    bsn: str
    policy_number: str
    # Every membership of this collectivity, oldest first; the last is the current one.
    memberships: list[MembershipView]
    coverages: list[CoverageView]
    family: list[FamilyMemberView]
    mutations: list[MutationEntry]

    @property
    def name(self) -> str:
        return display_name(self.initials, self.name_prefix, self.last_name)


async def _coverages(db: AsyncSession, insured_id: int) -> list[CoverageView]:
    rows = await db.execute(
        select(Coverage, Product)
        .join(Product, Product.id == Coverage.product_id)
        .where(Coverage.insured_id == insured_id)
        .order_by(Coverage.start_date, Product.kind, Product.code, Coverage.id)
    )
    return [
        CoverageView(
            product_code=product.code,
            product_name=product.name,
            product_kind=product.kind,
            start_date=coverage.start_date,
            end_date=coverage.end_date,
        )
        for coverage, product in rows
    ]


async def _family(
    db: AsyncSession, actor: Actor, policy_id: int, collectivity_id: int, today: dt.date
) -> list[FamilyMemberView]:
    """Everyone on the policy who is or was a member of a collectivity in the actor's scope: a
    person only ever insured through another employer's collectivity stays out of sight (B3)."""
    in_scope = Enrollment.insured_id == InsuredPerson.id
    if actor.scope is not None:
        in_scope = in_scope & Enrollment.collectivity_id.in_(actor.scope)
    people = list(
        await db.scalars(
            select(InsuredPerson).where(
                InsuredPerson.policy_id == policy_id, exists().where(in_scope)
            )
        )
    )
    enrollments = await db.scalars(
        select(Enrollment)
        .where(
            Enrollment.insured_id.in_([p.id for p in people]),
            Enrollment.collectivity_id == collectivity_id,
        )
        .order_by(Enrollment.start_date, Enrollment.id)
    )
    latest = {e.insured_id: e for e in enrollments}
    order = {Relation.POLICYHOLDER: 0, Relation.PARTNER: 1, Relation.CHILD: 2}
    people.sort(key=lambda p: (order[p.relation], p.birth_date, p.id))
    return [
        FamilyMemberView(
            insured_id=p.id,
            initials=p.initials,
            first_name=p.first_name,
            name_prefix=p.name_prefix,
            last_name=p.last_name,
            birth_date=p.birth_date,
            relation=p.relation,
            membership=view_of(latest[p.id], p, today) if p.id in latest else None,
        )
        for p in people
    ]


async def get_insured_details(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    insured_id: int,
    *,
    today: dt.date,
    now: dt.datetime,
    client_address: str | None,
) -> InsuredDetails:
    actor.require_scope(collectivity_id)
    member = exists().where(
        Enrollment.insured_id == InsuredPerson.id, Enrollment.collectivity_id == collectivity_id
    )
    found = (
        await db.execute(
            select(InsuredPerson, Policy.policy_number)
            .join(Policy, Policy.id == InsuredPerson.policy_id)
            .where(InsuredPerson.id == insured_id, member)
        )
    ).first()
    if found is None:
        raise NotFound("id")
    if not await uses_salary_deduction(db, collectivity_id, today):
        raise DomainError(ErrorCode.DETAILS_NEED_SALARY_DEDUCTION, field="id")
    person, policy_number = found
    enrollments = await db.scalars(
        select(Enrollment)
        .where(Enrollment.insured_id == insured_id, Enrollment.collectivity_id == collectivity_id)
        .order_by(Enrollment.start_date, Enrollment.id)
    )
    details = InsuredDetails(
        insured_id=person.id,
        collectivity_id=collectivity_id,
        version=person.version,
        initials=person.initials,
        first_name=person.first_name,
        name_prefix=person.name_prefix,
        last_name=person.last_name,
        birth_date=person.birth_date,
        gender=person.gender,
        relation=person.relation,
        bsn=person.bsn,
        policy_number=policy_number,
        memberships=[view_of(e, person, today) for e in enrollments],
        coverages=await _coverages(db, insured_id),
        family=await _family(db, actor, person.policy_id, collectivity_id, today),
        mutations=await history_of(db, insured_id, collectivity_id),
    )
    if actor.is_staff:
        audit.record(
            db,
            action=STAFF_READ_ACTION,
            outcome=AuditOutcome.SUCCESS,
            at=now,
            actor_user_id=actor.user_id,
            collectivity_id=collectivity_id,
            client_address=client_address,
            insured_id=insured_id,
        )
        await db.commit()
    return details
