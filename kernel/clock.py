"""Time, injected: business rules turn on dates (day 180 vs 181), so tests must set the clock.

Instants are timezone-aware UTC; calendar days are taken in the office's zone (a setting).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and replaying decisions."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at


def office_today(clock: Clock, zone: ZoneInfo) -> date:
    """The calendar day at the office, which is what effective dates are counted in."""
    return clock.now().astimezone(zone).date()
