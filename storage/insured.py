"""Insured persons, their policies and coverage, collective membership and the mutation history (C)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_column
from .enums import Gender, MutationKind, Relation
from .organisations import Collectivity
from .products import Product


class Policy(Timestamped, Base):
    """A health insurance policy: one policyholder and the co-insured on it."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_number: Mapped[str] = mapped_column(String(20), unique=True)

    members: Mapped[list[InsuredPerson]] = relationship(back_populates="policy")


class InsuredPerson(Timestamped, Base):
    """A person insured with the insurer. The BSN is personal data: never logged."""

    __tablename__ = "insured_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    bsn: Mapped[str] = mapped_column(String(9), unique=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="RESTRICT"))
    relation: Mapped[Relation] = enum_column(Relation)
    initials: Mapped[str] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100))
    name_prefix: Mapped[str | None] = mapped_column(String(20))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date]
    gender: Mapped[Gender | None] = enum_column(Gender, nullable=True)
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(10))
    house_number_suffix: Mapped[str | None] = mapped_column(String(10))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="NL")
    # Optimistic lock counter (C8): concurrent edits of one insured cannot lose an update.
    version: Mapped[int] = mapped_column(default=1)

    policy: Mapped[Policy] = relationship(back_populates="members")
    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="insured", order_by="Enrollment.start_date"
    )
    coverages: Mapped[list[Coverage]] = relationship(back_populates="insured")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        CheckConstraint("length(bsn) = 9", name="bsn_nine_digits"),
        Index("ix_insured_persons_policy", "policy_id"),
        # One policyholder per policy: a partial unique index on both databases.
        Index(
            "uq_insured_persons_one_policyholder",
            "policy_id",
            unique=True,
            sqlite_where=text("relation = 'POLICYHOLDER'"),
            postgresql_where=text("relation = 'POLICYHOLDER'"),
        ),
    )


class Coverage(Base):
    """A product on an insured's policy for a period (one basic product + supplementary/dental)."""

    __tablename__ = "coverages"

    id: Mapped[int] = mapped_column(primary_key=True)
    insured_id: Mapped[int] = mapped_column(ForeignKey("insured_persons.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]

    insured: Mapped[InsuredPerson] = relationship(back_populates="coverages")
    product: Mapped[Product] = relationship()

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period_order"),
        Index("ix_coverages_insured", "insured_id", "start_date"),
    )


def _bytewise(length: int) -> String:
    """Text that sorts by code point on both databases (SQLite's only order; "C" on PostgreSQL)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Enrollment(Timestamped, Base):
    """Membership of an insured in a collectivity for [start_date, end_date] (end inclusive, C5).

    The employee number is the employer's payroll number of a policyholder (C6); it belongs to the
    membership because it is the employer who issues it.

    The membership is the row of the collectivity overview (C1), so it carries copies of what the
    overview filters and sorts on but that lives elsewhere: ``sort_name`` (the person's name as a
    sort key, "dijk, jan van", ``resolvers.names``), ``birth_date`` and ``relation`` (of the
    person) and ``policy_number`` (of their policy). Every sortable column has an index
    (collectivity, column, sort_name, id), so a page of the overview in any order is read
    straight from an index on both databases (``resolvers.insured_search``). Whoever writes a
    person's name, birth date or relation, or their policy number, updates the copies on their
    enrollments in the same transaction.

    Text sort columns compare byte-wise (collation "C") on PostgreSQL, as SQLite always does, so
    both databases order and page the overview identically whatever the database's locale.
    """

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    insured_id: Mapped[int] = mapped_column(ForeignKey("insured_persons.id", ondelete="CASCADE"))
    collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="RESTRICT")
    )
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    employee_number: Mapped[str | None] = mapped_column(_bytewise(20))
    sort_name: Mapped[str] = mapped_column(_bytewise(250))
    # Copies for the overview's filters and sorts (see above).
    birth_date: Mapped[dt.date]
    relation: Mapped[Relation] = enum_column(Relation)
    policy_number: Mapped[str] = mapped_column(_bytewise(20))

    insured: Mapped[InsuredPerson] = relationship(back_populates="enrollments")
    collectivity: Mapped[Collectivity] = relationship()

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period_order"),
        CheckConstraint(
            "employee_number IS NULL OR length(employee_number) > 0",
            name="employee_number_not_empty",
        ),
        Index("ix_enrollments_collectivity_insured", "collectivity_id", "insured_id", "start_date"),
        Index("ix_enrollments_insured", "insured_id", "start_date"),
        # The overview's orders (C1): one index per sortable column, ties by name, then id.
        Index("ix_enrollments_collectivity_name", "collectivity_id", "sort_name", "id"),
        *(
            Index(
                f"ix_enrollments_collectivity_{column}",
                "collectivity_id",
                column,
                "sort_name",
                "id",
            )
            for column in (
                "birth_date",
                "relation",
                "policy_number",
                "employee_number",
                "start_date",
                "end_date",
            )
        ),
    )


class Mutation(Base):
    """An immutable record of a change to an insured's membership or data (C8)."""

    __tablename__ = "mutations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MutationKind] = enum_column(MutationKind)
    insured_id: Mapped[int] = mapped_column(ForeignKey("insured_persons.id", ondelete="CASCADE"))
    collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="RESTRICT")
    )
    effective_date: Mapped[dt.date]
    registered_at: Mapped[dt.datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    __table_args__ = (
        Index("ix_mutations_insured", "insured_id", "registered_at"),
        Index("ix_mutations_collectivity_registered", "collectivity_id", "registered_at"),
    )
