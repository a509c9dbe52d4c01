"""The collectivity overview (C1): search, filter on every column, sort on every column, page by page.

One row per insured per collectivity (``insured_listing.MEMBERSHIP_ROWS``). Everything happens in
SQL, identically on SQLite and PostgreSQL:

* **Search** ("Zoek met") finds insured by BSN (11-proef checked, matched exactly; the BSN never
  goes into a cursor, a log line or an audit event), policy number or employee number (exactly),
  or name (every word of the search occurs in the name).
* **Filters** on every column, all of them combined with AND: text contains (case-insensitive)
  or equals; dates on, before, after or between (inclusive); relation and status any of the given
  values. Status is ACTIVE, FUTURE or ENDED relative to ``today`` and runs as date conditions.
* **Sorting** on every column, ascending or descending; ties by name, then by enrollment id, so
  the order is total and stable. Absent values (end date, employee number) come after every
  value in ascending order and first in descending order, on both databases: the descending
  order is the exact reverse of the ascending one. Relation sorts policyholder, partner, child;
  status sorts ACTIVE, FUTURE, ENDED.

Paging is by keyset: the cursor holds the enrollment id of the last row only (no personal data);
the next page reads that row's sort values back and continues after them. Each order is a list of
*segments* — the rows with a value, then those without; or one per relation or status — read one
after the other, each from the index (collectivity, column, sort_name, id) on ``enrollments``
(see ``storage.Enrollment``), so a page costs the same deep in a 50,000-member collectivity as at
its start, and needs a second query only where it crosses from one segment into the next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Enrollment, InsuredPerson
from storage.enums import Relation

from .actor import Actor
from .bsn import is_valid_bsn, normalise_bsn
from .errors import DomainError, ErrorCode
from .insured_listing import (
    MEMBERSHIP_ROWS,
    InsuredRow,
    MembershipStatus,
    membership_status,
    row_from_values,
)
from .names import last_name_readings, name_search_words
from .pagination import Page, check_page_size, decode_cursor, encode_cursor

MAX_TEXT_LENGTH = 100
_BIGINT = 2**63 - 1


class InsuredSortField(enum.StrEnum):
    NAME = "NAME"
    BIRTH_DATE = "BIRTH_DATE"
    RELATION = "RELATION"
    POLICY_NUMBER = "POLICY_NUMBER"
    EMPLOYEE_NUMBER = "EMPLOYEE_NUMBER"
    START_DATE = "START_DATE"
    END_DATE = "END_DATE"
    STATUS = "STATUS"


class SortDirection(enum.StrEnum):
    ASC = "ASC"
    DESC = "DESC"


class SearchKey(enum.StrEnum):
    BSN = "BSN"
    POLICY_NUMBER = "POLICY_NUMBER"
    EMPLOYEE_NUMBER = "EMPLOYEE_NUMBER"
    NAME = "NAME"


@dataclasses.dataclass(frozen=True)
class InsuredOrder:
    field: InsuredSortField = InsuredSortField.NAME
    direction: SortDirection = SortDirection.ASC


@dataclasses.dataclass(frozen=True)
class TextCondition:
    """Exactly one of ``contains`` (case-insensitive) and ``equals``."""

    contains: str | None = None
    equals: str | None = None


@dataclasses.dataclass(frozen=True)
class DateRange:
    start: dt.date
    end: dt.date


@dataclasses.dataclass(frozen=True)
class DateCondition:
    """Exactly one of ``on``, ``before`` (strictly), ``after`` (strictly), ``between`` (inclusive)."""

    on: dt.date | None = None
    before: dt.date | None = None
    after: dt.date | None = None
    between: DateRange | None = None


@dataclasses.dataclass(frozen=True)
class InsuredFilter:
    """Conditions on the overview's columns, all of which must hold. ``None``: no condition."""

    name: TextCondition | None = None
    policy_number: TextCondition | None = None
    employee_number: TextCondition | None = None
    birth_date: DateCondition | None = None
    start_date: DateCondition | None = None
    end_date: DateCondition | None = None
    relation: Sequence[Relation] | None = None
    status: Sequence[MembershipStatus] | None = None


