"""The extended insured list (C3): addresses, coverage and tariffs, made by a background job.

``request_extended_list`` queues a job (kind ``EXTENDED_INSURED_LIST``) for a collectivity in the
actor's scope; a pending list of the same collectivity is reused rather than queued twice, and a
client's ``idempotency_key`` makes a retried request return the job of the first one.
``build_extended_list`` is the job's work: it streams every member of the collectivity (the
overview's rows, by name) with their address and the coverage in force today, and writes the Excel
file in a thread (``resolvers.spreadsheets``). The job runner stores it as an inbox document in
the transaction that marks the job done (F2).

**Tariff, not premium.** The amounts are each product's monthly *tariff* of the current calendar
year (``tariffs``), not the premium the insured pays: no exemption for children, no contract
discount, no pro rata month, no employer contribution. The headers say "tarief"; the premium
engine (D2) will replace these columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Collectivity, Coverage, Enrollment, InsuredPerson, Job, Product, Tariff
from storage.enums import AuditOutcome, DocumentKind, JobStatus, ProductKind

from . import audit, job_queue
from .actor import Actor
from .errors import DomainError, ErrorCode, NotFound
from .insured_listing import MEMBERSHIP_ROWS, row_from_values
from .insured_overview import (
    BATCH_SIZE,
    RELATION_LABELS,
    STATUS_LABELS,
    language_of,
    overview_columns,
)
from .job_queue import DocumentDraft, JobKind
from .permissions import Forbidden
from .spreadsheets import XLSX_MEDIA_TYPE, Column, ColumnType, spreadsheet_bytes

_EXTRA_HEADERS = {
    "nl": (
        "Straat", "Huisnummer", "Toevoeging", "Postcode", "Woonplaats", "Land",
        "Basisverzekering", "Tarief basisverzekering per maand {year}",
        "Aanvullende verzekering", "Tarief aanvullende verzekering per maand {year}",
        "Tandartsverzekering", "Tarief tandartsverzekering per maand {year}",
        "Tarief totaal per maand {year}",
    ),
    "en": (
        "Street", "House number", "Suffix", "Postal code", "City", "Country",
        "Basic insurance", "Basic insurance tariff per month {year}",
        "Supplementary insurance", "Supplementary insurance tariff per month {year}",
        "Dental insurance", "Dental insurance tariff per month {year}",
        "Total tariff per month {year}",
    ),
}  # fmt: skip
_EXTRA_TYPES = (
    (ColumnType.TEXT, 24), (ColumnType.TEXT, 11), (ColumnType.TEXT, 11), (ColumnType.TEXT, 11),
    (ColumnType.TEXT, 18), (ColumnType.TEXT, 6),
    (ColumnType.TEXT, 24), (ColumnType.MONEY, 16), (ColumnType.TEXT, 28), (ColumnType.MONEY, 16),
    (ColumnType.TEXT, 24), (ColumnType.MONEY, 16), (ColumnType.MONEY, 14),
)  # fmt: skip
MAX_IDEMPOTENCY_KEY_LENGTH = 100
_KINDS = (ProductKind.BASIC, ProductKind.SUPPLEMENTARY, ProductKind.DENTAL)


def extended_columns(language: str, year: int) -> list[Column]:
    headers = [h.format(year=year) for h in _EXTRA_HEADERS[language_of(language)]]
    extra = [Column(h, t, w) for h, (t, w) in zip(headers, _EXTRA_TYPES, strict=True)]
    return overview_columns(language) + extra


async def request_extended_list(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    *,
    now: dt.datetime,
    language: str,
    idempotency_key: str | None = None,
    client_address: str | None = None,
) -> Job:
    """Queue the list for a collectivity in scope (NOT_FOUND otherwise, B3); insurer staff read
    but do not fill an employer's inbox (FORBIDDEN). Commits."""
    actor.require_scope(collectivity_id, "collectivity_id")
    if await db.get(Collectivity, collectivity_id) is None:
        raise NotFound("collectivity_id")
    if actor.is_staff:
        raise Forbidden()
    if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise DomainError(
            ErrorCode.VALUE_TOO_LONG,
            field="idempotency_key",
            maximum=MAX_IDEMPOTENCY_KEY_LENGTH,
        )
    job: Job | None = None
    created = False
    key = None
    if idempotency_key is not None:
        key = f"{JobKind.EXTENDED_INSURED_LIST.value}:{actor.user_id}:{idempotency_key}"[:200]
        job = await db.scalar(select(Job).where(Job.idempotency_key == key))
    if job is None:
        job = await db.scalar(
            select(Job)
            .where(
                Job.kind == JobKind.EXTENDED_INSURED_LIST.value,
                Job.collectivity_id == collectivity_id,
                Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            )
            .order_by(Job.id)
            .limit(1)
        )
    if job is None:
        job, created = await job_queue.enqueue(
            db,
            kind=JobKind.EXTENDED_INSURED_LIST,
            now=now,
            payload={"language": language_of(language)},
            collectivity_id=collectivity_id,
            requested_by_id=actor.user_id,
            idempotency_key=key,
        )
        await db.flush()
    audit.record(
        db,
        action="extended_insured_list_requested",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=collectivity_id,
        client_address=client_address,
        job_id=job.id,
        queued=created,
    )
    await db.commit()
    return job


