"""Invoice, reminder and demand letters as inbox documents (D8, F1): the letter of an invoice is
rendered (``invoice_letters``, in a thread) and stored in the caller's transaction, so the letter
appears together with the invoice or notice it belongs to, or not at all (F2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage import Borderel, Collectivity, Customer, Document, Invoice
from storage.enums import DocumentKind

from .invoice_letters import (
    BorderelTotals,
    Letter,
    LetterKind,
    filename,
    payment_reference,
    render_letter_async,
    title,
)

_DOCUMENT_KINDS = {
    LetterKind.INVOICE: DocumentKind.INVOICE,
    LetterKind.REMINDER: DocumentKind.REMINDER,
    LetterKind.DEMAND: DocumentKind.DEMAND,
}


async def store_letter(
    db: AsyncSession,
    invoice: Invoice,
    kind: LetterKind,
    *,
    letter_date: dt.date,
    pay_by: dt.date,
    now: dt.datetime,
    previous_letter_date: dt.date | None = None,
    language: str = "nl",
) -> Document:
    """Render the letter and add it to the collectivity's inbox (not committed)."""
    borderel = await db.get(Borderel, invoice.borderel_id)
    collectivity = await db.get(Collectivity, invoice.collectivity_id)
    assert borderel is not None
    assert collectivity is not None
    customer = await db.get(Customer, collectivity.customer_id)
    assert customer is not None
    letter = Letter(
        kind=kind,
        letter_date=letter_date,
        invoice_number=invoice.invoice_number,
        issue_date=invoice.issue_date,
        due_date=pay_by,
        month=borderel.month,
        customer_number=customer.customer_number,
        customer_name=customer.name,
        collectivity_number=collectivity.collectivity_number,
        collectivity_name=collectivity.name,
        amount=invoice.amount,
        paid_amount=invoice.paid_amount,
        balance=invoice.amount - invoice.paid_amount,
        payment_reference=payment_reference(invoice.invoice_number),
        borderel_totals=BorderelTotals(
            premium=borderel.total_premium,
            employer_contribution=borderel.total_employer_contribution,
            deduction=borderel.total_deduction,
            line_count=borderel.line_count,
        ),
        language="en" if language == "en" else "nl",
        previous_letter_date=previous_letter_date,
    )
    content = await render_letter_async(letter)
    document = Document(
        collectivity_id=invoice.collectivity_id,
        kind=_DOCUMENT_KINDS[kind],
        title=title(letter),
        filename=filename(letter),
        media_type="application/pdf",
        size=len(content),
        created_at=now,
        content=content,
    )
    db.add(document)
    await db.flush()
    return document
