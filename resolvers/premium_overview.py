"""The premium overview (D6): every insured of a collectivity with their premium for one month,
page by page for the API and as an Excel file with the columns the user picks.

* **Who**: one row per insured with a membership of the collectivity in the month (someone who
  left and came back within the month is one row), ordered by name (``Enrollment.sort_name``,
  then the insured's id): the same people as the regular lines of that month's borderel.
* **Amounts**: ``premium_calculation.compute_month`` — the engine of the prolongation run — on
  the facts of those insured, with the contract terms of the month's year. Per product kind
  (basic, supplementary, dental) the premium after discount (summed when someone has two
  products of a kind), the total, the employer contribution and the deduction, and the days of
  the month in the collectivity. So the overview of a billed month equals that borderel's
  regular lines (corrections of earlier months are not premium *for* this month).
* **Salary deduction**: the overview is available for every collectivity in scope (like C1); the
  premium is what the insured owes whoever collects it. The employer contribution and the
  deduction exist only where the employer collects through payroll: for a month whose contract
  uses ``INDIVIDUAL`` collection they are ``None`` (empty cells in Excel). See docs/premiums.md.
* **Month**: ``YYYY-MM``; at most the coming month (``MONTH_OUT_OF_RANGE``), and a month the
  collectivity has a contract for (``MONTH_BEFORE_CONTRACT`` before its first contract,
  ``MONTH_WITHOUT_CONTRACT`` after its last or in a gap). A product covered in the month without
  a tariff for its year is ``TARIFF_MISSING``, found when the month is checked.
* **Scope** (B1, B3, B4): a collectivity outside the actor's scope is ``NOT_FOUND``; staff see
  every collectivity, and a staff read of a page is audited (``staff_read_insured``).

The Excel file is written when its link is fetched (``server/downloads.py``), in batches of
``BATCH_SIZE`` insured (a keyset query, then the facts of just those insured), each batch written
in a thread while the next is read (``spreadsheets.write_spreadsheet``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Collectivity, Coverage, Enrollment, InsuredPerson, Policy, Tariff
from storage.enums import AuditOutcome, ProductKind, Relation

from . import audit, staff_reads
from .actor import Actor
from .collectivities import get_collectivity
from .download_links import DownloadKind, DownloadLink, DownloadLinks, DownloadTicket
from .errors import DomainError, ErrorCode
from .insured_overview import RELATION_LABELS, language_of
from .months import check_not_beyond_next, format_month, parse_month
from .pagination import Page, check_page_size, decode_cursor, encode_cursor
from .premium_calculation import Computed, ProductFacts, compute_month
from .premium_facts import (
    YearTerms,
    contract_year,
    enrolled_in,
    households,
    load_contract_years,
    load_products,
    members_in,
    overlapping,
)
from .premiums import ZERO, billable_days, month_bounds
from .spreadsheets import Column, ColumnType, write_spreadsheet

BATCH_SIZE = 1000
_CURSOR_KIND = "premium-overview"


class PremiumOverviewColumn(enum.StrEnum):
    """The columns offered for the Excel file, in their default order."""

    LAST_NAME = "LAST_NAME"
    NAME_PREFIX = "NAME_PREFIX"
    INITIALS = "INITIALS"
    FIRST_NAME = "FIRST_NAME"
    BIRTH_DATE = "BIRTH_DATE"
    RELATION = "RELATION"
    POLICY_NUMBER = "POLICY_NUMBER"
    EMPLOYEE_NUMBER = "EMPLOYEE_NUMBER"
    DAYS = "DAYS"
    BASIC_PREMIUM = "BASIC_PREMIUM"
    SUPPLEMENTARY_PREMIUM = "SUPPLEMENTARY_PREMIUM"
    DENTAL_PREMIUM = "DENTAL_PREMIUM"
    TOTAL_PREMIUM = "TOTAL_PREMIUM"
    EMPLOYER_CONTRIBUTION = "EMPLOYER_CONTRIBUTION"
    DEDUCTION = "DEDUCTION"


_C = PremiumOverviewColumn
# column: (Dutch header, English header, type, width)
_COLUMNS: dict[PremiumOverviewColumn, tuple[str, str, ColumnType, float]] = {
    _C.LAST_NAME: ("Achternaam", "Last name", ColumnType.TEXT, 22),
    _C.NAME_PREFIX: ("Tussenvoegsel", "Prefix", ColumnType.TEXT, 13),
    _C.INITIALS: ("Voorletters", "Initials", ColumnType.TEXT, 11),
    _C.FIRST_NAME: ("Voornaam", "First name", ColumnType.TEXT, 16),
    _C.BIRTH_DATE: ("Geboortedatum", "Birth date", ColumnType.DATE, 14),
    _C.RELATION: ("Relatie", "Relation", ColumnType.TEXT, 16),
    _C.POLICY_NUMBER: ("Polisnummer", "Policy number", ColumnType.TEXT, 14),
    _C.EMPLOYEE_NUMBER: ("Werknemersnummer", "Employee number", ColumnType.TEXT, 17),
    _C.DAYS: ("Dagen", "Days", ColumnType.NUMBER, 8),
    _C.BASIC_PREMIUM: ("Premie basis", "Basic premium", ColumnType.MONEY, 14),
    _C.SUPPLEMENTARY_PREMIUM: (
        "Premie aanvullend",
        "Supplementary premium",
        ColumnType.MONEY,
        18,
    ),
    _C.DENTAL_PREMIUM: ("Premie tand", "Dental premium", ColumnType.MONEY, 14),
    _C.TOTAL_PREMIUM: ("Totale premie", "Total premium", ColumnType.MONEY, 14),
    _C.EMPLOYER_CONTRIBUTION: (
        "Werkgeversbijdrage",
        "Employer contribution",
        ColumnType.MONEY,
        18,
    ),
    _C.DEDUCTION: ("Inhouding", "Deduction", ColumnType.MONEY, 12),
}


@dataclasses.dataclass(frozen=True, slots=True)
class ProductPremium:
    """One product line of a row: the engine's line, explainable."""

    product: ProductFacts
    computed: Computed