def _statement(collectivity_id: int, today: dt.date) -> Any:
    in_force = and_(
        Coverage.insured_id == Enrollment.insured_id,
        Coverage.start_date <= today,
        or_(Coverage.end_date.is_(None), Coverage.end_date >= today),
    )
    return (
        MEMBERSHIP_ROWS.add_columns(
            InsuredPerson.street,
            InsuredPerson.house_number,
            InsuredPerson.house_number_suffix,
            InsuredPerson.postal_code,
            InsuredPerson.city,
            InsuredPerson.country,
            Product.kind,
            Product.name,
            Tariff.monthly_premium,
        )
        .outerjoin(Coverage, in_force)
        .outerjoin(Product, Product.id == Coverage.product_id)
        .outerjoin(Tariff, and_(Tariff.product_id == Product.id, Tariff.year == today.year))
        .where(Enrollment.collectivity_id == collectivity_id)
        .order_by(Enrollment.sort_name, Enrollment.id, Product.kind, Product.name)
        .execution_options(yield_per=BATCH_SIZE)
    )


def _sheet_row(group: list[Any], today: dt.date, language: str) -> tuple[Any, ...]:
    first = group[0]
    row = row_from_values(first[:13], today)
    street, number, suffix, postal_code, city, country = first[13:19]
    names: dict[ProductKind, list[str]] = {k: [] for k in _KINDS}
    tariffs: dict[ProductKind, Decimal | None] = dict.fromkeys(_KINDS)
    for values in group:
        kind, name, tariff = values[19:22]
        if kind is None:
            continue
        names[kind].append(name)
        if tariff is not None:
            tariffs[kind] = (tariffs[kind] or Decimal("0.00")) + tariff
    known = [t for t in tariffs.values() if t is not None]
    relation = RELATION_LABELS[language][row.relation]
    status = STATUS_LABELS[language][row.status]
    coverage: list[Any] = []
    for kind in _KINDS:
        coverage += [", ".join(names[kind]) or None, tariffs[kind]]
    return (
        row.last_name, row.name_prefix, row.initials, row.first_name, row.birth_date, relation,
        row.policy_number, row.employee_number, row.start_date, row.end_date, status,
        street, number, suffix, postal_code, city, country,
        *coverage, sum(known, Decimal("0.00")) if known else None,
    )  # fmt: skip


async def _batches(
    db: AsyncSession, collectivity_id: int, *, today: dt.date, language: str
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """One spreadsheet row per member: the stream holds one row per coverage, grouped here by
    enrollment (consecutive, as the statement orders by enrollment)."""
    result = await db.stream(_statement(collectivity_id, today))
    group: list[Any] = []
    async for partition in result.partitions():
        batch = []
        for values in partition:
            if group and group[0][1] != values[1]:
                batch.append(_sheet_row(group, today, language))
                group = []
            group.append(values)
        if batch:
            yield batch
    if group:
        yield [_sheet_row(group, today, language)]


async def build_extended_list(
    db: AsyncSession, collectivity_id: int, *, today: dt.date, language: str
) -> DocumentDraft:
    """The job's work: the whole list as an Excel document draft."""
    language = language_of(language)
    collectivity = await db.get(Collectivity, collectivity_id)
    if collectivity is None:
        raise job_queue.JobRejected(ErrorCode.NOT_FOUND, "CollectivityGone")
    title = "Uitgebreide verzekerdenlijst" if language == "nl" else "Extended insured list"
    content = await spreadsheet_bytes(
        title,
        extended_columns(language, today.year),
        _batches(db, collectivity_id, today=today, language=language),
    )
    stem = "uitgebreide-verzekerdenlijst" if language == "nl" else "extended-insured-list"
    return DocumentDraft(
        kind=DocumentKind.EXTENDED_INSURED_LIST,
        title=f"{title} {collectivity.name} ({today.strftime('%d-%m-%Y')})",
        filename=f"{stem}-{collectivity.collectivity_number}-{today.isoformat()}.xlsx",
        media_type=XLSX_MEDIA_TYPE,
        content=content,
    )
