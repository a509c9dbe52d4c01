"""How far back and ahead an insured's membership may be changed (C5, C7).

Back-dated and future end dates are allowed within bounds the deployment chooses
(``COLLECTIEF_DEREGISTER_MONTHS_BACK`` / ``_AHEAD``, default 12 each). The bounds are whole
calendar months from today in Amsterdam, both inclusive: on 4 December 2026 with 12 and 12 the
window is 4 December 2025 up to 4 December 2027. A month without the day (31 → 30 April) takes
its last day.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months (negative: back), clamped to the month's end.

    >>> add_months(dt.date(2026, 3, 31), -1)
    datetime.date(2026, 2, 28)
    >>> add_months(dt.date(2026, 12, 4), 12)
    datetime.date(2027, 12, 4)
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclasses.dataclass(frozen=True)
class MutationWindow:
    months_back: int = 12
    months_ahead: int = 12

    def earliest(self, today: dt.date) -> dt.date:
        return add_months(today, -self.months_back)

    def latest(self, today: dt.date) -> dt.date:
        return add_months(today, self.months_ahead)

    def contains(self, day: dt.date, today: dt.date) -> bool:
        return self.earliest(today) <= day <= self.latest(today)
