"""Borderels (monthly premium statements), their lines, invoices, payments and dunning (D3–D8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column
from .enums import BorderelLineKind, DunningKind, InvoiceStatus
from .types import Money


class Borderel(Base):
    """The premium statement of one collectivity for one prolongation month. Immutable once made."""

    __tablename__ = "borderels"

    id: Mapped[int] = mapped_column(primary_key=True)
    collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="RESTRICT")
    )
    # The first day of the prolongation month.
    month: Mapped[dt.date]
    created_at: Mapped[dt.datetime]
    line_count: Mapped[int]
    total_premium: Mapped[Decimal] = mapped_column(Money())
    total_employer_contribution: Mapped[Decimal] = mapped_column(Money())
    total_deduction: Mapped[Decimal] = mapped_column(Money())

    lines: Mapped[list[BorderelLine]] = relationship(back_populates="borderel")

    __table_args__ = (
        UniqueConstraint("collectivity_id", "month"),
        CheckConstraint("line_count >= 0", name="line_count_not_negative"),
        CheckConstraint(
            "total_deduction = total_premium - total_employer_contribution",
            name="totals_reconcile",
        ),
    )


class BorderelLine(Base):
    """One premium line: an insured, a product and the month (``period``) it bills.

    Regular lines bill the borderel's own month; correction lines bill an earlier month with the
    difference between the recalculated amount and everything billed before (D3).
    """

    __tablename__ = "borderel_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    borderel_id: Mapped[int] = mapped_column(ForeignKey("borderels.id", ondelete="RESTRICT"))
    kind: Mapped[BorderelLineKind] = enum_column(BorderelLineKind)
    insured_id: Mapped[int] = mapped_column(ForeignKey("insured_persons.id", ondelete="RESTRICT"))
    policyholder_id: Mapped[int] = mapped_column(
        ForeignKey("insured_persons.id", ondelete="RESTRICT")
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    period: Mapped[dt.date]
    employee_number: Mapped[str | None] = mapped_column(String(20))
    days: Mapped[int]
    gross_premium: Mapped[Decimal] = mapped_column(Money())
    discount: Mapped[Decimal] = mapped_column(Money())
    premium: Mapped[Decimal] = mapped_column(Money())
    employer_contribution: Mapped[Decimal] = mapped_column(Money())
    deduction: Mapped[Decimal] = mapped_column(Money())

    borderel: Mapped[Borderel] = relationship(back_populates="lines")

    __table_args__ = (
        CheckConstraint("days BETWEEN 0 AND 31", name="days_range"),
        CheckConstraint("premium = gross_premium - discount", name="premium_after_discount"),
        CheckConstraint("deduction = premium - employer_contribution", name="deduction_reconciles"),
        Index("ix_borderel_lines_borderel", "borderel_id", "id"),
        Index("ix_borderel_lines_billed", "insured_id", "product_id", "period"),
    )


class Invoice(Base):
    """An invoice for a borderel, for salary deduction with acceptgiro (D8)."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    borderel_id: Mapped[int] = mapped_column(
        ForeignKey("borderels.id", ondelete="RESTRICT"), unique=True
    )
    collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="RESTRICT"), index=True
    )
    invoice_number: Mapped[str] = mapped_column(String(30), unique=True)
    issue_date: Mapped[dt.date]
    due_date: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    status: Mapped[InvoiceStatus] = enum_column(InvoiceStatus)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    payments: Mapped[list[Payment]] = relationship(back_populates="invoice")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        CheckConstraint("due_date >= issue_date", name="due_after_issue"),
        CheckConstraint("paid_amount >= 0", name="paid_not_negative"),
    )


class Payment(Base):
    """A payment registered by staff against an invoice (partial payments allowed)."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[dt.date]
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    registered_at: Mapped[dt.datetime]

    invoice: Mapped[Invoice] = relationship(back_populates="payments")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class DunningNotice(Base):
    """A reminder or demand for an unpaid invoice; at most one of each kind per invoice."""

    __tablename__ = "dunning_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    kind: Mapped[DunningKind] = enum_column(DunningKind)
    issued_on: Mapped[dt.date]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("invoice_id", "kind"),)
