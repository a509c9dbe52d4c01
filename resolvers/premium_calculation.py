"""What a collectivity's members owe in one month: the premium engine (``premiums``) applied to the
facts of a collectivity — memberships, coverages, birth dates, tariffs and contract terms (D1, D2).

Pure: the facts come in as plain values (``premium_facts`` loads them), so the prolongation run,
the corrections, the premium overview and the property tests all compute with the same function.

* An insured's billable days for a product are the days of the month where a membership of the
  collectivity, a coverage of the product and the premium liability (children: from the 1st of the
  month after the 18th birthday) all overlap, summed over memberships and coverages (someone who
  leaves on the 10th and returns on the 20th pays for both parts). Rounding is per line.
* Everyone with a membership in the month gets a line for each product covered in it, also when
  the amount is nil (a child): a borderel lists paying and non-paying insured (REFERENCE).
* The contract of the month's calendar year gives the discount and the employer contribution.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from storage.enums import EmployerContributionKind, ProductKind, Relation

from .errors import DomainError, ErrorCode
from .premiums import (
    Period,
    PremiumLine,
    apply_contribution,
    liable_from,
    month_bounds,
    premium_for_days,
)

_KIND_ORDER = {ProductKind.BASIC: 0, ProductKind.SUPPLEMENTARY: 1, ProductKind.DENTAL: 2}


@dataclasses.dataclass(frozen=True, slots=True)
class ProductFacts:
    id: int
    code: str
    name: str
    kind: ProductKind
    free_for_children: bool
    tariffs: Mapping[int, Decimal]  # calendar year → monthly premium

    def tariff(self, year: int) -> Decimal:
        try:
            return self.tariffs[year]
        except KeyError:
            raise DomainError(
                ErrorCode.TARIFF_MISSING, field="month", product=self.code, year=year
            ) from None


@dataclasses.dataclass(frozen=True, slots=True)
class Terms:
    """The contract terms of one calendar year that the premium depends on."""

    discount_percentage: Decimal
    contribution_kind: EmployerContributionKind
    contribution_amount: Decimal | None
    contribution_percentage: Decimal | None


@dataclasses.dataclass(frozen=True, slots=True)
class MemberFacts:
    """An insured's facts within one collectivity: memberships there, and their coverages."""

    insured_id: int
    policy_id: int
    relation: Relation
    birth_date: dt.date
    memberships: tuple[Period, ...]
    coverages: tuple[tuple[int, Period], ...]  # (product id, period)


@dataclasses.dataclass(frozen=True, slots=True)
class Computed:
    """One insured × product × month, computed."""

    insured_id: int
    policy_id: int
    product_id: int
    line: PremiumLine


def _overlaps(period: Period, first: dt.date, last: dt.date) -> bool:
    start, end = period
    return start <= last and (end is None or end >= first)


def compute_month(
    month: dt.date,
    members: Iterable[MemberFacts],
    products: Mapping[int, ProductFacts],
    terms: Terms,
) -> list[Computed]:
    """Every insured × product line of ``month`` for these members, contributions applied."""
    first, last = month_bounds(month)
    days_in_month = (last - first).days + 1
    computed: list[Computed] = []
    for member in members:
        memberships = [m for m in member.memberships if _overlaps(m, first, last)]
        if not memberships:
            continue
        # Products free for children are due from the 1st of the month after the 18th birthday.
        liable: Period = (liable_from(member.birth_date, free_for_children=True) or first, None)
        days: dict[int, int] = {}
        for product_id, coverage in member.coverages:
            if not _overlaps(coverage, first, last):
                continue
            if products[product_id].free_for_children:
                counted = sum(_days(first, last, m, coverage, liable) for m in memberships)
            else:
                counted = sum(_days(first, last, m, coverage) for m in memberships)
            days[product_id] = min(days.get(product_id, 0) + counted, days_in_month)
        lines = [
            Computed(
                member.insured_id,
                member.policy_id,
                product_id,
                premium_for_days(
                    month=first,
                    tariff=products[product_id].tariff(first.year),
                    product_kind=products[product_id].kind,
                    days=count,
                    discount_percentage=terms.discount_percentage,
                ),
            )
            for product_id, count in sorted(
                days.items(), key=lambda item: _product_order(products[item[0]])
            )
        ]
        if member.relation is Relation.POLICYHOLDER:
            member_days = sum(_days(first, last, m) for m in memberships)
            lines = _with_contribution(lines, terms, member_days)
        elif terms.contribution_kind is EmployerContributionKind.PERCENTAGE:
            lines = _with_contribution(lines, terms, 0)
        computed += lines
    return computed


def _days(first: dt.date, last: dt.date, *periods: Period) -> int:
    """``premiums.billable_days`` for the month [first, last] (worked out once per month, not per
    call: the run counts days for every member, membership and coverage)."""
    start, end = first, last
    for period_start, period_end in periods:
        if period_start > start:
            start = period_start
        if period_end is not None and period_end < end:
            end = period_end
    return max((end - start).days + 1, 0)


def _product_order(product: ProductFacts) -> tuple[int, str]:
    return _KIND_ORDER[product.kind], product.code


def _with_contribution(lines: Sequence[Computed], terms: Terms, days: int) -> list[Computed]:
    """FIXED is per policyholder (on their own lines, basic first); PERCENTAGE is on every line."""
    contributed = apply_contribution(
        [c.line for c in lines],
        terms.contribution_kind,
        amount=terms.contribution_amount,
        percentage=terms.contribution_percentage,
        policyholder_days=days,
    )
    return [
        Computed(c.insured_id, c.policy_id, c.product_id, line)
        for c, line in zip(lines, contributed, strict=True)
    ]
