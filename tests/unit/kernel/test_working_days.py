"""Boundary tables for working days (kernel.working_days): official holidays off, adjusted
weekends (调休) on, a county's own days from its file, and a year nobody knows yet."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kernel.settings import Settings, SettingsError
from kernel.working_days import CalendarError, WorkingCalendar, calendar_for

OFFICIAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("reported", "due", "weekdays_only"),
    [
        ("2026-11-23", "2026-11-30", "2026-11-30"),  # an ordinary week
        ("2026-11-27", "2026-12-04", "2026-12-04"),  # reported on a Friday
        ("2026-11-28", "2026-12-04", "2026-12-04"),  # reported on a Saturday
        ("2026-09-18", "2026-09-24", "2026-09-25"),  # Sunday 20 Sept is a make-up working day
        ("2026-09-25", "2026-10-09", "2026-10-02"),  # National Day week off
        ("2026-09-30", "2026-10-13", "2026-10-07"),  # ... and Saturday 10 Oct worked
        ("2026-02-13", "2026-02-27", "2026-02-20"),  # Sat 14 Feb worked, 15-23 Feb off
    ],
)
def test_five_working_days_as_the_offices_keep_them(
    reported: str, due: str, weekdays_only: str
) -> None:
    day = date.fromisoformat(reported)
    assert OFFICIAL.add_working_days(day, 5) == date.fromisoformat(due)
    assert _monday_to_friday(day, 5) == date.fromisoformat(weekdays_only)


def _monday_to_friday(day: date, count: int) -> date:
    """What was counted before the official calendar: weekdays alone."""
    while count:
        day = date.fromordinal(day.toordinal() + 1)
        count -= day.weekday() < 5
    return day


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-10-01", False),  # National Day
        ("2026-10-10", True),  # a Saturday worked in its place
        ("2026-10-11", False),  # an ordinary Sunday
        ("2026-10-12", True),  # an ordinary Monday
    ],
)
def test_official_days(day: str, working: bool) -> None:
    assert OFFICIAL.is_working_day(date.fromisoformat(day)) is working


def test_a_county_file_adds_its_own_days_and_next_years_dates(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(
        "# the county fair, and 2027 as published\n"
        "holidays = [2026-11-25, 2027-01-01]\n"
        "workdays = [2026-11-29]\n",
        encoding="utf-8",
    )
    county = calendar_for(str(path))
    assert county.is_working_day(date(2026, 11, 25)) is False  # a Wednesday off
    assert county.is_working_day(date(2026, 11, 29)) is True  # a Sunday worked
    # 23 Nov + 5: 24, 26, 27, 29 (Sunday worked), 30
    assert county.add_working_days(date(2026, 11, 23), 5) == date(2026, 11, 30)
    assert county.add_working_days(date(2026, 11, 23), 4) == date(2026, 11, 29)
    assert county.knows(date(2027, 3, 1)) is True  # the file speaks of 2027


def test_a_year_nobody_knows_is_counted_monday_to_friday_and_says_so() -> None:
    later = date(2031, 6, 2)  # a Monday
    assert OFFICIAL.knows(later) is False
    assert OFFICIAL.add_working_days(later, 5) == date(2031, 6, 9)
    assert OFFICIAL.knows(date(2026, 6, 1)) is True


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("holidays = [", "not TOML"),
        ('holidays = ["2027-01-01"]', "list of dates"),
        ("holidays = 2027-01-01", "list of dates"),
        ("holidays = [2027-01-01T08:00:00]", "list of dates"),
        ("days_off = [2027-01-01]", "other than holidays and workdays"),
        ("holidays = [2027-01-01]\nworkdays = [2027-01-01]", "both"),
    ],
)
def test_a_bad_holidays_file_is_refused_with_its_reason(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError, match=says):
        WorkingCalendar.from_file(path)


def test_the_setting_names_the_file_and_a_missing_one_is_a_settings_error(
    tmp_path: Path,
) -> None:
    assert Settings.from_env({}).holidays_file is None
    named = Settings.from_env({"WORKBRIDGE_HOLIDAYS_FILE": str(tmp_path / "x.toml")})
    assert named.holidays_file == str(tmp_path / "x.toml")
    with pytest.raises(SettingsError, match="cannot read"):
        calendar_for(named.holidays_file)