@dataclasses.dataclass(frozen=True, slots=True)
class PremiumRow:
    insured_id: int
    initials: str
    first_name: str
    name_prefix: str | None
    last_name: str
    birth_date: dt.date
    relation: Relation
    policy_number: str
    employee_number: str | None  # of the policyholder, as on the borderel
    days: int  # days of the month in the collectivity
    basic_premium: Decimal
    supplementary_premium: Decimal
    dental_premium: Decimal
    total_premium: Decimal
    employer_contribution: Decimal | None  # None without salary deduction
    deduction: Decimal | None
    lines: tuple[ProductPremium, ...]

    def value(self, column: PremiumOverviewColumn, language: str) -> Any:
        if column is _C.RELATION:
            return RELATION_LABELS[language_of(language)][self.relation]
        return getattr(self, column.value.lower())


@dataclasses.dataclass(frozen=True, slots=True)
class OverviewMonth:
    """A checked request: the collectivity (in scope), the month and its contract year."""

    collectivity: Collectivity
    month: dt.date
    year: YearTerms


async def check_month(
    db: AsyncSession, actor: Actor, collectivity_id: int, month: str, *, today: dt.date
) -> OverviewMonth:
    """The collectivity in scope (else NOT_FOUND, B3) and a month the overview can show."""
    collectivity = await get_collectivity(db, actor, collectivity_id, field="collectivity_id")
    first = parse_month(month)
    check_not_beyond_next(first, today)
    year = contract_year(await load_contract_years(db, collectivity_id), first)
    start, last = month_bounds(first)
    missing = await db.scalar(
        select(Coverage.product_id)
        .where(
            Coverage.insured_id.in_(enrolled_in(collectivity_id, first)),
            overlapping(Coverage.start_date, Coverage.end_date, start, last),
            ~select(Tariff.id)
            .where(Tariff.product_id == Coverage.product_id, Tariff.year == first.year)
            .exists(),
        )
        .limit(1)
    )
    if missing is not None:
        products = await load_products(db)
        raise DomainError(
            ErrorCode.TARIFF_MISSING,
            field="month",
            product=products[missing].code,
            year=first.year,
        )
    return OverviewMonth(collectivity, first, year)


def check_columns(columns: Sequence[str] | None) -> list[PremiumOverviewColumn]:
    """The chosen columns in the chosen order (None: all offered columns). Each must be offered
    and chosen once (INVALID_COLUMN naming it); an empty choice is VALUE_REQUIRED."""
    if columns is None:
        return list(PremiumOverviewColumn)
    if not columns:
        raise DomainError(ErrorCode.VALUE_REQUIRED, field="columns")
    chosen: list[PremiumOverviewColumn] = []
    for index, name in enumerate(columns):
        try:
            column = PremiumOverviewColumn(name)
        except ValueError:
            column = None
        if column is None or column in chosen:
            raise DomainError(ErrorCode.INVALID_COLUMN, field=f"columns.{index}", column=str(name))
        chosen.append(column)
    return chosen


