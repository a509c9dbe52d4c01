"""The clock, passed in rather than reached for: business dates are in Europe/Amsterdam (SPEC §3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Clock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        """Today's date in the Netherlands ("today" in every business rule)."""
        return self.now().astimezone(AMSTERDAM).date()


@dataclasses.dataclass
class FixedClock(Clock):
    """A clock that stands still at ``at`` (tests, demo runs, replays); ``advance`` moves it."""

    at: dt.datetime

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, delta: dt.timedelta) -> None:
        self.at += delta