@dataclasses.dataclass(frozen=True)
class InsuredSearch:
    by: SearchKey
    # May be a BSN: kept out of reprs, so it cannot end up in a log line or a traceback's locals.
    value: str = dataclasses.field(repr=False)


# --- conditions --------------------------------------------------------------------------------


def _text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise DomainError(ErrorCode.VALUE_REQUIRED, field=field)
    if len(text) > MAX_TEXT_LENGTH:
        raise DomainError(ErrorCode.VALUE_TOO_LONG, field=field, maximum=MAX_TEXT_LENGTH)
    return text


def _has_control_characters(text: str) -> bool:
    """No name or number holds one; PostgreSQL refuses NUL in text, so never send them."""
    return any(unicodedata.category(c) == "Cc" for c in text)


def _bytes_equal(column: Any, value: str) -> ColumnElement[bool]:
    return false() if _has_control_characters(value) else column == value


def _name_contains(text: str) -> ColumnElement[bool]:
    """Every word of ``text`` occurs in the name (the lower-case sort name)."""
    if _has_control_characters(text):
        return false()
    words = name_search_words(text) or [text.lower()]
    return and_(*(Enrollment.sort_name.contains(w, autoescape=True) for w in words))


def _last_name_is(text: str) -> ColumnElement[bool]:
    """The last name is ``text``, with or without its prefix: ranges of the name index."""
    if _has_control_characters(text):
        return false()
    readings = []
    for last_name, prefix in last_name_readings(text):
        # sort_name is "<last name>, <first name>[ <prefix>]", compared byte-wise: the names
        # starting with "<last name>, " are exactly those in ["<last name>, ", "<last name>,!").
        reading = and_(
            Enrollment.sort_name >= f"{last_name}, ", Enrollment.sort_name < f"{last_name},!"
        )
        if prefix is not None:
            reading = and_(reading, Enrollment.sort_name.endswith(f" {prefix}", autoescape=True))
        readings.append(reading)
    return or_(*readings)


def _text_condition(
    condition: TextCondition,
    field: str,
    *,
    column: Any,
    contains: Callable[[str], ColumnElement[bool]] | None = None,
    equals: Callable[[str], ColumnElement[bool]] | None = None,
) -> ColumnElement[bool]:
    given = [
        (k, v)
        for k, v in (("contains", condition.contains), ("equals", condition.equals))
        if v is not None
    ]
    if len(given) != 1:
        raise DomainError(ErrorCode.INVALID_FILTER, field=field)
    (kind, value), = given  # fmt: skip
    text = _text(value, f"{field}.{kind}")
    if kind == "contains":
        if contains is not None:
            return contains(text)
        if _has_control_characters(text):
            return false()
        return func.lower(column).contains(text.lower(), autoescape=True)
    if equals is not None:
        return equals(text)
    return _bytes_equal(column, text)


def _date_condition(condition: DateCondition, field: str, column: Any) -> ColumnElement[bool]:
    given = [
        (k, v)
        for k, v in (
            ("on", condition.on),
            ("before", condition.before),
            ("after", condition.after),
            ("between", condition.between),
        )
        if v is not None
    ]
    if len(given) != 1:
        raise DomainError(ErrorCode.INVALID_FILTER, field=field)
    (kind, value), = given  # fmt: skip
    if kind == "on":
        return column == value
    if kind == "before":
        return column < value
    if kind == "after":
        return column > value
    assert isinstance(value, DateRange)
    if value.start > value.end:
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, field=f"{field}.between")
    return column.between(value.start, value.end)


def status_condition(status: MembershipStatus, today: dt.date) -> ColumnElement[bool]:
    """The membership's status on ``today`` as a condition on its dates (end date inclusive)."""
    if status is MembershipStatus.FUTURE:
        return Enrollment.start_date > today
    if status is MembershipStatus.ENDED:
        return Enrollment.end_date < today
    return and_(
        Enrollment.start_date <= today,
        or_(Enrollment.end_date.is_(None), Enrollment.end_date >= today),
    )


