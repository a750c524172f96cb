"""Calendar arithmetic the policy needs (months, ages), kept exact and free of I/O."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_day_of_months(start: date, months: int) -> date:
    """The last day of a period of ``months`` calendar months that begins on ``start``: the day
    before the same date ``months`` later, or, when that month has no such date, its last day
    (the month's end, as the Civil Code's art. 202 takes it when a period's month has no
    corresponding day). 1 Nov + 6 months ends on 30 Apr;
    31 Aug + 6 months on 28 Feb (29 in a leap year); 1 Jan + 1 month on 31 Jan."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    length = calendar.monthrange(year, month)[1]
    if start.day > length:
        return date(year, month, length)
    return date(year, month, start.day) - timedelta(days=1)


def age_on(birth: date, day: date) -> int:
    """Completed years of age on ``day``: a person born 29 Feb turns a year older on 1 Mar."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of a ``YYYY-MM`` period."""
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
