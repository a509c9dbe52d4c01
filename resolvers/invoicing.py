"""Invoices, payments and dunning (D8).

Only a collectivity whose contract for the borderel's month uses salary deduction **and** pays by
acceptgiro gets invoices. ``invoice_for`` makes the borderel's invoice in the prolongation run's
transaction: its amount is the borderel's total premium (what the employer owes the insurer:
the salaries' deductions plus its own contribution), issued on the run's date, due after
``BillingTerms.payment_days``, with its letter (a PDF) in the inbox. A borderel whose total is nil or negative (corrections larger than
the month) gets an invoice that is paid from the start: a credit is settled with the next one.

Staff register payments (``register_payment``): partial payments are allowed, never more than the
balance. An invoice still unpaid after its due date gets a reminder; one still unpaid
``demand_days`` after the reminder gets a demand (``run_dunning``, the daily job: at most one of
each per invoice, by a unique constraint, so the job is idempotent and safe on several workers).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Borderel, Invoice, Payment
from storage.enums import AuditOutcome, InvoiceStatus

from . import audit
from .actor import Actor
from .collectivities import get_collectivity
from .errors import DomainError, ErrorCode, NotFound
from .invoice_documents import store_letter
from .invoice_letters import LetterKind
from .permissions import require_staff
from .premium_facts import YearTerms
from .premiums import ZERO


@dataclasses.dataclass(frozen=True)
class BillingTerms:
    """D8: days until an invoice is due, and after the reminder until the demand."""

    payment_days: int = 30
    reminder_days: int = 14  # a reminder's new pay-by date, after its issue date
    demand_days: int = 14  # a demand follows a reminder that is this many days overdue


def invoice_number(borderel: Borderel) -> str:
    """Year, month and the borderel id: unique, readable, digits only (the acceptgiro reference
    is made from it)."""
    return f"{borderel.month.year:04d}{borderel.month.month:02d}{borderel.id:08d}"


async def invoice_for(
    db: AsyncSession,
    borderel: Borderel,
    year: YearTerms,
    *,
    today: dt.date,
    now: dt.datetime,
    terms: BillingTerms,
) -> Invoice | None:
    """The borderel's invoice when the contract of its month pays by acceptgiro (else None)."""
    if not (year.salary_deduction and year.acceptgiro):
        return None
    amount = borderel.total_premium
    invoice = Invoice(
        borderel_id=borderel.id,
        collectivity_id=borderel.collectivity_id,
        invoice_number=invoice_number(borderel),
        issue_date=today,
        due_date=today + dt.timedelta(days=terms.payment_days),
        amount=amount,
        paid_amount=ZERO,
        status=InvoiceStatus.OPEN if amount > 0 else InvoiceStatus.PAID,
    )
    db.add(invoice)
    await db.flush()
    document = await store_letter(
        db, invoice, LetterKind.INVOICE, letter_date=today, pay_by=invoice.due_date, now=now
    )
    invoice.document_id = document.id
    await db.flush()
    return invoice


def balance(invoice: Invoice) -> Decimal:
    return max(invoice.amount - invoice.paid_amount, ZERO)


def status_after(amount: Decimal, paid: Decimal) -> InvoiceStatus:
    if paid >= amount:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTIALLY_PAID if paid > 0 else InvoiceStatus.OPEN


async def get_invoice(db: AsyncSession, actor: Actor, invoice_id: int, field: str) -> Invoice:
    """An invoice in the actor's scope, else NOT_FOUND (B3)."""
    invoice = await db.get(Invoice, invoice_id, populate_existing=True)
    if invoice is None or not actor.can_see(invoice.collectivity_id):
        raise NotFound(field)
    return invoice


async def register_payment(
    db: AsyncSession,
    actor: Actor,
    invoice_id: int,
    *,
    amount: Decimal,
    paid_on: dt.date,
    now: dt.datetime,
    today: dt.date,
    client_address: str | None = None,
) -> Invoice:
    """Staff register a (partial) payment; commits. Bad input changes nothing."""
    require_staff(actor)
    invoice = await get_invoice(db, actor, invoice_id, "invoice_id")
    if amount <= 0:
        raise DomainError(ErrorCode.PAYMENT_NOT_POSITIVE, field="amount")
    if paid_on > today:
        raise DomainError(ErrorCode.PAYMENT_DATE_IN_FUTURE, field="paid_on")
    if amount > balance(invoice):
        raise DomainError(
            ErrorCode.PAYMENT_EXCEEDS_BALANCE, field="amount", balance=balance(invoice)
        )
    paid = invoice.paid_amount + amount
    # Optimistic: the update applies only to the version read, so two payments cannot both pass
    # the balance check.
    changed = await db.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.version == invoice.version)
        .values(
            paid_amount=paid,
            status=status_after(invoice.amount, paid),
            version=invoice.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        await db.rollback()
        raise DomainError(ErrorCode.CONCURRENT_CHANGE, field="invoice_id")
    db.add(
        Payment(
            invoice_id=invoice.id,
            amount=amount,
            paid_on=paid_on,
            registered_by_id=actor.user_id,
            registered_at=now,
        )
    )
    audit.record(
        db,
        action="payment_registered",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=invoice.collectivity_id,
        client_address=client_address,
        invoice_id=invoice.id,
        amount=str(amount),
    )
    await db.commit()
    return await get_invoice(db, actor, invoice_id, "invoice_id")


async def invoices_of(db: AsyncSession, actor: Actor, collectivity_id: int) -> list[Invoice]:
    """D8: a collectivity's invoices, newest month first (scope checked)."""
    await get_collectivity(db, actor, collectivity_id)
    rows = await db.scalars(
        select(Invoice)
        .join(Borderel, Borderel.id == Invoice.borderel_id)
        .where(Invoice.collectivity_id == collectivity_id)
        .order_by(Borderel.month.desc(), Invoice.id.desc())
    )
    return list(rows)


async def invoices_by_ids(
    db: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Invoice | None]:
    """For ``node``: invoices in the actor's scope; others None (B3)."""
    statement = select(Invoice).where(Invoice.id.in_(set(ids)))
    if actor.scope is not None:
        statement = statement.where(Invoice.collectivity_id.in_(actor.scope))
    found = {i.id: i for i in await db.scalars(statement)}
    return [found.get(i) for i in ids]
