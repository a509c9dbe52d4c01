"""Column types that keep money exact and timestamps timezone-aware on every database."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no timezone support; PostgreSQL stores ``timestamptz``. Both hand back an aware
    ``datetime`` in UTC, and naive values are refused on the way in so that no local time slips in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware datetime")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal stored as a scaled integer (``places`` digits after the point).

    SQLite has no exact decimal type, so amounts are kept as integers (cents for money). Sums in
    SQL therefore stay exact on both databases. A value with more digits than ``places`` is refused
    rather than silently rounded: rounding is a business rule and belongs in the premium engine.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int = 2) -> None:
        super().__init__()
        self.places = places
        self._quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("float refused for an exact amount: use Decimal")
        value = Decimal(value)
        if value.quantize(self._quantum, rounding=ROUND_HALF_UP) != value:
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(value.scaleb(self.places))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places).quantize(self._quantum)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self


def Money() -> ScaledDecimal:
    """Euro amounts with two decimals (D: money is Decimal with 2 places)."""
    return ScaledDecimal(2)


def Percentage() -> ScaledDecimal:
    """Percentages with two decimals, e.g. ``Decimal("12.50")``."""
    return ScaledDecimal(2)
