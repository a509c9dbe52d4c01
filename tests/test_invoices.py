"""D8: invoices for salary deduction with acceptgiro, staff payments (partial, never above the
balance, nothing changed on bad input), and the idempotent daily reminders and demands — each
letter a PDF in the inbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import undefer

from resolvers.actor import actor_for
from resolvers.dunning import run_dunning
from resolvers.errors import DomainError, ErrorCode, NotFound
from resolvers.invoicing import BillingTerms, invoice_for, register_payment
from resolvers.permissions import Forbidden
from resolvers.prolongation import run_prolongation
from storage import Document, DunningNotice, Invoice, Payment
from storage.enums import DocumentKind, DunningKind, InvoiceStatus, PaymentMethod, UserRole

from . import factories
from .test_prolongation import NOV, at, setup

TERMS = BillingTerms(payment_days=30, reminder_days=14, demand_days=14)
ISSUED = dt.date(2026, 10, 20)


async def invoiced(session_factory: async_sessionmaker[AsyncSession], **contract) -> Invoice:  # type: ignore[no-untyped-def]
    async with session_factory() as db:
        await setup(db, **contract)

    async def invoice(db: AsyncSession, borderel, year) -> None:  # type: ignore[no-untyped-def]
        await invoice_for(db, borderel, year, today=ISSUED, now=at(20, 10), terms=TERMS)

    await run_prolongation(session_factory, NOV, now=at(20, 10), after_borderel=invoice)
    async with session_factory() as db:
        return (await db.scalars(select(Invoice))).one()


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


async def documents(db: AsyncSession, kind: DocumentKind) -> list[Document]:
    return list(
        await db.scalars(
            select(Document).where(Document.kind == kind).options(undefer(Document.content))
        )
    )


async def test_d8_the_invoice_letter_is_in_the_inbox_with_the_borderel_total(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    invoice = await invoiced(session_factory)
    async with session_factory() as db:
        [letter] = await documents(db, DocumentKind.INVOICE)
    assert letter.id == invoice.document_id
    assert letter.collectivity_id == invoice.collectivity_id
    assert letter.media_type == "application/pdf"
    text = pdf_text(letter.content)
    assert invoice.invoice_number in text
    assert "187,00" in text  # the borderel total, Dutch style


async def test_d8_direct_debit_gets_no_invoice(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        await setup(db, payment_method=PaymentMethod.DIRECT_DEBIT)

    async def invoice(db: AsyncSession, borderel, year) -> None:  # type: ignore[no-untyped-def]
        await invoice_for(db, borderel, year, today=ISSUED, now=at(20, 10), terms=TERMS)

    [outcome] = await run_prolongation(session_factory, NOV, now=at(20, 10), after_borderel=invoice)
    assert outcome.made
    async with session_factory() as db:
        assert list(await db.scalars(select(Invoice))) == []
        assert await documents(db, DocumentKind.INVOICE) == []


async def staff(db: AsyncSession):  # type: ignore[no-untyped-def]
    user = await factories.user(db, None, role=UserRole.STAFF)
    await db.commit()
    return await actor_for(db, user)


async def pay(db: AsyncSession, actor, invoice: Invoice, amount: str, paid_on=ISSUED) -> Invoice:  # type: ignore[no-untyped-def]
    return await register_payment(
        db,
        actor,
        invoice.id,
        amount=Decimal(amount),
        paid_on=paid_on,
        now=at(1, 12),
        today=dt.date(2026, 12, 4),
    )


async def test_d8_partial_payments_until_paid(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    invoice = await invoiced(session_factory)
    async with session_factory() as db:
        actor = await staff(db)
        first = await pay(db, actor, invoice, "87.00")
        assert (first.status, first.paid_amount) == (InvoiceStatus.PARTIALLY_PAID, Decimal("87.00"))
        second = await pay(db, actor, invoice, "100.00")
        assert (second.status, second.paid_amount) == (InvoiceStatus.PAID, Decimal("187.00"))
        assert len(list(await db.scalars(select(Payment)))) == 2


@pytest.mark.parametrize(
    ("amount", "paid_on", "code"),
    [
        ("187.01", ISSUED, ErrorCode.PAYMENT_EXCEEDS_BALANCE),
        ("0.00", ISSUED, ErrorCode.PAYMENT_NOT_POSITIVE),
        ("-5.00", ISSUED, ErrorCode.PAYMENT_NOT_POSITIVE),
        ("10.00", dt.date(2026, 12, 5), ErrorCode.PAYMENT_DATE_IN_FUTURE),
    ],
)
async def test_d8_bad_payments_are_refused_and_change_nothing(
    session_factory: async_sessionmaker[AsyncSession],
    amount: str,
    paid_on: dt.date,
    code: ErrorCode,
) -> None:
    invoice = await invoiced(session_factory)
    async with session_factory() as db:
        actor = await staff(db)
        with pytest.raises(DomainError) as caught:
            await pay(db, actor, invoice, amount, paid_on)
    assert caught.value.code is code
    async with session_factory() as db:
        row = await db.get(Invoice, invoice.id)
        assert (row.paid_amount, row.status) == (Decimal("0.00"), InvoiceStatus.OPEN)
        assert list(await db.scalars(select(Payment))) == []


async def test_d8_only_staff_register_payments_and_a_foreign_invoice_is_not_found(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    invoice = await invoiced(session_factory)
    async with session_factory() as db:
        employer = await factories.user(db, await factories.collectivity(db))
        home = await factories.user(
            db, await db.get(factories.Collectivity, invoice.collectivity_id)
        )
        await db.commit()
        with pytest.raises(Forbidden):
            await pay(db, await actor_for(db, home), invoice, "10.00")
        with pytest.raises(Forbidden):
            await pay(db, await actor_for(db, employer), invoice, "10.00")
        with pytest.raises(NotFound):
            await register_payment(
                db,
                await staff(db),
                invoice.id + 1000,
                amount=Decimal("1.00"),
                paid_on=ISSUED,
                now=at(1, 12),
                today=dt.date(2026, 12, 4),
            )


async def test_d8_concurrent_payments_never_exceed_the_amount(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    invoice = await invoiced(session_factory)
    async with session_factory() as db:
        actor = await staff(db)

    async def attempt() -> bool:
        async with session_factory() as db:
            try:
                await pay(db, actor, invoice, "100.00")
            except DomainError:
                return False
            return True

    results = await asyncio.gather(*(attempt() for _ in range(5)))
    assert results.count(True) == 1
    async with session_factory() as db:
        row = await db.get(Invoice, invoice.id)
        assert row.paid_amount == Decimal("100.00")


async def test_d8_unpaid_after_the_due_date_a_reminder_then_a_demand_each_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    invoice = await invoiced(session_factory)  # issued 20 Oct, due 19 Nov
    due = invoice.due_date

    async def run(day: dt.date):  # type: ignore[no-untyped-def]
        return await run_dunning(session_factory, today=day, now=at(1, 12), terms=TERMS)

    assert (await run(due)).reminders == 0  # not yet past due
    assert (await run(due + dt.timedelta(days=1))).reminders == 1
    again = await run(due + dt.timedelta(days=1))
    assert (again.reminders, again.demands) == (0, 0)  # idempotent
    reminder_day = due + dt.timedelta(days=1)
    assert (await run(reminder_day + dt.timedelta(days=14))).demands == 0
    assert (await run(reminder_day + dt.timedelta(days=15))).demands == 1
    assert (await run(reminder_day + dt.timedelta(days=40))).demands == 0
    async with session_factory() as db:
        notices = list(await db.scalars(select(DunningNotice).order_by(DunningNotice.id)))
        [reminder] = await documents(db, DocumentKind.REMINDER)
        [demand] = await documents(db, DocumentKind.DEMAND)
    assert [n.kind for n in notices] == [DunningKind.REMINDER, DunningKind.DEMAND]
    assert [n.document_id for n in notices] == [reminder.id, demand.id]
    assert invoice.invoice_number in pdf_text(reminder.content)
    assert invoice.invoice_number in pdf_text(demand.content)


async def test_d8_a_paid_invoice_gets_no_reminder_and_concurrent_runs_send_one(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    invoice = await invoiced(session_factory)
    day = invoice.due_date + dt.timedelta(days=3)
    results = await asyncio.gather(
        *(run_dunning(session_factory, today=day, now=at(1, 12), terms=TERMS) for _ in range(3))
    )
    assert sum(r.reminders for r in results) == 1
    async with session_factory() as db:
        assert len(await documents(db, DocumentKind.REMINDER)) == 1
    paid = await invoiced_and_paid(session_factory)
    result = await run_dunning(
        session_factory, today=paid.due_date + dt.timedelta(days=3), now=at(1, 12), terms=TERMS
    )
    assert result.reminders == 0


async def invoiced_and_paid(session_factory: async_sessionmaker[AsyncSession]) -> Invoice:
    async with session_factory() as db:
        for row in await db.scalars(select(Invoice)):
            row.status = InvoiceStatus.PAID
            row.paid_amount = row.amount
        await db.commit()
        return (await db.scalars(select(Invoice))).first()
