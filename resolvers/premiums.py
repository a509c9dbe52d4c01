"""The premium engine (D1, D2) as pure functions: what one insured owes for one product in one
month, and the employer's contribution — every amount explainable.

Rules (SPEC D1, D2; REFERENCE "Premium facts"):

* Tariffs are monthly, per product and calendar year.
* Children pay nothing for a product that is free for children (basic insurance always) until
  the **1st of the month after their 18th birthday**.
* A partial month is paid **pro rata per day**: tariff × billable days / days in the month. The
  billable days are where membership of the collectivity, the coverage of the product and the
  premium liability all overlap within the month (our choice: no public rule exists).
* The contract discount applies to supplementary and dental products only (none on basic since
  2023), as a percentage of the pro-rata amount.
* The employer contribution is NONE, a PERCENTAGE of the premium after discount, or a FIXED amount
  per policyholder per month, pro rata to the days the policyholder is billable, spread over the
  policyholder's own lines (basic first) and never above a line's premium.
* Money is ``Decimal``, every amount rounded half-up to cents **per line**.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from storage.enums import EmployerContributionKind, ProductKind

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    """Round half-up to cents (D: per line)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


def liable_from(birth_date: dt.date, *, free_for_children: bool) -> dt.date | None:
    """The first day premium is due: the 1st of the month after the 18th birthday, for a
    product free for children; None (always due) otherwise. 29 February counts as 1 March in a
    year without it."""
    if not free_for_children:
        return None
    try:
        eighteenth = birth_date.replace(year=birth_date.year + 18)
    except ValueError:  # born on 29 February
        eighteenth = dt.date(birth_date.year + 18, 3, 1)
    if eighteenth.month == 12:
        return dt.date(eighteenth.year + 1, 1, 1)
    return dt.date(eighteenth.year, eighteenth.month + 1, 1)


Period = tuple[dt.date, dt.date | None]  # start, inclusive end (None: open)


def billable_days(month: dt.date, periods: Sequence[Period]) -> int:
    """Days of ``month`` inside every one of ``periods`` (their intersection)."""
    first, last = month_bounds(month)
    start, end = first, last
    for period_start, period_end in periods:
        start = max(start, period_start)
        if period_end is not None:
            end = min(end, period_end)
    return max((end - start).days + 1, 0)


@dataclasses.dataclass(frozen=True)
class PremiumLine:
    """One insured × product × month, with everything needed to explain the amounts."""

    month: dt.date
    tariff: Decimal
    days: int
    days_in_month: int
    gross_premium: Decimal  # tariff × days / days in month, rounded
    discount_percentage: Decimal
    discount: Decimal
    premium: Decimal  # gross − discount
    employer_contribution: Decimal = ZERO

    @property
    def deduction(self) -> Decimal:
        """What the employer deducts from the salary: premium − employer contribution."""
        return self.premium - self.employer_contribution

    def explain(self) -> str:
        parts = [f"{self.tariff} × {self.days}/{self.days_in_month} days = {self.gross_premium}"]
        if self.discount:
            parts.append(f"− {self.discount_percentage}% discount {self.discount}")
        parts.append(f"= premium {self.premium}")
        if self.employer_contribution:
            parts.append(f"− employer {self.employer_contribution} = deduction {self.deduction}")
        return " ".join(parts)


def premium_line(
    *,
    month: dt.date,
    tariff: Decimal,
    product_kind: ProductKind,
    free_for_children: bool,
    birth_date: dt.date,
    membership: Period,
    coverage: Period,
    discount_percentage: Decimal,
) -> PremiumLine:
    """The premium of one insured for one product in one month, before the employer's share."""
    periods = [membership, coverage]
    due_from = liable_from(birth_date, free_for_children=free_for_children)
    if due_from is not None:
        periods.append((due_from, None))
    return premium_for_days(
        month=month,
        tariff=tariff,
        product_kind=product_kind,
        days=billable_days(month, periods),
        discount_percentage=discount_percentage,
    )


def premium_for_days(
    *,
    month: dt.date,
    tariff: Decimal,
    product_kind: ProductKind,
    days: int,
    discount_percentage: Decimal,
) -> PremiumLine:
    """The premium for ``days`` billable days of ``month`` (the days already worked out, e.g.
    summed over two memberships in one month), before the employer's share."""
    first, last = month_bounds(month)
    days_in_month = (last - first).days + 1
    gross = cents(tariff * days / days_in_month)
    percentage = discount_percentage if product_kind is not ProductKind.BASIC else ZERO
    discount = cents(gross * percentage / 100)
    return PremiumLine(
        month=first,
        tariff=tariff,
        days=days,
        days_in_month=days_in_month,
        gross_premium=gross,
        discount_percentage=percentage,
        discount=discount,
        premium=gross - discount,
    )


def with_percentage_contribution(line: PremiumLine, percentage: Decimal) -> PremiumLine:
    """PERCENTAGE: the employer pays ``percentage`` % of the premium after discount."""
    share = min(cents(line.premium * percentage / 100), line.premium)
    return dataclasses.replace(line, employer_contribution=max(share, ZERO))


def with_fixed_contribution(
    lines: Sequence[PremiumLine], amount: Decimal, *, policyholder_days: int, days_in_month: int
) -> list[PremiumLine]:
    """FIXED: ``amount`` per policyholder per month, pro rata to the policyholder's billable days,
    spread over the policyholder's lines in the given order (basic first), never above a line's
    premium: what does not fit is not paid."""
    remaining = cents(amount * policyholder_days / days_in_month) if days_in_month else ZERO
    spread = []
    for line in lines:
        share = max(min(remaining, line.premium), ZERO)
        remaining -= share
        spread.append(dataclasses.replace(line, employer_contribution=share))
    return spread


def apply_contribution(
    lines: Sequence[PremiumLine],
    kind: EmployerContributionKind,
    *,
    amount: Decimal | None = None,
    percentage: Decimal | None = None,
    policyholder_days: int = 0,
) -> list[PremiumLine]:
    """The contract's employer contribution on one policyholder's lines of one month (D1)."""
    if kind is EmployerContributionKind.NONE or not lines:
        return list(lines)
    if kind is EmployerContributionKind.PERCENTAGE:
        assert percentage is not None
        return [with_percentage_contribution(line, percentage) for line in lines]
    assert amount is not None
    return with_fixed_contribution(
        lines, amount, policyholder_days=policyholder_days, days_in_month=lines[0].days_in_month
    )
