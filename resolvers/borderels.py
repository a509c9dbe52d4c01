"""Reading borderels (D3), their lines, correction differences (D4) and prolongation differences
(D5), within the actor's scope (B3: another employer's borderel is NOT_FOUND).

* ``correction_differences(M)``: the correction lines processed into the borderel of month M
  (which correct months before M), summed per insured and corrected month, with totals.
* ``prolongation_differences(A, B)``: the regular lines of the borderels of months A and B
  compared per insured (premium summed over products): who was added, who was removed, and
  whose amount changed, with old, new and difference, so nobody has to read a whole borderel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Borderel, BorderelLine, InsuredPerson, Policy, Product
from storage.enums import BorderelLineKind

from .actor import Actor
from .collectivities import get_collectivity
from .errors import DomainError, ErrorCode, NotFound
from .pagination import Page, check_page_size, decode_cursor, encode_cursor
from .premiums import ZERO

_BIGINT = 2**63 - 1


async def list_borderels(
    db: AsyncSession, actor: Actor, collectivity_id: int, *, first: int | None, after: str | None
) -> Page[Borderel]:
    """Newest month first; keyset on the month (one borderel per collectivity and month)."""
    actor.require_scope(collectivity_id, "id")
    size = check_page_size(first)
    statement = select(Borderel).where(Borderel.collectivity_id == collectivity_id)
    if after is not None:
        (month,) = decode_cursor("borderels:month", after, 1)
        try:
            anchor = dt.date.fromisoformat(month)
        except (TypeError, ValueError):
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after") from None
        statement = statement.where(Borderel.month < anchor)
    rows = list(await db.scalars(statement.order_by(Borderel.month.desc()).limit(size + 1)))
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor("borderels:month", [b.month.isoformat()]) for b in items],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )


async def count_borderels(db: AsyncSession, actor: Actor, collectivity_id: int) -> int:
    actor.require_scope(collectivity_id, "id")
    statement = select(func.count()).where(Borderel.collectivity_id == collectivity_id)
    return await db.scalar(statement) or 0


async def borderels_by_ids(
    db: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Borderel | None]:
    statement = select(Borderel).where(Borderel.id.in_(set(ids)))
    if actor.scope is not None:
        statement = statement.where(Borderel.collectivity_id.in_(actor.scope))
    found = {b.id: b for b in await db.scalars(statement)}
    return [found.get(i) for i in ids]


async def get_borderel(db: AsyncSession, actor: Actor, borderel_id: int, field: str) -> Borderel:
    (row,) = await borderels_by_ids(db, actor, [borderel_id])
    if row is None:
        raise NotFound(field)
    return row


async def borderel_of_month(
    db: AsyncSession, actor: Actor, collectivity_id: int, month: dt.date, field: str
) -> Borderel:
    await get_collectivity(db, actor, collectivity_id, field="collectivity_id")
    row = await db.scalar(
        select(Borderel).where(Borderel.collectivity_id == collectivity_id, Borderel.month == month)
    )
    if row is None:
        raise DomainError(ErrorCode.BORDEREL_NOT_MADE, field=field)
    return row


@dataclasses.dataclass(frozen=True, slots=True)
class LineView:
    """A borderel line with the insured's name and product, for the API."""

    line: BorderelLine
    initials: str
    name_prefix: str | None
    last_name: str
    policy_number: str
    product_code: str
    product_name: str


