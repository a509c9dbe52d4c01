"""Prolongation months (D3–D7): a month is the date of its first day; ``YYYY-MM`` on the wire."""

from __future__ import annotations

import datetime as dt
import re

from .errors import DomainError, ErrorCode

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_month(text: str, *, field: str = "month") -> dt.date:
    """``"2026-12"`` → 1 December 2026; anything else is INVALID_MONTH."""
    match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise DomainError(ErrorCode.INVALID_MONTH, field=field)
    return dt.date(int(match[1]), int(match[2]), 1)


def format_month(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def check_not_beyond_next(month: dt.date, today: dt.date, *, field: str = "month") -> None:
    """A borderel exists at the earliest for the coming month (prolongation = the regular premium
    for the coming month): a later month is MONTH_OUT_OF_RANGE."""
    if month > add_months(first_of(today), 1):
        raise DomainError(ErrorCode.MONTH_OUT_OF_RANGE, field=field)