def _any_of(values: Sequence[Any], field: str) -> list[Any]:
    if not values:
        raise DomainError(ErrorCode.INVALID_FILTER, field=field)
    return list(dict.fromkeys(values))


def filter_conditions(criteria: InsuredFilter, today: dt.date) -> list[ColumnElement[bool]]:
    """SQL conditions for ``criteria``; a ``DomainError`` names the field at fault."""
    conditions: list[ColumnElement[bool]] = []
    if criteria.name is not None:
        conditions.append(
            _text_condition(
                criteria.name,
                "filter.name",
                column=Enrollment.sort_name,
                contains=_name_contains,
                equals=_last_name_is,
            )
        )
    for field, column in (
        ("policy_number", Enrollment.policy_number),
        ("employee_number", Enrollment.employee_number),
    ):
        text = getattr(criteria, field)
        if text is not None:
            conditions.append(_text_condition(text, f"filter.{field}", column=column))
    for field, column in (
        ("birth_date", Enrollment.birth_date),
        ("start_date", Enrollment.start_date),
        ("end_date", Enrollment.end_date),
    ):
        date = getattr(criteria, field)
        if date is not None:
            conditions.append(_date_condition(date, f"filter.{field}", column))
    if criteria.relation is not None:
        relations = _any_of(criteria.relation, "filter.relation")
        conditions.append(Enrollment.relation.in_(relations))
    if criteria.status is not None:
        statuses = _any_of(criteria.status, "filter.status")
        conditions.append(or_(*(status_condition(s, today) for s in statuses)))
    return conditions


def search_condition(search: InsuredSearch) -> ColumnElement[bool]:
    """The "Zoek met" box: one insured (or family) by BSN, policy or employee number, or name."""
    field = "search.value"
    if search.by is SearchKey.BSN:
        if _has_control_characters(search.value):
            raise DomainError(ErrorCode.BSN_INVALID, field=field)
        text = _text(search.value, field)
        bsn = normalise_bsn(text)
        if not is_valid_bsn(bsn):
            raise DomainError(ErrorCode.BSN_INVALID, field=field)
        return InsuredPerson.bsn == bsn
    text = _text(search.value, field)
    if search.by is SearchKey.POLICY_NUMBER:
        return _bytes_equal(Enrollment.policy_number, text)
    if search.by is SearchKey.EMPLOYEE_NUMBER:
        return _bytes_equal(Enrollment.employee_number, text)
    return _name_contains(text)


def criteria_conditions(
    criteria: InsuredFilter | None, search: InsuredSearch | None, today: dt.date
) -> list[ColumnElement[bool]]:
    conditions = filter_conditions(criteria, today) if criteria is not None else []
    if search is not None:
        conditions.append(search_condition(search))
    return conditions


# --- orders --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Anchor:
    """The sort values of the row a cursor names, read back from the database."""

    id: int
    sort_name: str
    birth_date: dt.date
    relation: Relation
    policy_number: str
    employee_number: str | None
    start_date: dt.date
    end_date: dt.date | None


_ANCHOR_COLUMNS = tuple(Enrollment.__table__.c[f.name] for f in dataclasses.fields(_Anchor))


@dataclasses.dataclass(frozen=True)
class _Segment:
    """Rows satisfying ``where`` (all rows when None), in ascending order of ``keys``.

    ``holds`` names what all its rows have in common (a relation, a status, or an absent column)
    so that a segment the filter rules out is skipped instead of scanned (``_ruled_out``).
    """

    where: ColumnElement[bool] | None
    keys: tuple[Any, ...]
    holds: object = None


@dataclasses.dataclass(frozen=True)
class _Order:
    """The ascending order of a sort field: its segments in turn, and where a row falls in it."""

    segments: tuple[_Segment, ...]
    # The anchor's segment (index into ``segments``) and its key values within that segment.
    locate: Callable[[_Anchor, dt.date], tuple[int, tuple[Any, ...]]]


