"""Working days as China's offices keep them: public holidays off, adjusted weekends (调休) on.

A re-entry decision is due within a number of working days of the report (report 4: a quick
decision when a job falls through), and a counted Monday to Friday would make it due on the
third day of the Spring Festival holiday, or let a make-up Sunday slip by. The State Council
publishes each year's holidays and make-up working days late in the year before; the
``chinesecalendar`` package (MIT) carries them for 2004 to the latest published year.

Two things the package cannot know come from a TOML file named by
``WORKBRIDGE_HOLIDAYS_FILE``:

- a county's own days off (a local festival, a day declared for a disaster), and
- next year's official dates, between their publication and a release of the package that
  has them::

      # The county's days off and dates the package does not have yet.
      holidays = [2027-01-01, 2027-02-16]
      workdays = [2027-02-07]     # adjusted working weekends

The file's dates win over the package. A year neither knows is counted Monday to Friday, and
``knows`` says so, so that what depends on it can say which calendar it used.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

from kernel.settings import SettingsError


class CalendarError(SettingsError):
    """The holidays file (``WORKBRIDGE_HOLIDAYS_FILE``) cannot be read as lists of days."""


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:  # a year the package has no data for
            return day.weekday() < 5

    def knows(self, day: date) -> bool:
        """Whether ``day``'s year has official data (the package's or the file's)."""
        if any(d.year == day.year for d in self.holidays | self.workdays):
            return True
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day``."""
        current = day
        while count > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current

    @classmethod
    def from_file(cls, path: str | Path) -> WorkingCalendar:
        try:
            with open(path, "rb") as handle:
                document = tomllib.load(handle)
        except OSError as exc:
            raise CalendarError(f"cannot read the holidays file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise CalendarError(f"the holidays file {path} is not TOML: {exc}") from None
        unknown = set(document) - {"holidays", "workdays"}
        if unknown:
            raise CalendarError(
                f"the holidays file {path} has keys other than holidays and workdays: "
                f"{sorted(unknown)}"
            )
        holidays = _days(path, "holidays", document.get("holidays", []))
        workdays = _days(path, "workdays", document.get("workdays", []))
        if both := holidays & workdays:
            raise CalendarError(
                f"the holidays file {path} lists {sorted(d.isoformat() for d in both)} as both "
                "holiday and working day"
            )
        return cls(holidays, workdays)


def _days(path: str | Path, key: str, values: object) -> frozenset[date]:
    if not isinstance(values, list) or not all(_is_day(v) for v in values):
        raise CalendarError(f"{key} in {path} must be a list of dates such as 2027-01-01")
    return frozenset(values)  # type: ignore[arg-type]


def _is_day(value: object) -> bool:
    return isinstance(value, date) and not hasattr(value, "hour")


_current = WorkingCalendar()


def configure_working_days(calendar: WorkingCalendar) -> None:
    """The calendar of this process (set from the settings where the service or a command
    starts)."""
    global _current
    _current = calendar


def working_calendar() -> WorkingCalendar:
    return _current


def calendar_for(holidays_file: str | None) -> WorkingCalendar:
    """The calendar the settings name: the package's, with the file's days if one is given."""
    return WorkingCalendar.from_file(holidays_file) if holidays_file else WorkingCalendar()
