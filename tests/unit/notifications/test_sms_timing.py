"""Quiet hours (policy parameters, office time zone) and retry backoff."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from kernel.policy import PolicyError, load_profile
from notifications.timing import QuietHours, backoff_seconds, parse_clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(start=time(21, 0), end=time(8, 0))


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [
        ("20:59", False),
        ("21:00", True),
        ("23:59", True),
        ("00:00", True),
        ("07:59", True),
        ("08:00", False),
        ("12:00", False),
    ],
)
def test_quiet_hours_boundaries(clock, quiet) -> None:
    assert NIGHT.contains(parse_clock(clock)) is quiet


def test_seconds_do_not_move_the_boundary() -> None:
    assert NIGHT.contains(time(20, 59, 59)) is False
    assert NIGHT.contains(time(7, 59, 59)) is True


def test_a_daytime_window_and_no_window() -> None:
    lunch = QuietHours(start=time(12, 0), end=time(13, 30))
    assert lunch.contains(time(12, 0)) and lunch.contains(time(13, 29))
    assert not lunch.contains(time(13, 30)) and not lunch.contains(time(11, 59))
    assert not QuietHours(start=time(8, 0), end=time(8, 0)).contains(time(8, 0))


def at(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (at(2, 20, 59), at(2, 20, 59)),  # before the window: now
        (at(2, 21, 0), at(3, 8, 0)),  # evening: tomorrow 08:00
        (at(2, 23, 30), at(3, 8, 0)),
        (at(3, 0, 10), at(3, 8, 0)),  # after midnight: this morning
        (at(3, 7, 59), at(3, 8, 0)),
        (at(3, 8, 0), at(3, 8, 0)),
    ],
)
def test_next_allowed_is_computed_in_the_office_zone(now, allowed) -> None:
    result = NIGHT.next_allowed(now.astimezone(UTC), SHANGHAI)
    assert result == allowed
    assert result.tzinfo is UTC


def test_the_same_instant_is_quiet_in_one_office_and_not_another() -> None:
    instant = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 22:00 Shanghai, 14:00 London
    assert NIGHT.next_allowed(instant, SHANGHAI) == at(3, 8, 0)
    assert NIGHT.next_allowed(instant, ZoneInfo("Europe/London")) == instant


def test_both_profiles_carry_the_quiet_hours_with_a_basis() -> None:
    for profile in ("county-pilot", "national-2014"):
        params = load_profile(profile).at(date(2026, 3, 2))
        assert QuietHours.from_policy(params) == NIGHT
        assert "SMS.md" in params.basis("notifications.quiet_hours.start")
        assert params.int("notifications.max_parts") == 3


def test_a_malformed_clock_is_a_policy_error() -> None:
    with pytest.raises(PolicyError):
        parse_clock("9pm")


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 2.0), (2, 4.0), (3, 8.0), (8, 256.0), (9, 300.0), (20, 300.0)]
)
def test_backoff_doubles_up_to_the_cap(attempt, expected) -> None:
    assert backoff_seconds(attempt, base=2.0, cap=300.0) == expected


def test_retry_after_wins_when_longer_and_jitter_stays_under_the_cap() -> None:
    assert backoff_seconds(1, base=2.0, cap=300.0, retry_after=30) == 30
    assert backoff_seconds(1, base=2.0, cap=300.0, retry_after=1) == 2.0
    assert backoff_seconds(1, base=2.0, cap=300.0, jitter=0.5) == 3.0
    assert backoff_seconds(9, base=2.0, cap=300.0, jitter=0.9) == 300.0
    with pytest.raises(ValueError):
        backoff_seconds(0, base=2.0, cap=300.0)
