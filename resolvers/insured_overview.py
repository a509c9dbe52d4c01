"""The insured overview as an Excel file (C2): every row of the current search, filter and sort.

The rows are those of ``Collectivity.insuredPersons`` with the same ``search``, ``filter`` and
``orderBy`` (``resolvers.insured_search``), in the same order, but all of them: one SQL statement
streamed from the database in partitions of ``BATCH_SIZE`` rows (server-side cursor on
PostgreSQL), each partition written to the workbook in a thread (``resolvers.spreadsheets``). The
whole list is never in memory, neither as rows nor as a workbook.

The columns are C1's fields, the name split into its parts so that Excel can sort and filter on
them; headers and the relation and status values are in the language of the request (G6).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Select, case
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Collectivity, Enrollment
from storage.enums import AuditOutcome, Relation

from . import audit, insured_search
from .actor import Actor
from .download_links import DownloadKind, DownloadLink, DownloadLinks, DownloadTicket
from .errors import NotFound
from .insured_listing import MEMBERSHIP_ROWS, MembershipStatus, row_from_values
from .insured_search import (
    DateCondition,
    DateRange,
    InsuredFilter,
    InsuredOrder,
    InsuredSearch,
    InsuredSortField,
    SearchKey,
    SortDirection,
    TextCondition,
)
from .spreadsheets import Column, ColumnType, write_spreadsheet

BATCH_SIZE = 1000

RELATION_LABELS = {
    "nl": {
        Relation.POLICYHOLDER: "Hoofdverzekerde",
        Relation.PARTNER: "Partner",
        Relation.CHILD: "Kind",
    },
    "en": {
        Relation.POLICYHOLDER: "Policyholder",
        Relation.PARTNER: "Partner",
        Relation.CHILD: "Child",
    },
}
STATUS_LABELS = {
    "nl": {
        MembershipStatus.ACTIVE: "Actief",
        MembershipStatus.FUTURE: "Toekomstig",
        MembershipStatus.ENDED: "Beëindigd",
    },
    "en": {
        MembershipStatus.ACTIVE: "Active",
        MembershipStatus.FUTURE: "Future",
        MembershipStatus.ENDED: "Ended",
    },
}
_HEADERS = {
    "nl": (
        "Achternaam", "Tussenvoegsel", "Voorletters", "Voornaam", "Geboortedatum", "Relatie",
        "Polisnummer", "Werknemersnummer", "Ingangsdatum", "Einddatum", "Status",
    ),
    "en": (
        "Last name", "Prefix", "Initials", "First name", "Birth date", "Relation",
        "Policy number", "Employee number", "Start date", "End date", "Status",
    ),
}  # fmt: skip
_TYPES = (
    (ColumnType.TEXT, 22), (ColumnType.TEXT, 13), (ColumnType.TEXT, 11), (ColumnType.TEXT, 16),
    (ColumnType.DATE, 14), (ColumnType.TEXT, 16), (ColumnType.TEXT, 14), (ColumnType.TEXT, 17),
    (ColumnType.DATE, 13), (ColumnType.DATE, 13), (ColumnType.TEXT, 11),
)  # fmt: skip


def language_of(language: str) -> str:
    return language if language in _HEADERS else "nl"


def overview_columns(language: str) -> list[Column]:
    headers = _HEADERS[language_of(language)]
    return [Column(h, t, w) for h, (t, w) in zip(headers, _TYPES, strict=True)]


@dataclasses.dataclass(frozen=True)
class OverviewSelection:
    """Which rows, in which order: the arguments of ``insuredPersons`` (C1) without paging."""

    criteria: InsuredFilter | None = None
    search: InsuredSearch | None = None
    order: InsuredOrder | None = None


def _order_by(order: InsuredOrder, today: dt.date) -> list[Any]:
    """One ORDER BY equal to the paged order of ``insured_search`` (ties by name, then id;
    absent values last ascending, first descending; DESC the exact reverse of ASC)."""
    field = order.field
    name_keys: list[Any] = [Enrollment.sort_name, Enrollment.id]
    keys: list[Any]
    if field is InsuredSortField.NAME:
        keys = name_keys
    elif field is InsuredSortField.BIRTH_DATE:
        keys = [Enrollment.birth_date, *name_keys]
    elif field is InsuredSortField.POLICY_NUMBER:
        keys = [Enrollment.policy_number, *name_keys]
    elif field is InsuredSortField.START_DATE:
        keys = [Enrollment.start_date, *name_keys]
    elif field in (InsuredSortField.EMPLOYEE_NUMBER, InsuredSortField.END_DATE):
        column = (
            Enrollment.employee_number
            if field is InsuredSortField.EMPLOYEE_NUMBER
            else Enrollment.end_date
        )
        keys = [case((column.is_(None), 1), else_=0), column, *name_keys]
    elif field is InsuredSortField.RELATION:
        rank = {r.value: i for i, r in enumerate(Relation)}
        keys = [case(rank, value=Enrollment.relation), *name_keys]
    else:  # STATUS: ACTIVE, FUTURE, ENDED
        keys = [
            case(
                (insured_search.status_condition(MembershipStatus.ACTIVE, today), 0),
                (insured_search.status_condition(MembershipStatus.FUTURE, today), 1),
                else_=2,
            ),
            *name_keys,
        ]
    if order.direction is SortDirection.DESC:
        return [k.desc() for k in keys]
    return keys


def overview_statement(
    collectivity_id: int, selection: OverviewSelection, today: dt.date
) -> Select[Any]:
    """Every row of the overview with the selection's search and filter, in its order."""
    conditions = insured_search.criteria_conditions(selection.criteria, selection.search, today)
    return (
        MEMBERSHIP_ROWS.where(Enrollment.collectivity_id == collectivity_id, *conditions)
        .order_by(*_order_by(selection.order or InsuredOrder(), today))
        .execution_options(yield_per=BATCH_SIZE)
    )


