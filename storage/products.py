"""Insurance products and their monthly tariffs per calendar year (D1)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_column
from .enums import ProductKind
from .types import Money


class Product(Timestamped, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProductKind] = enum_column(ProductKind)
    # Children under 18 pay nothing for basic insurance by law; for other products it is a setting.
    free_for_children: Mapped[bool] = mapped_column(default=True)

    tariffs: Mapped[list[Tariff]] = relationship(back_populates="product", order_by="Tariff.year")

    __table_args__ = (
        CheckConstraint("kind <> 'BASIC' OR free_for_children", name="basic_free_for_children"),
    )


class Tariff(Base):
    """The monthly premium of a product in a calendar year."""

    __tablename__ = "tariffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    year: Mapped[int]
    monthly_premium: Mapped[Decimal] = mapped_column(Money())

    product: Mapped[Product] = relationship(back_populates="tariffs")

    __table_args__ = (
        UniqueConstraint("product_id", "year"),
        CheckConstraint("monthly_premium >= 0", name="premium_not_negative"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )
