"""The monthly prolongation run (D3): the borderel of month M for every collectivity with salary
deduction in M.

A borderel holds

* **regular lines** — every insured with a membership in M, per product covered in M, for M;
* **correction lines** — for each earlier month already billed to this collectivity, per insured
  and product, the recalculated amount minus everything billed before (regular and correction
  lines of every earlier borderel). Nothing is corrected when nothing changed.

Which insured are recalculated: those with a mutation registered since the previous borderel of
the collectivity was started (less ``MUTATION_MARGIN``, for mutations whose transaction was still
open when it read), who are or were a member of the collectivity or were billed to it. A move
registers a mutation for the insured, so both collectivities of a move correct it. Recalculating
someone whose amounts did not change adds no line, so the margin only costs time.

A borderel is immutable and unique per collectivity and month: a second run for the same month
changes nothing (``already_made``), also when two runs race (the unique constraint decides; the
loser rolls back). Each collectivity is made in its own transaction, holding the collectivity's
row lock on PostgreSQL so that mutations of its members wait for the run. Totals are the sums of
the lines, checked by the database (``totals_reconcile``).

With acceptgiro in the month's contract, the borderel's invoice is made in the same transaction
(``invoices.invoice_for``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal

from sqlalchemy import Select, Subquery, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import Borderel, BorderelLine, Contract, Enrollment, InsuredPerson, Mutation
from storage.enums import BorderelLineKind, PremiumCollection

from .errors import DomainError, ErrorCode
from .insured_mutations import lock_collectivity
from .premium_calculation import Computed, ProductFacts, compute_month
from .premium_facts import (
    Household,
    YearTerms,
    contract_year,
    enrolled_in,
    households,
    load_contract_years,
    load_products,
    members_in,
)
from .premiums import ZERO, PremiumLine, month_bounds

MUTATION_MARGIN = dt.timedelta(minutes=10)
_AMOUNTS = ("gross_premium", "discount", "premium", "employer_contribution", "deduction")

Key = tuple[int, int, dt.date]  # insured, product, period
AfterBorderel = Callable[[AsyncSession, Borderel, YearTerms], Awaitable[None]]


@dataclasses.dataclass(frozen=True, slots=True)
class Amounts:
    gross_premium: Decimal = ZERO
    discount: Decimal = ZERO
    premium: Decimal = ZERO
    employer_contribution: Decimal = ZERO
    deduction: Decimal = ZERO

    def minus(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, a) - getattr(other, a) for a in _AMOUNTS))

    @property
    def is_nil(self) -> bool:
        return all(getattr(self, a) == 0 for a in _AMOUNTS)


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """What the run did for one collectivity."""

    collectivity_id: int
    borderel_id: int | None
    made: bool  # False: the borderel already existed (idempotent rerun) or an error
    error: ErrorCode | None = None


async def salary_deduction_collectivities(db: AsyncSession, month: dt.date) -> list[int]:
    """Collectivities whose contract for ``month`` uses salary deduction."""
    first, _ = month_bounds(month)
    rows = await db.scalars(
        select(Contract.collectivity_id)
        .where(
            Contract.year == first.year,
            Contract.start_date <= first + dt.timedelta(days=27),
            Contract.end_date >= first,
            Contract.premium_collection == PremiumCollection.SALARY_DEDUCTION,
        )
        .order_by(Contract.collectivity_id)
    )
    return list(rows)


def check_month_billable(years: dict[int, YearTerms], month: dt.date) -> YearTerms:
    """The contract year of ``month``, which must use salary deduction (D3, D7)."""
    year = contract_year(years, month)
    if not year.salary_deduction:
        raise DomainError(ErrorCode.BORDEREL_NEEDS_SALARY_DEDUCTION, field="month")
    return year


async def run_prolongation(
    sessionmaker: async_sessionmaker[AsyncSession],
    month: dt.date,
    *,
    now: dt.datetime,
    collectivity_ids: Iterable[int] | None = None,
    after_borderel: AfterBorderel | None = None,
) -> list[Outcome]:
    """Make the borderel of ``month`` for each collectivity (default: all with salary deduction
    in that month), each in its own transaction. Returns what happened per collectivity."""
    if collectivity_ids is None:
        async with sessionmaker() as db:
            collectivity_ids = await salary_deduction_collectivities(db, month)
    outcomes = []
    for collectivity_id in collectivity_ids:
        async with sessionmaker() as db:
            try:
                outcomes.append(
                    await make_borderel(
                        db, collectivity_id, month, now=now, after_borderel=after_borderel
                    )
                )
            except DomainError as error:
                await db.rollback()
                outcomes.append(Outcome(collectivity_id, None, made=False, error=error.code))
    return outcomes


async def _existing(db: AsyncSession, collectivity_id: int, month: dt.date) -> int | None:
    return await db.scalar(
        select(Borderel.id).where(
            Borderel.collectivity_id == collectivity_id, Borderel.month == month
        )
    )


async def make_borderel(
    db: AsyncSession,
    collectivity_id: int,
    month: dt.date,
    *,
    now: dt.datetime,
    after_borderel: AfterBorderel | None = None,
) -> Outcome:
    """The borderel of one collectivity for ``month``; commits. Idempotent."""
    month = month.replace(day=1)
    await lock_collectivity(db, collectivity_id)
    existing = await _existing(db, collectivity_id, month)
    if existing is not None:
        await db.rollback()
        return Outcome(collectivity_id, existing, made=False)
    years = await load_contract_years(db, collectivity_id)
    year = check_month_billable(years, month)
    products = await load_products(db)
    chosen = enrolled_in(collectivity_id, month)
    regular = compute_month(
        month,
        await members_in(db, collectivity_id, chosen, month_bounds(month)),
        products,
        year.terms,
    )
    corrections = await _corrections(db, collectivity_id, month, products, years)
    # Corrections may concern former members: then every insured related to the collectivity.
    related = select(_affected(collectivity_id, since=None).c.insured_id)
    family = await households(db, collectivity_id, related if corrections else chosen)
    rows = _line_rows(regular, corrections, family)
    borderel = Borderel(
        collectivity_id=collectivity_id,
        month=month,
        created_at=now,
        line_count=len(rows),
        total_premium=sum((r["premium"] for r in rows), ZERO),
        total_employer_contribution=sum((r["employer_contribution"] for r in rows), ZERO),
        total_deduction=sum((r["deduction"] for r in rows), ZERO),
    )
    db.add(borderel)
    try:
        await db.flush()
    except IntegrityError:  # a concurrent run made it first
        await db.rollback()
        return Outcome(collectivity_id, await _existing(db, collectivity_id, month), made=False)
    for row in rows:
        row["borderel_id"] = borderel.id
    if rows:
        # A Core insert: half the time of the ORM's bulk insert (no per-row ORM bookkeeping; the
        # rows' keys are the column names).
        await db.execute(insert(BorderelLine.__table__), rows)
    if after_borderel is not None:
        await after_borderel(db, borderel, year)
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
        return Outcome(collectivity_id, await _existing(db, collectivity_id, month), made=False)
    return Outcome(collectivity_id, borderel.id, made=True)


def _affected(collectivity_id: int, since: dt.datetime | None) -> Subquery:
    """Subquery ``insured_id``: members of the collectivity (ever) and insured billed to it; with
    ``since``, only those with a mutation registered since then."""
    billed = (
        select(BorderelLine.insured_id.label("insured_id"))
        .join(Borderel, Borderel.id == BorderelLine.borderel_id)
        .where(Borderel.collectivity_id == collectivity_id)
    )
    members = select(Enrollment.insured_id.label("insured_id")).where(
        Enrollment.collectivity_id == collectivity_id
    )
    related = billed.union(members).subquery()
    statement = select(related.c.insured_id)
    if since is not None:
        statement = statement.where(
            related.c.insured_id.in_(
                select(Mutation.insured_id).where(Mutation.registered_at >= since)
            )
        )
    return statement.subquery()


async def _corrections(
    db: AsyncSession,
    collectivity_id: int,
    month: dt.date,
    products: dict[int, ProductFacts],
    years: dict[int, YearTerms],
) -> dict[Key, Computed]:
    """Correction lines: recalculated minus billed, for the affected insured and billed months."""
    previous = await db.execute(
        select(Borderel.month, Borderel.created_at)
        .where(Borderel.collectivity_id == collectivity_id, Borderel.month < month)
        .order_by(Borderel.month)
    )
    billed_months = previous.all()
    if not billed_months:
        return {}
    since = max(created for _, created in billed_months) - MUTATION_MARGIN
    affected = _affected(collectivity_id, since)
    chosen = select(affected.c.insured_id)
    members = await members_in(db, collectivity_id, chosen)
    billed = await _billed(db, collectivity_id, chosen)
    recalculated: dict[Key, Computed] = {}
    for period, _ in billed_months:
        year = years.get(period.year)
        if year is None:
            continue
        for computed in compute_month(period, members, products, year.terms):
            recalculated[(computed.insured_id, computed.product_id, period)] = computed
    policy_of = {m.insured_id: m.policy_id for m in members}
    differences: dict[Key, Computed] = {}
    for key in recalculated.keys() | billed.keys():
        now = recalculated.get(key)
        before = billed.get(key, (Amounts(), 0))[0]
        after = _amounts(now) if now is not None else Amounts()
        difference = after.minus(before)
        if difference.is_nil:
            continue
        insured_id, product_id, period = key
        line = _correction_line(now, difference, period)
        policy_id = policy_of[insured_id] if insured_id in policy_of else billed[key][1]
        differences[key] = Computed(insured_id, policy_id, product_id, line)
    return differences


def _amounts(computed: Computed) -> Amounts:
    line = computed.line
    return Amounts(
        line.gross_premium, line.discount, line.premium, line.employer_contribution, line.deduction
    )


def _correction_line(now: Computed | None, difference: Amounts, period: dt.date) -> PremiumLine:
    """A correction: the differences as amounts; tariff, days and discount % as recalculated."""
    first, last = month_bounds(period)
    return PremiumLine(
        month=period,
        tariff=now.line.tariff if now else ZERO,
        days=now.line.days if now else 0,
        days_in_month=(last - first).days + 1,
        gross_premium=difference.gross_premium,
        discount_percentage=now.line.discount_percentage if now else ZERO,
        discount=difference.discount,
        premium=difference.premium,
        employer_contribution=difference.employer_contribution,
    )


async def _billed(
    db: AsyncSession, collectivity_id: int, chosen: Select[tuple[int]]
) -> dict[Key, tuple[Amounts, int]]:
    """Everything billed to the collectivity for the chosen insured, per insured, product and
    month, with the insured's policy."""
    statement = (
        select(
            BorderelLine.insured_id,
            BorderelLine.product_id,
            BorderelLine.period,
            *(func.sum(getattr(BorderelLine, a)) for a in _AMOUNTS),
            InsuredPerson.policy_id,
        )
        .join(Borderel, Borderel.id == BorderelLine.borderel_id)
        .join(InsuredPerson, InsuredPerson.id == BorderelLine.insured_id)
        .where(Borderel.collectivity_id == collectivity_id, BorderelLine.insured_id.in_(chosen))
        .group_by(
            BorderelLine.insured_id,
            BorderelLine.product_id,
            BorderelLine.period,
            InsuredPerson.policy_id,
        )
    )
    found: dict[Key, tuple[Amounts, int]] = {}
    for insured_id, product_id, period, *sums, policy_id in await db.execute(statement):
        found[(insured_id, product_id, period)] = (Amounts(*(Decimal(s) for s in sums)), policy_id)
    return found


def _line_rows(
    regular: list[Computed],
    corrections: dict[Key, Computed],
    family: dict[int, Household],
) -> list[dict[str, object]]:
    """The borderel's lines as rows, family by family: regular lines, then corrections by month."""
    tagged = [(BorderelLineKind.REGULAR, c) for c in regular]
    tagged += [(BorderelLineKind.CORRECTION, c) for c in corrections.values()]
    tagged.sort(
        key=lambda t: (
            t[1].policy_id,
            t[1].insured_id,
            t[0] != BorderelLineKind.REGULAR,
            t[1].line.month,
        )
    )
    rows = []
    for kind, computed in tagged:
        household = family.get(computed.policy_id)
        line = computed.line
        rows.append(
            {
                "kind": kind,
                "insured_id": computed.insured_id,
                "policyholder_id": household.policyholder_id if household else computed.insured_id,
                "product_id": computed.product_id,
                "period": line.month,
                "employee_number": household.employee_number if household else None,
                "days": line.days,
                "gross_premium": line.gross_premium,
                "discount": line.discount,
                "premium": line.premium,
                "employer_contribution": line.employer_contribution,
                "deduction": line.deduction,
            }
        )
    return rows
