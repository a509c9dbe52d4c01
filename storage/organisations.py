"""Customers (employers), their collectivities, contract terms per year and contract links (B1, B2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_column
from .enums import ContractLinkStatus, EmployerContributionKind, PaymentMethod, PremiumCollection
from .types import Money, Percentage


class Customer(Timestamped, Base):
    """The employer organisation ("klant")."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    collectivities: Mapped[list[Collectivity]] = relationship(back_populates="customer")

    __table_args__ = (CheckConstraint("length(customer_number) > 0", name="number_not_empty"),)


class Collectivity(Timestamped, Base):
    """A group contract of one customer ("collectiviteit")."""

    __tablename__ = "collectivities"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    collectivity_number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    customer: Mapped[Customer] = relationship(back_populates="collectivities")
    contracts: Mapped[list[Contract]] = relationship(
        back_populates="collectivity", order_by="Contract.start_date"
    )

    __table_args__ = (CheckConstraint("length(collectivity_number) > 0", name="number_not_empty"),)


class Contract(Timestamped, Base):
    """The terms of a collectivity for one calendar year (SPEC §3, D1).

    ``premium_collection`` decides the gates of C4, C7, D3, D7; ``payment_method`` is set only with
    salary deduction (the employer pays the insurer) and gates invoices (D8).
    """

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    premium_collection: Mapped[PremiumCollection] = enum_column(PremiumCollection)
    payment_method: Mapped[PaymentMethod | None] = enum_column(PaymentMethod, nullable=True)
    discount_percentage: Mapped[Decimal] = mapped_column(Percentage(), default=Decimal("0"))
    employer_contribution_kind: Mapped[EmployerContributionKind] = enum_column(
        EmployerContributionKind, default=EmployerContributionKind.NONE
    )
    employer_contribution_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    employer_contribution_percentage: Mapped[Decimal | None] = mapped_column(
        Percentage(), nullable=True
    )

    collectivity: Mapped[Collectivity] = relationship(back_populates="contracts")

    __table_args__ = (
        UniqueConstraint("collectivity_id", "year"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("end_date >= start_date", name="period_order"),
        CheckConstraint(
            "(premium_collection = 'INDIVIDUAL' AND payment_method IS NULL) OR "
            "(premium_collection = 'SALARY_DEDUCTION' AND payment_method IS NOT NULL)",
            name="payment_method_with_salary_deduction",
        ),
        CheckConstraint(
            "discount_percentage BETWEEN 0 AND 10000", name="discount_range"
        ),  # stored in hundredths of a percent
        CheckConstraint(
            "(employer_contribution_kind = 'NONE' AND employer_contribution_amount IS NULL "
            "AND employer_contribution_percentage IS NULL) OR "
            "(employer_contribution_kind = 'FIXED' AND employer_contribution_amount IS NOT NULL AND employer_contribution_amount >= 0 "
            "AND employer_contribution_percentage IS NULL) OR "
            "(employer_contribution_kind = 'PERCENTAGE' AND employer_contribution_amount IS NULL "
            "AND employer_contribution_percentage IS NOT NULL AND employer_contribution_percentage BETWEEN 0 AND 10000)",
            name="employer_contribution_shape",
        ),
    )


class ContractLink(Base):
    """A link that brings ``linked_collectivity`` into the scope of ``collectivity``'s users (B1, B2)."""

    __tablename__ = "contract_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="CASCADE")
    )
    linked_collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ContractLinkStatus] = enum_column(ContractLinkStatus)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[dt.datetime]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("collectivity_id", "linked_collectivity_id"),
        CheckConstraint("collectivity_id <> linked_collectivity_id", name="not_self"),
        Index("ix_contract_links_scope", "collectivity_id", "status"),
    )