def _people(collectivity_id: int, month: dt.date) -> Select[Any]:
    """The insured with a membership in ``month``, one row each, by name then id."""
    first, last = month_bounds(month)
    return (
        select(
            Enrollment.sort_name,
            InsuredPerson.id,
            InsuredPerson.initials,
            InsuredPerson.first_name,
            InsuredPerson.name_prefix,
            InsuredPerson.last_name,
            InsuredPerson.birth_date,
            InsuredPerson.relation,
            Policy.policy_number,
        )
        .select_from(Enrollment)
        .join(InsuredPerson, InsuredPerson.id == Enrollment.insured_id)
        .join(Policy, Policy.id == InsuredPerson.policy_id)
        .where(
            Enrollment.collectivity_id == collectivity_id,
            overlapping(Enrollment.start_date, Enrollment.end_date, first, last),
        )
        .distinct()
        .order_by(Enrollment.sort_name, InsuredPerson.id)
    )


async def _after(
    db: AsyncSession, statement: Select[Any], collectivity_id: int, insured_id: int
) -> Select[Any]:
    """``statement`` continued after the insured ``insured_id`` (its name read from the
    database: cursors carry no names). Not a member here: INVALID_CURSOR."""
    name = await db.scalar(
        select(Enrollment.sort_name)
        .where(Enrollment.collectivity_id == collectivity_id, Enrollment.insured_id == insured_id)
        .limit(1)
    )
    if name is None:
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
    return statement.where(
        or_(
            Enrollment.sort_name > name,
            and_(Enrollment.sort_name == name, InsuredPerson.id > insured_id),
        )
    )


async def _rows(
    db: AsyncSession,
    selected: OverviewMonth,
    people: Sequence[Any],
    products: dict[int, ProductFacts],
) -> list[PremiumRow]:
    """The premium rows of ``people`` (rows of ``_people``), in their order."""
    if not people:
        return []
    collectivity_id, month = selected.collectivity.id, selected.month
    chosen = select(InsuredPerson.id).where(InsuredPerson.id.in_([p[1] for p in people]))
    members = await members_in(db, collectivity_id, chosen, month_bounds(month))
    family = await households(db, collectivity_id, chosen)
    lines: dict[int, list[ProductPremium]] = {}
    for computed in compute_month(month, members, products, selected.year.terms):
        product = products[computed.product_id]
        lines.setdefault(computed.insured_id, []).append(ProductPremium(product, computed))
    by_id = {m.insured_id: m for m in members}
    salary = selected.year.salary_deduction
    rows = []
    for (
        _sort,
        insured_id,
        initials,
        first_name,
        prefix,
        last_name,
        born,
        relation,
        number,
    ) in people:
        own = lines.get(insured_id, [])
        member = by_id.get(insured_id)
        days = sum(billable_days(month, [m]) for m in member.memberships) if member else 0
        per_kind = dict.fromkeys(ProductKind, ZERO)
        for line in own:
            per_kind[line.product.kind] += line.computed.line.premium
        household = family.get(member.policy_id) if member else None
        contribution = sum((x.computed.line.employer_contribution for x in own), ZERO)
        total = sum(per_kind.values(), ZERO)
        rows.append(
            PremiumRow(
                insured_id=insured_id,
                initials=initials,
                first_name=first_name,
                name_prefix=prefix,
                last_name=last_name,
                birth_date=born,
                relation=relation,
                policy_number=number,
                employee_number=household.employee_number if household else None,
                days=days,
                basic_premium=per_kind[ProductKind.BASIC],
                supplementary_premium=per_kind[ProductKind.SUPPLEMENTARY],
                dental_premium=per_kind[ProductKind.DENTAL],
                total_premium=total,
                employer_contribution=contribution if salary else None,
                deduction=total - contribution if salary else None,
                lines=tuple(own),
            )
        )
    return rows


async def premium_overview_page(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    month: str,
    *,
    today: dt.date,
    first: int | None = None,
    after: str | None = None,
) -> Page[PremiumRow]:
    """One page of the overview, by name (G1: ``first`` 1..100, opaque ``after``)."""
    size = check_page_size(first)
    selected = await check_month(db, actor, collectivity_id, month, today=today)
    statement = _people(collectivity_id, selected.month)
    if after is not None:
        (insured_id,) = decode_cursor(_CURSOR_KIND, after, 1)
        if not isinstance(insured_id, int) or isinstance(insured_id, bool):
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        statement = await _after(db, statement, collectivity_id, insured_id)
    people = (await db.execute(statement.limit(size + 1))).all()
    rows = await _rows(db, selected, people[:size], await load_products(db))
    return Page(
        items=rows,
        cursors=[encode_cursor(_CURSOR_KIND, [r.insured_id]) for r in rows],
        has_next_page=len(people) > size,
        has_previous_page=after is not None,
    )