_NAME_KEYS = (Enrollment.sort_name, Enrollment.id)


def _by_value(column: Any, attribute: str) -> _Order:
    return _Order(
        segments=(_Segment(None, (column, *_NAME_KEYS)),),
        locate=lambda a, _today: (0, (getattr(a, attribute), a.sort_name, a.id)),
    )


def _by_optional_value(column: Any, attribute: str) -> _Order:
    """Rows with a value in value order, then rows without one in name order."""

    def locate(anchor: _Anchor, _today: dt.date) -> tuple[int, tuple[Any, ...]]:
        value = getattr(anchor, attribute)
        if value is None:
            return 1, (anchor.sort_name, anchor.id)
        return 0, (value, anchor.sort_name, anchor.id)

    return _Order(
        segments=(
            _Segment(column.is_not(None), (column, *_NAME_KEYS)),
            _Segment(column.is_(None), _NAME_KEYS, holds=("absent", attribute)),
        ),
        locate=locate,
    )


_RELATIONS = tuple(Relation)  # POLICYHOLDER, PARTNER, CHILD
_STATUSES = tuple(MembershipStatus)  # ACTIVE, FUTURE, ENDED

_ORDERS: dict[InsuredSortField, _Order] = {
    InsuredSortField.NAME: _Order(
        segments=(_Segment(None, _NAME_KEYS),),
        locate=lambda a, _today: (0, (a.sort_name, a.id)),
    ),
    InsuredSortField.BIRTH_DATE: _by_value(Enrollment.birth_date, "birth_date"),
    InsuredSortField.POLICY_NUMBER: _by_value(Enrollment.policy_number, "policy_number"),
    InsuredSortField.START_DATE: _by_value(Enrollment.start_date, "start_date"),
    InsuredSortField.EMPLOYEE_NUMBER: _by_optional_value(
        Enrollment.employee_number, "employee_number"
    ),
    InsuredSortField.END_DATE: _by_optional_value(Enrollment.end_date, "end_date"),
    InsuredSortField.RELATION: _Order(
        segments=tuple(_Segment(Enrollment.relation == r, _NAME_KEYS, r) for r in _RELATIONS),
        locate=lambda a, _today: (_RELATIONS.index(a.relation), (a.sort_name, a.id)),
    ),
}


def _status_order(today: dt.date) -> _Order:
    return _Order(
        segments=tuple(_Segment(status_condition(s, today), _NAME_KEYS, s) for s in _STATUSES),
        locate=lambda a, on: (
            _STATUSES.index(membership_status(a.start_date, a.end_date, on)),
            (a.sort_name, a.id),
        ),
    )


def _order(field: InsuredSortField, today: dt.date) -> _Order:
    return _status_order(today) if field is InsuredSortField.STATUS else _ORDERS[field]


def _ruled_out(criteria: InsuredFilter | None, search: InsuredSearch | None) -> set[object]:
    """What no row of the result has: segments holding it are empty and need no query."""
    out: set[object] = set()
    if criteria is not None:
        if criteria.relation is not None:
            out.update(r for r in _RELATIONS if r not in criteria.relation)
        if criteria.status is not None:
            out.update(s for s in _STATUSES if s not in criteria.status)
        if criteria.end_date is not None or (
            criteria.status is not None and set(criteria.status) <= {MembershipStatus.ENDED}
        ):
            out.add(("absent", "end_date"))
        if criteria.employee_number is not None:
            out.add(("absent", "employee_number"))
    if search is not None and search.by is SearchKey.EMPLOYEE_NUMBER:
        out.add(("absent", "employee_number"))
    return out


def cursor_kind(order: InsuredOrder) -> str:
    """Cursors name their order too: one of another order answers INVALID_CURSOR."""
    kind = f"insured:{order.field.value.lower()}"
    return kind if order.direction is SortDirection.ASC else f"{kind}:desc"


