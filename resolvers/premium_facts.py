"""Loading the facts the premium calculation needs from the database, in a few set-based queries
(no per-insured round trips, no long ``IN`` lists: the members are chosen by a subquery).

``members_in(db, collectivity_id, chosen, window)`` gives ``MemberFacts`` for the insured that the
``chosen`` subquery selects: their memberships of the collectivity and their coverages, optionally
limited to those overlapping ``window``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Contract, Coverage, Enrollment, InsuredPerson, Product, Tariff
from storage.enums import PaymentMethod, PremiumCollection, Relation

from .errors import DomainError, ErrorCode
from .premium_calculation import MemberFacts, ProductFacts, Terms
from .premiums import Period, month_bounds


async def load_products(db: AsyncSession) -> dict[int, ProductFacts]:
    tariffs: dict[int, dict[int, Any]] = defaultdict(dict)
    for product_id, year, premium in await db.execute(
        select(Tariff.product_id, Tariff.year, Tariff.monthly_premium)
    ):
        tariffs[product_id][year] = premium
    return {
        p.id: ProductFacts(p.id, p.code, p.name, p.kind, p.free_for_children, tariffs[p.id])
        for p in await db.scalars(select(Product))
    }


@dataclasses.dataclass(frozen=True, slots=True)
class YearTerms:
    """A contract year: whether borderels are made (salary deduction), invoices (acceptgiro), and
    the terms the premium depends on."""

    start_date: dt.date
    end_date: dt.date
    salary_deduction: bool
    acceptgiro: bool
    terms: Terms


def contract_year(years: dict[int, YearTerms], month: dt.date) -> YearTerms:
    """The contract year covering ``month``: MONTH_BEFORE_CONTRACT before the collectivity's
    first contract, MONTH_WITHOUT_CONTRACT after its last or in a gap (D3, D6)."""
    first, last = month_bounds(month)
    year = years.get(first.year)
    if year is None or year.end_date < first or year.start_date > last:
        if all(y.start_date > last for y in years.values()):
            raise DomainError(ErrorCode.MONTH_BEFORE_CONTRACT, field="month")
        raise DomainError(ErrorCode.MONTH_WITHOUT_CONTRACT, field="month")
    return year


async def load_contract_years(db: AsyncSession, collectivity_id: int) -> dict[int, YearTerms]:
    rows = await db.scalars(select(Contract).where(Contract.collectivity_id == collectivity_id))
    return {
        c.year: YearTerms(
            start_date=c.start_date,
            end_date=c.end_date,
            salary_deduction=c.premium_collection is PremiumCollection.SALARY_DEDUCTION,
            acceptgiro=c.payment_method is PaymentMethod.ACCEPTGIRO,
            terms=Terms(
                discount_percentage=c.discount_percentage,
                contribution_kind=c.employer_contribution_kind,
                contribution_amount=c.employer_contribution_amount,
                contribution_percentage=c.employer_contribution_percentage,
            ),
        )
        for c in rows
    }


def overlapping(start: Any, end: Any, first: dt.date, last: dt.date) -> Any:
    """SQL: the period [start, end] (end inclusive, NULL open) overlaps [first, last]."""
    return and_(start <= last, or_(end.is_(None), end >= first))


def enrolled_in(collectivity_id: int, month: dt.date) -> Select[tuple[int]]:
    """Subquery: the insured with a membership of the collectivity in ``month``."""
    first, last = month_bounds(month)
    return select(Enrollment.insured_id).where(
        Enrollment.collectivity_id == collectivity_id,
        overlapping(Enrollment.start_date, Enrollment.end_date, first, last),
    )


async def members_in(
    db: AsyncSession,
    collectivity_id: int,
    chosen: Select[tuple[int]],
    window: tuple[dt.date, dt.date] | None = None,
) -> list[MemberFacts]:
    """The facts of the ``chosen`` insured within the collectivity (see the module docstring)."""
    memberships: dict[int, list[Period]] = defaultdict(list)
    statement = select(Enrollment.insured_id, Enrollment.start_date, Enrollment.end_date).where(
        Enrollment.collectivity_id == collectivity_id, Enrollment.insured_id.in_(chosen)
    )
    if window is not None:
        statement = statement.where(
            overlapping(Enrollment.start_date, Enrollment.end_date, *window)
        )
    for insured_id, start, end in await db.execute(statement):
        memberships[insured_id].append((start, end))
    coverages: dict[int, list[tuple[int, Period]]] = defaultdict(list)
    statement = select(
        Coverage.insured_id, Coverage.product_id, Coverage.start_date, Coverage.end_date
    ).where(Coverage.insured_id.in_(chosen))
    if window is not None:
        statement = statement.where(overlapping(Coverage.start_date, Coverage.end_date, *window))
    for insured_id, product_id, start, end in await db.execute(statement):
        coverages[insured_id].append((product_id, (start, end)))
    people = await db.execute(
        select(
            InsuredPerson.id,
            InsuredPerson.policy_id,
            InsuredPerson.relation,
            InsuredPerson.birth_date,
        ).where(InsuredPerson.id.in_(chosen))
    )
    return [
        MemberFacts(
            insured_id=insured_id,
            policy_id=policy_id,
            relation=relation,
            birth_date=birth_date,
            memberships=tuple(sorted(memberships[insured_id], key=lambda p: p[0])),
            coverages=tuple(coverages[insured_id]),
        )
        for insured_id, policy_id, relation, birth_date in people
        if insured_id in memberships
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class Household:
    """Who a policy's lines are booked on: the policyholder and their employee number here."""

    policyholder_id: int
    employee_number: str | None


async def households(
    db: AsyncSession, collectivity_id: int, chosen: Select[tuple[int]]
) -> dict[int, Household]:
    """Per policy of the ``chosen`` insured: the policyholder and the employee number of their
    latest membership of the collectivity (None when they have none there, or no number)."""
    holder = InsuredPerson.__table__.alias("holder")
    member = InsuredPerson.__table__.alias("member")
    statement = (
        select(holder.c.policy_id, holder.c.id, Enrollment.employee_number)
        .select_from(holder)
        .outerjoin(
            Enrollment,
            and_(
                Enrollment.insured_id == holder.c.id,
                Enrollment.collectivity_id == collectivity_id,
            ),
        )
        .where(
            holder.c.relation == Relation.POLICYHOLDER.value,
            holder.c.policy_id.in_(select(member.c.policy_id).where(member.c.id.in_(chosen))),
        )
        .order_by(holder.c.policy_id, Enrollment.start_date)
    )
    found: dict[int, Household] = {}
    for policy_id, holder_id, number in await db.execute(statement):
        found[policy_id] = Household(holder_id, number)  # the latest membership wins
    return found
