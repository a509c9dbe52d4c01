"""The premium engine (D1, D2), hand-worked: every example is also in docs/premiums.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from resolvers.premiums import apply_contribution, liable_from, premium_line
from storage.enums import EmployerContributionKind, ProductKind

D = Decimal
ADULT = dt.date(1980, 5, 17)
ALWAYS = (dt.date(2000, 1, 1), None)


def line(month: dt.date, tariff: str = "158.00", **changes):
    values = {
        "month": month,
        "tariff": D(tariff),
        "product_kind": ProductKind.BASIC,
        "free_for_children": True,
        "birth_date": ADULT,
        "membership": ALWAYS,
        "coverage": ALWAYS,
        "discount_percentage": D("10.00"),
    } | changes
    return premium_line(**values)


def test_d2_a_full_month_is_the_tariff_and_basic_has_no_discount() -> None:
    result = line(dt.date(2026, 3, 1))
    assert (result.days, result.days_in_month) == (31, 31)
    assert (result.gross_premium, result.discount, result.premium) == (D("158.00"), 0, D("158.00"))


def test_d2_joining_on_the_10th_pays_22_of_31_days_rounded_half_up() -> None:
    # 158.00 × 22 / 31 = 112.1290… → 112.13
    result = line(dt.date(2026, 3, 1), membership=(dt.date(2026, 3, 10), None))
    assert (result.days, result.premium) == (22, D("112.13"))


def test_c5_d2_leaving_per_16_april_pays_up_to_and_including_the_15th() -> None:
    # End date inclusive: 15 of 30 days; 158.00 × 15 / 30 = 79.00
    result = line(dt.date(2026, 4, 1), membership=(dt.date(2020, 1, 1), dt.date(2026, 4, 15)))
    assert (result.days, result.premium) == (15, D("79.00"))


def test_d2_coverage_and_membership_overlap_counts() -> None:
    # Member all month, supplementary cover until the 20th: 20 of 31 days.
    result = line(
        dt.date(2026, 3, 1),
        "31.00",
        product_kind=ProductKind.SUPPLEMENTARY,
        coverage=(dt.date(2025, 1, 1), dt.date(2026, 3, 20)),
    )
    # 31.00 × 20 / 31 = 20.00; 10 % discount 2.00; premium 18.00
    assert (result.days, result.gross_premium, result.discount, result.premium) == (
        20, D("20.00"), D("2.00"), D("18.00"),
    )  # fmt: skip


def test_d1_discount_on_supplementary_is_rounded_half_up_per_line() -> None:
    # 34.95 × 10 % = 3.495 → 3.50; premium 31.45
    result = line(dt.date(2026, 3, 1), "34.95", product_kind=ProductKind.SUPPLEMENTARY)
    assert (result.discount, result.premium) == (D("3.50"), D("31.45"))


def test_d1_dental_gets_the_discount_too() -> None:
    result = line(dt.date(2026, 3, 1), "20.00", product_kind=ProductKind.DENTAL)
    assert (result.discount, result.premium) == (D("2.00"), D("18.00"))


@pytest.mark.parametrize(
    ("birth_date", "due_from"),
    [
        (dt.date(2010, 6, 15), dt.date(2028, 7, 1)),
        (dt.date(2008, 12, 20), dt.date(2027, 1, 1)),
        (dt.date(2008, 3, 1), dt.date(2026, 4, 1)),  # 18 on the 1st: still from the next month
        (dt.date(2008, 2, 29), dt.date(2026, 4, 1)),  # 18th birthday taken as 1 March 2026
    ],
)
def test_d2_premium_starts_the_first_of_the_month_after_the_18th_birthday(
    birth_date: dt.date, due_from: dt.date
) -> None:
    assert liable_from(birth_date, free_for_children=True) == due_from


def test_d2_a_child_pays_nothing_until_then_and_the_full_month_after() -> None:
    child = dt.date(2010, 6, 15)
    assert line(dt.date(2028, 6, 1), birth_date=child).premium == 0
    assert line(dt.date(2028, 7, 1), birth_date=child).premium == D("158.00")


def test_d2_a_product_not_free_for_children_is_paid_by_children() -> None:
    result = line(
        dt.date(2026, 3, 1),
        "20.00",
        product_kind=ProductKind.DENTAL,
        free_for_children=False,
        birth_date=dt.date(2015, 1, 1),
    )
    assert result.premium == D("18.00")


def test_d2_february_of_a_leap_year_has_29_days() -> None:
    result = line(dt.date(2028, 2, 1), membership=(dt.date(2028, 2, 15), None))
    # 158.00 × 15 / 29 = 81.7241… → 81.72
    assert (result.days, result.days_in_month, result.premium) == (15, 29, D("81.72"))


def test_d1_percentage_contribution_is_of_the_premium_after_discount() -> None:
    supplementary = line(dt.date(2026, 3, 1), "34.95", product_kind=ProductKind.SUPPLEMENTARY)
    (result,) = apply_contribution(
        [supplementary], EmployerContributionKind.PERCENTAGE, percentage=D("50.00")
    )
    # 31.45 × 50 % = 15.725 → 15.73; deduction 15.72
    assert (result.employer_contribution, result.deduction) == (D("15.73"), D("15.72"))


def test_d1_fixed_contribution_goes_to_basic_first_and_never_above_a_line() -> None:
    basic = line(dt.date(2026, 3, 1), "20.00")
    supplementary = line(dt.date(2026, 3, 1), "34.95", product_kind=ProductKind.SUPPLEMENTARY)
    results = apply_contribution(
        [basic, supplementary],
        EmployerContributionKind.FIXED,
        amount=D("25.00"),
        policyholder_days=31,
    )
    assert [r.employer_contribution for r in results] == [D("20.00"), D("5.00")]
    assert [r.deduction for r in results] == [D("0.00"), D("26.45")]


def test_d1_fixed_contribution_is_pro_rata_for_a_partial_month() -> None:
    basic = line(dt.date(2026, 3, 1), membership=(dt.date(2026, 3, 10), None))
    (result,) = apply_contribution(
        [basic], EmployerContributionKind.FIXED, amount=D("25.00"), policyholder_days=22
    )
    # 25.00 × 22 / 31 = 17.7419… → 17.74
    assert result.employer_contribution == D("17.74")


def test_d1_fixed_contribution_above_the_premium_is_capped() -> None:
    small = line(dt.date(2026, 3, 1), "10.00")
    (result,) = apply_contribution(
        [small], EmployerContributionKind.FIXED, amount=D("25.00"), policyholder_days=31
    )
    assert (result.employer_contribution, result.deduction) == (D("10.00"), D("0.00"))


def test_d1_no_contribution_leaves_lines_alone() -> None:
    basic = line(dt.date(2026, 3, 1))
    assert apply_contribution([basic], EmployerContributionKind.NONE) == [basic]


def test_d2_every_amount_can_be_explained() -> None:
    supplementary = line(
        dt.date(2026, 3, 1),
        "34.95",
        product_kind=ProductKind.SUPPLEMENTARY,
        membership=(dt.date(2026, 3, 10), None),
    )
    (result,) = apply_contribution(
        [supplementary], EmployerContributionKind.PERCENTAGE, percentage=D("50.00")
    )
    # 34.95 × 22 / 31 = 24.8032… → 24.80; 10 % = 2.48; premium 22.32; 50 % = 11.16
    assert result.explain() == (
        "34.95 × 22/31 days = 24.80 − 10.00% discount 2.48 = premium 22.32 "
        "− employer 11.16 = deduction 11.16"
    )