def _after_enrollment(kind: str, cursor: str) -> int:
    (enrollment_id,) = decode_cursor(kind, cursor, 1)
    if type(enrollment_id) is not int or not 0 < enrollment_id <= _BIGINT:
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
    return enrollment_id


_ANCHOR = select(*_ANCHOR_COLUMNS).where(
    Enrollment.id == bindparam("enrollment_id"),
    Enrollment.collectivity_id == bindparam("collectivity_id"),
)


async def _anchor(db: AsyncSession, collectivity_id: int, enrollment_id: int) -> _Anchor:
    parameters = {"enrollment_id": enrollment_id, "collectivity_id": collectivity_id}
    values = (await db.execute(_ANCHOR, parameters)).first()
    if values is None:  # a row of another collectivity, gone, or made up
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
    return _Anchor(*values)


def _after(keys: Sequence[Any], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    bound = tuple_(*(bindparam(None, v, type_=k.type) for k, v in zip(keys, values, strict=True)))
    return tuple_(*keys) < bound if descending else tuple_(*keys) > bound


# --- use cases -----------------------------------------------------------------------------------


def _rows(collectivity_id: int, conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    return MEMBERSHIP_ROWS.where(Enrollment.collectivity_id == collectivity_id, *conditions)


async def search_insured(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    *,
    first: int | None,
    after: str | None,
    today: dt.date,
    criteria: InsuredFilter | None = None,
    search: InsuredSearch | None = None,
    order: InsuredOrder | None = None,
) -> Page[InsuredRow]:
    """One page of the collectivity's overview (C1), searched, filtered and sorted in SQL."""
    actor.require_scope(collectivity_id, "id")
    size = check_page_size(first)
    order = order or InsuredOrder()
    descending = order.direction is SortDirection.DESC
    conditions = criteria_conditions(criteria, search, today)
    kind = cursor_kind(order)
    plan = _order(order.field, today)
    segments = plan.segments[::-1] if descending else plan.segments
    start, keyset = 0, None
    if after is not None:
        anchor = await _anchor(db, collectivity_id, _after_enrollment(kind, after))
        index, values = plan.locate(anchor, today)
        start = len(segments) - 1 - index if descending else index
        keyset = _after(segments[start].keys, values, descending)

    base = _rows(collectivity_id, conditions)
    ruled_out = _ruled_out(criteria, search)
    # Plain rows, no ORM entities: executed on the session's connection, skipping the ORM layer.
    connection = await db.connection()
    found: list[Row[Any]] = []
    for position in range(start, len(segments)):
        segment = segments[position]
        if segment.holds is not None and segment.holds in ruled_out:
            continue
        statement = base
        if segment.where is not None:
            statement = statement.where(segment.where)
        if position == start and keyset is not None:
            statement = statement.where(keyset)
        keys = [k.desc() for k in segment.keys] if descending else segment.keys
        statement = statement.order_by(*keys).limit(size + 1 - len(found))
        found += (await connection.execute(statement)).all()
        if len(found) > size:
            break
    rows = found[:size]
    return Page(
        items=[row_from_values(r, today) for r in rows],
        cursors=[encode_cursor(kind, [r[1]]) for r in rows],
        has_next_page=len(found) > size,
        has_previous_page=after is not None,
    )


async def count_insured(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    *,
    today: dt.date,
    criteria: InsuredFilter | None = None,
    search: InsuredSearch | None = None,
) -> int:
    """The number of rows of the overview with the same search and filter."""
    actor.require_scope(collectivity_id, "id")
    statement = _rows(collectivity_id, criteria_conditions(criteria, search, today))
    return await db.scalar(select(func.count()).select_from(statement.subquery())) or 0


__all__ = [
    "MAX_TEXT_LENGTH",
    "DateCondition",
    "DateRange",
    "InsuredFilter",
    "InsuredOrder",
    "InsuredSearch",
    "InsuredSortField",
    "SearchKey",
    "SortDirection",
    "TextCondition",
    "count_insured",
    "criteria_conditions",
    "cursor_kind",
    "search_insured",
    "status_condition",
]