async def list_lines(
    db: AsyncSession, actor: Actor, borderel_id: int, *, first: int | None, after: str | None
) -> Page[LineView]:
    """The lines in their borderel order (family by family); keyset on the line id."""
    borderel = await get_borderel(db, actor, borderel_id, "id")
    size = check_page_size(first)
    statement = (
        select(
            BorderelLine,
            InsuredPerson.initials,
            InsuredPerson.name_prefix,
            InsuredPerson.last_name,
            Policy.policy_number,
            Product.code,
            Product.name,
        )
        .join(InsuredPerson, InsuredPerson.id == BorderelLine.insured_id)
        .join(Policy, Policy.id == InsuredPerson.policy_id)
        .join(Product, Product.id == BorderelLine.product_id)
        .where(BorderelLine.borderel_id == borderel.id)
    )
    if after is not None:
        (line_id,) = decode_cursor("borderel-lines:id", after, 1)
        if type(line_id) is not int or not 0 < line_id <= _BIGINT:
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        statement = statement.where(BorderelLine.id > line_id)
    rows = (await db.execute(statement.order_by(BorderelLine.id).limit(size + 1))).all()
    items = [LineView(*row) for row in rows[:size]]
    return Page(
        items=items,
        cursors=[encode_cursor("borderel-lines:id", [v.line.id]) for v in items],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Person:
    insured_id: int
    initials: str
    name_prefix: str | None
    last_name: str
    policy_number: str
    employee_number: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class CorrectionDifference:
    """D4: the corrections of one insured for one earlier month, summed over products."""

    person: Person
    period: dt.date
    premium: Decimal
    employer_contribution: Decimal
    deduction: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class CorrectionDifferences:
    month: dt.date
    rows: list[CorrectionDifference]
    premium: Decimal
    employer_contribution: Decimal
    deduction: Decimal


def _people_columns() -> tuple[Any, ...]:
    return (
        InsuredPerson.id,
        InsuredPerson.initials,
        InsuredPerson.name_prefix,
        InsuredPerson.last_name,
        Policy.policy_number,
        BorderelLine.employee_number,
    )


def _sort_key(person: Person) -> tuple[str, str, int]:
    return (person.last_name.casefold(), person.initials.casefold(), person.insured_id)


async def correction_differences(
    db: AsyncSession, actor: Actor, collectivity_id: int, month: dt.date
) -> CorrectionDifferences:
    borderel = await borderel_of_month(db, actor, collectivity_id, month, "month")
    statement = (
        select(
            *_people_columns(),
            BorderelLine.period,
            func.sum(BorderelLine.premium),
            func.sum(BorderelLine.employer_contribution),
            func.sum(BorderelLine.deduction),
        )
        .join(InsuredPerson, InsuredPerson.id == BorderelLine.insured_id)
        .join(Policy, Policy.id == InsuredPerson.policy_id)
        .where(
            BorderelLine.borderel_id == borderel.id,
            BorderelLine.kind == BorderelLineKind.CORRECTION,
        )
        .group_by(*_people_columns(), BorderelLine.period)
    )
    rows = [
        CorrectionDifference(
            Person(*values[:6]),
            values[6],
            Decimal(values[7]),
            Decimal(values[8]),
            Decimal(values[9]),
        )
        for values in await db.execute(statement)
    ]
    rows.sort(key=lambda r: (*_sort_key(r.person), r.period))
    return CorrectionDifferences(
        month=borderel.month,
        rows=rows,
        premium=sum((r.premium for r in rows), ZERO),
        employer_contribution=sum((r.employer_contribution for r in rows), ZERO),
        deduction=sum((r.deduction for r in rows), ZERO),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class ProlongationDifference:
    """D5: one insured whose regular premium differs between the two months."""

    person: Person
    change: str  # ADDED, REMOVED or CHANGED
    old_premium: Decimal | None
    new_premium: Decimal | None

    @property
    def difference(self) -> Decimal:
        return (self.new_premium or ZERO) - (self.old_premium or ZERO)


@dataclasses.dataclass(frozen=True, slots=True)
class ProlongationDifferences:
    from_month: dt.date
    to_month: dt.date
    rows: list[ProlongationDifference]
    old_total: Decimal
    new_total: Decimal


async def _regular_premiums(
    db: AsyncSession, borderel: Borderel
) -> dict[int, tuple[Person, Decimal]]:
    statement = (
        select(*_people_columns(), func.sum(BorderelLine.premium))
        .join(InsuredPerson, InsuredPerson.id == BorderelLine.insured_id)
        .join(Policy, Policy.id == InsuredPerson.policy_id)
        .where(
            BorderelLine.borderel_id == borderel.id,
            BorderelLine.kind == BorderelLineKind.REGULAR,
        )
        .group_by(*_people_columns())
    )
    return {
        values[0]: (Person(*values[:6]), Decimal(values[6]))
        for values in await db.execute(statement)
    }


async def prolongation_differences(
    db: AsyncSession, actor: Actor, collectivity_id: int, from_month: dt.date, to_month: dt.date
) -> ProlongationDifferences:
    if from_month == to_month:
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, field="to_month")
    old_borderel = await borderel_of_month(db, actor, collectivity_id, from_month, "from_month")
    new_borderel = await borderel_of_month(db, actor, collectivity_id, to_month, "to_month")
    old = await _regular_premiums(db, old_borderel)
    new = await _regular_premiums(db, new_borderel)
    rows = []
    for insured_id in old.keys() | new.keys():
        before, after = old.get(insured_id), new.get(insured_id)
        if before is None:
            assert after is not None
            rows.append(ProlongationDifference(after[0], "ADDED", None, after[1]))
        elif after is None:
            rows.append(ProlongationDifference(before[0], "REMOVED", before[1], None))
        elif before[1] != after[1]:
            rows.append(ProlongationDifference(after[0], "CHANGED", before[1], after[1]))
    rows.sort(key=lambda r: _sort_key(r.person))
    return ProlongationDifferences(
        from_month=from_month,
        to_month=to_month,
        rows=rows,
        old_total=sum((p for _, p in old.values()), ZERO),
        new_total=sum((p for _, p in new.values()), ZERO),
    )
