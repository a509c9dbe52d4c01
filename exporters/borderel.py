"""The read-only, versioned borderel model handed to exporters (E2) and written to ``.dat`` (D7).

Plain frozen dataclasses of plain values — no ORM objects, no database — so a plugin can neither
change the portal's data nor depend on its storage. The portal builds one from a stored borderel
(``resolvers.borderel_model``); the ``.dat`` parser (``exporters.dat``) builds one from a file; the
vendor kit (``exporters.testing``) builds sample ones.

``MODEL_VERSION`` changes only when a field is removed or changes meaning; adding a field keeps it.
Plugins can compare it with the version they were written for.

Amounts are ``Decimal`` with two decimals. A regular line bills the borderel's own month; a
correction line bills an earlier month (``period``) with the difference between the recalculated
amount and everything billed before for that insured, product and month, so its amounts can be
negative (D3). ``days`` is the number of days the insured is billed for in ``period`` (for a
correction: the recalculated number).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable
from decimal import Decimal

MODEL_VERSION = 1
ZERO = Decimal("0.00")


class LineKind(enum.StrEnum):
    REGULAR = "REGULAR"
    CORRECTION = "CORRECTION"


class Relation(enum.StrEnum):
    POLICYHOLDER = "POLICYHOLDER"
    PARTNER = "PARTNER"
    CHILD = "CHILD"


class ProductKind(enum.StrEnum):
    BASIC = "BASIC"
    SUPPLEMENTARY = "SUPPLEMENTARY"
    DENTAL = "DENTAL"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Insured:
    """The person a line bills. No BSN: payroll systems identify the employee by number."""

    policy_number: str
    relation: Relation
    initials: str
    first_name: str | None
    name_prefix: str | None
    last_name: str
    birth_date: dt.date

    @property
    def display_name(self) -> str:
        """ "J. van Dijk": initials, prefix and last name."""
        return " ".join(p for p in (self.initials, self.name_prefix, self.last_name) if p)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BorderelLine:
    kind: LineKind
    # The employer's payroll number of the policyholder (the employee); None when not yet known.
    employee_number: str | None
    insured: Insured
    # The policy number of the policyholder: the family's key when the employee number is missing.
    policyholder_policy_number: str
    product_code: str
    product_name: str
    product_kind: ProductKind
    # The first day of the month this line bills.
    period: dt.date
    days: int
    gross_premium: Decimal
    discount: Decimal
    premium: Decimal  # gross_premium − discount
    employer_contribution: Decimal
    deduction: Decimal  # premium − employer_contribution: what is deducted from the salary


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    line_count: int
    premium: Decimal
    employer_contribution: Decimal
    deduction: Decimal

    @classmethod
    def of(cls, lines: Iterable[BorderelLine]) -> Totals:
        count, premium, contribution, deduction = 0, ZERO, ZERO, ZERO
        for line in lines:
            count += 1
            premium += line.premium
            contribution += line.employer_contribution
            deduction += line.deduction
        return cls(
            line_count=count,
            premium=premium,
            employer_contribution=contribution,
            deduction=deduction,
        )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Borderel:
    """One collectivity's premium statement for one prolongation month."""

    customer_number: str
    customer_name: str
    collectivity_number: str
    collectivity_name: str
    # The first day of the prolongation month.
    month: dt.date
    created_at: dt.datetime
    lines: tuple[BorderelLine, ...]
    model_version: int = MODEL_VERSION

    @property
    def totals(self) -> Totals:
        return Totals.of(self.lines)
