"""The daily dunning job (D8): unpaid invoices past their due date get a reminder; a reminder
still unpaid past its own pay-by date is followed by a demand. Each is a PDF in the inbox.

Idempotent: at most one reminder and one demand per invoice (a unique constraint), each made in
its own transaction with its document, so a rerun the same day — or the same run on two workers
— adds nothing, and a crash leaves either the notice with its letter or neither (F2).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import DunningNotice, Invoice
from storage.enums import DunningKind, InvoiceStatus

from .invoice_documents import store_letter
from .invoice_letters import LetterKind
from .invoicing import BillingTerms


@dataclasses.dataclass(frozen=True)
class DunningResult:
    reminders: int = 0
    demands: int = 0


async def _due(
    db: AsyncSession, today: dt.date, terms: BillingTerms
) -> list[tuple[int, DunningKind]]:
    """(invoice, next notice) for every unpaid invoice whose next notice is due today."""
    unpaid = await db.scalars(
        select(Invoice)
        .where(Invoice.status != InvoiceStatus.PAID, Invoice.due_date < today)
        .order_by(Invoice.id)
    )
    invoices = list(unpaid)
    notices: dict[int, dict[DunningKind, DunningNotice]] = {i.id: {} for i in invoices}
    if invoices:
        for notice in await db.scalars(
            select(DunningNotice).where(DunningNotice.invoice_id.in_(list(notices)))
        ):
            notices[notice.invoice_id][notice.kind] = notice
    return [
        (i.id, kind) for i in invoices if (kind := _next(notices[i.id], today, terms)) is not None
    ]


_TERMS = BillingTerms()


def _next(
    sent: dict[DunningKind, DunningNotice], today: dt.date, terms: BillingTerms
) -> DunningKind | None:
    reminder = sent.get(DunningKind.REMINDER)
    if reminder is None:
        return DunningKind.REMINDER
    if DunningKind.DEMAND in sent:
        return None
    if today > reminder.issued_on + dt.timedelta(days=terms.reminder_days):
        return DunningKind.DEMAND
    return None


async def run_dunning(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    today: dt.date,
    now: dt.datetime,
    terms: BillingTerms = _TERMS,
) -> DunningResult:
    async with sessionmaker() as db:
        due = await _due(db, today, terms)
    made = {DunningKind.REMINDER: 0, DunningKind.DEMAND: 0}
    for invoice_id, kind in due:
        async with sessionmaker() as db:
            if await _send(db, invoice_id, kind, today=today, now=now, terms=terms):
                made[kind] += 1
    return DunningResult(reminders=made[DunningKind.REMINDER], demands=made[DunningKind.DEMAND])


async def _send(
    db: AsyncSession,
    invoice_id: int,
    kind: DunningKind,
    *,
    today: dt.date,
    now: dt.datetime,
    terms: BillingTerms,
) -> bool:
    invoice = await db.get(Invoice, invoice_id)
    if invoice is None or invoice.status is InvoiceStatus.PAID:
        return False  # paid in the meantime
    previous = await db.scalar(
        select(DunningNotice.issued_on).where(
            DunningNotice.invoice_id == invoice_id, DunningNotice.kind == DunningKind.REMINDER
        )
    )
    days = terms.reminder_days if kind is DunningKind.REMINDER else terms.demand_days
    notice = DunningNotice(invoice_id=invoice_id, kind=kind, issued_on=today)
    db.add(notice)
    try:
        await db.flush()
    except IntegrityError:  # made by a concurrent run
        await db.rollback()
        return False
    document = await store_letter(
        db,
        invoice,
        LetterKind(kind.value),
        letter_date=today,
        pay_by=today + dt.timedelta(days=days),
        now=now,
        previous_letter_date=previous if kind is DunningKind.DEMAND else None,
    )
    notice.document_id = document.id
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
        return False
    return True