async def count_overview(
    db: AsyncSession, actor: Actor, collectivity_id: int, month: str, *, today: dt.date
) -> int:
    selected = await check_month(db, actor, collectivity_id, month, today=today)
    first, last = month_bounds(selected.month)
    return (
        await db.scalar(
            select(func.count(distinct(Enrollment.insured_id))).where(
                Enrollment.collectivity_id == collectivity_id,
                overlapping(Enrollment.start_date, Enrollment.end_date, first, last),
            )
        )
        or 0
    )


async def record_staff_read(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    rows: Sequence[PremiumRow],
    *,
    now: dt.datetime,
    client_address: str | None,
) -> None:
    """B4: a staff member's read of a page is audited like a page of ``insuredPersons`` (ids
    only, never names), committed before the data is returned. Employer users: nothing."""
    if not actor.is_staff:
        return
    ids = sorted({r.insured_id for r in rows})
    audit.record(
        db,
        action=staff_reads.ACTION,
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=collectivity_id,
        client_address=client_address,
        via="premiumOverview",
        insured_count=len(ids),
        insured_ids=ids,
    )
    await db.commit()


# The Excel file (D6): chosen columns, every row.


def export_columns(columns: Sequence[PremiumOverviewColumn], language: str) -> list[Column]:
    english = language_of(language) == "en"
    return [
        Column(en if english else nl, kind, width)
        for nl, en, kind, width in (_COLUMNS[c] for c in columns)
    ]


async def export_batches(
    db: AsyncSession,
    selected: OverviewMonth,
    columns: Sequence[PremiumOverviewColumn],
    language: str,
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Every row as spreadsheet values, ``BATCH_SIZE`` insured at a time (keyset by name)."""
    products = await load_products(db)
    statement = _people(selected.collectivity.id, selected.month)
    after: int | None = None
    while True:
        page = statement
        if after is not None:
            page = await _after(db, statement, selected.collectivity.id, after)
        people = (await db.execute(page.limit(BATCH_SIZE))).all()
        if not people:
            return
        rows = await _rows(db, selected, people, products)
        yield [tuple(r.value(c, language) for c in columns) for r in rows]
        if len(people) < BATCH_SIZE:
            return
        after = people[-1][1]


def export_filename(collectivity: Collectivity, month: dt.date, language: str) -> str:
    stem = "premieoverzicht" if language_of(language) == "nl" else "premium-overview"
    return f"{stem}-{collectivity.collectivity_number}-{format_month(month)}.xlsx"


async def write_export(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    month: str,
    columns: Sequence[str] | None,
    *,
    today: dt.date,
    language: str,
) -> tuple[str, Path]:
    """The overview as an ``.xlsx`` temporary file (the caller deletes it) and its file name.
    Checked again: the scope or the contract may have changed since the link was made."""
    chosen = check_columns(columns)
    selected = await check_month(db, actor, collectivity_id, month, today=today)
    title = ("Premieoverzicht " if language_of(language) == "nl" else "Premium overview ") + (
        format_month(selected.month)
    )
    path = await write_spreadsheet(
        title,
        export_columns(chosen, language),
        export_batches(db, selected, chosen, language),
    )
    return export_filename(selected.collectivity, selected.month, language), path


async def issue_export_link(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    month: str,
    columns: Sequence[str] | None,
    *,
    links: DownloadLinks,
    now: dt.datetime,
    today: dt.date,
    language: str,
    client_address: str | None = None,
) -> DownloadLink:
    """D6, G5: a short-lived link to the overview of ``month`` with these columns, for this
    user only. Everything is checked now (bad input: a ``DomainError`` naming the field, and no
    link). Audited. Commits."""
    chosen = check_columns(columns)
    selected = await check_month(db, actor, collectivity_id, month, today=today)
    link = links.issue(
        DownloadTicket(
            kind=DownloadKind.PREMIUM_OVERVIEW,
            user_id=actor.user_id,
            collectivity_id=collectivity_id,
            expires_at=links.expiry(now),
            language=language_of(language),
            selection={
                "month": format_month(selected.month),
                "columns": [c.value for c in chosen],
            },
        )
    )
    audit.record(
        db,
        action="premium_overview_link_issued",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=collectivity_id,
        client_address=client_address,
        month=format_month(selected.month),
    )
    await db.commit()
    return link
