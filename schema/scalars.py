"""Scalars (G3): ``Date`` and ``DateTime`` are Strawberry's ISO scalars; money and percentages are
decimal strings such as ``"123.45"`` — never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

Money = NewType("Money", Decimal)
Percentage = NewType("Percentage", Decimal)


def _parse_decimal(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError('expected a decimal string such as "123.45"')
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    exponent = parsed.as_tuple().exponent
    if not parsed.is_finite() or not isinstance(exponent, int) or exponent < -2:
        raise ValueError(f"{value!r} must be a finite number with at most two decimals")
    return parsed


def _two_places(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


SCALAR_MAP: dict[object, ScalarDefinition] = {
    Money: strawberry.scalar(
        name="Money",
        description='An amount in euros as a decimal string with two decimals, e.g. "123.45".',
        serialize=_two_places,
        parse_value=_parse_decimal,
    ),
    Percentage: strawberry.scalar(
        name="Percentage",
        description='A percentage as a decimal string with two decimals, e.g. "12.50".',
        serialize=_two_places,
        parse_value=_parse_decimal,
    ),
}