async def overview_batches(
    db: AsyncSession, statement: Select[Any], *, today: dt.date, language: str
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The rows of ``statement`` as spreadsheet rows, ``BATCH_SIZE`` at a time."""
    relation = RELATION_LABELS[language_of(language)]
    status = STATUS_LABELS[language_of(language)]
    result = await db.stream(statement)
    async for partition in result.partitions():
        batch = []
        for values in partition:
            row = row_from_values(values, today)
            batch.append(
                (
                    row.last_name,
                    row.name_prefix,
                    row.initials,
                    row.first_name,
                    row.birth_date,
                    relation[row.relation],
                    row.policy_number,
                    row.employee_number,
                    row.start_date,
                    row.end_date,
                    status[row.status],
                )
            )
        yield batch


def overview_filename(collectivity: Collectivity, today: dt.date, language: str) -> str:
    stem = "verzekerden" if language_of(language) == "nl" else "insured"
    return f"{stem}-{collectivity.collectivity_number}-{today.isoformat()}.xlsx"


async def check_selection(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    selection: OverviewSelection,
    *,
    today: dt.date,
) -> Collectivity:
    """The collectivity (in scope, else NOT_FOUND, B3) after validating the selection: a bad
    filter or search fails here, when the link is asked for, with the field at fault."""
    actor.require_scope(collectivity_id, "collectivity_id")
    collectivity = await db.get(Collectivity, collectivity_id)
    if collectivity is None:
        raise NotFound("collectivity_id")
    insured_search.criteria_conditions(selection.criteria, selection.search, today)
    return collectivity


async def write_overview(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    selection: OverviewSelection,
    *,
    today: dt.date,
    language: str,
) -> tuple[Collectivity, Path]:
    """The overview as an ``.xlsx`` temporary file (the caller deletes it)."""
    collectivity = await check_selection(db, actor, collectivity_id, selection, today=today)
    statement = overview_statement(collectivity_id, selection, today)
    title = "Verzekerden" if language_of(language) == "nl" else "Insured"
    path = await write_spreadsheet(
        title,
        overview_columns(language),
        overview_batches(db, statement, today=today, language=language),
    )
    return collectivity, path


# The selection travels inside a sealed download link: plain JSON, dates as ISO text.


def _text_json(condition: TextCondition | None) -> dict[str, Any] | None:
    if condition is None:
        return None
    return {"contains": condition.contains, "equals": condition.equals}


def _date_json(condition: DateCondition | None) -> dict[str, Any] | None:
    if condition is None:
        return None

    def iso(value: dt.date | None) -> str | None:
        return value.isoformat() if value is not None else None

    between = condition.between
    return {
        "on": iso(condition.on),
        "before": iso(condition.before),
        "after": iso(condition.after),
        "between": [between.start.isoformat(), between.end.isoformat()] if between else None,
    }


def selection_to_json(selection: OverviewSelection) -> dict[str, Any]:
    body: dict[str, Any] = {}
    criteria = selection.criteria
    if criteria is not None:
        body["filter"] = {
            "name": _text_json(criteria.name),
            "policy_number": _text_json(criteria.policy_number),
            "employee_number": _text_json(criteria.employee_number),
            "birth_date": _date_json(criteria.birth_date),
            "start_date": _date_json(criteria.start_date),
            "end_date": _date_json(criteria.end_date),
            "relation": [r.value for r in criteria.relation]
            if criteria.relation is not None
            else None,
            "status": [s.value for s in criteria.status] if criteria.status is not None else None,
        }
    if selection.search is not None:
        body["search"] = {"by": selection.search.by.value, "value": selection.search.value}
    if selection.order is not None:
        body["order"] = {
            "field": selection.order.field.value,
            "direction": selection.order.direction.value,
        }
    return body


def _text_from(body: dict[str, Any] | None) -> TextCondition | None:
    return None if body is None else TextCondition(contains=body["contains"], equals=body["equals"])


def _date_from(body: dict[str, Any] | None) -> DateCondition | None:
    if body is None:
        return None

    def date(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value is not None else None

    between = body["between"]
    return DateCondition(
        on=date(body["on"]),
        before=date(body["before"]),
        after=date(body["after"]),
        between=DateRange(dt.date.fromisoformat(between[0]), dt.date.fromisoformat(between[1]))
        if between
        else None,
    )


def selection_from_json(body: dict[str, Any] | None) -> OverviewSelection:
    """The selection written by ``selection_to_json`` (raises ValueError/KeyError otherwise)."""
    body = body or {}
    criteria = None
    if (f := body.get("filter")) is not None:
        criteria = InsuredFilter(
            name=_text_from(f["name"]),
            policy_number=_text_from(f["policy_number"]),
            employee_number=_text_from(f["employee_number"]),
            birth_date=_date_from(f["birth_date"]),
            start_date=_date_from(f["start_date"]),
            end_date=_date_from(f["end_date"]),
            relation=_enum_list(Relation, f["relation"]),
            status=_enum_list(MembershipStatus, f["status"]),
        )
    search = None
    if (s := body.get("search")) is not None:
        search = InsuredSearch(by=SearchKey(s["by"]), value=str(s["value"]))
    order = None
    if (o := body.get("order")) is not None:
        order = InsuredOrder(
            field=InsuredSortField(o["field"]), direction=SortDirection(o["direction"])
        )
    return OverviewSelection(criteria=criteria, search=search, order=order)


def _enum_list(kind: Any, values: Sequence[str] | None) -> list[Any] | None:
    return None if values is None else [kind(v) for v in values]


async def issue_overview_link(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    selection: OverviewSelection,
    *,
    links: DownloadLinks,
    now: dt.datetime,
    today: dt.date,
    language: str,
    client_address: str | None = None,
) -> DownloadLink:
    """C2, G5: a short-lived link to the overview with this selection, for this user only.
    The selection is checked now (bad input: a ``DomainError`` naming the field). Audited, without
    the filter values (they may hold a BSN or a name). Commits."""
    await check_selection(db, actor, collectivity_id, selection, today=today)
    link = links.issue(
        DownloadTicket(
            kind=DownloadKind.INSURED_OVERVIEW,
            user_id=actor.user_id,
            collectivity_id=collectivity_id,
            expires_at=links.expiry(now),
            language=language_of(language),
            selection=selection_to_json(selection) or None,
        )
    )
    audit.record(
        db,
        action="insured_overview_link_issued",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=collectivity_id,
        client_address=client_address,
        filtered=selection.criteria is not None or selection.search is not None,
    )
    await db.commit()
    return link
