"""The lock-out rule, the CSRF comparison and password hashing, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kernel.accounts import (
    LOCK_FOR,
    MAX_FAILURES,
    LockState,
    after_failure,
    after_success,
    csrf_matches,
    hash_password,
    password_ok,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def fail(times: int, start: LockState | None = None, at: datetime = T0) -> LockState:
    state = start or LockState(0, None)
    for _ in range(times):
        state = after_failure(state, at)
    return state


@pytest.mark.parametrize(("failures", "locked"), [(1, False), (4, False), (5, True)])
def test_the_fifth_failure_in_a_row_locks(failures: int, locked: bool) -> None:
    state = fail(failures)
    assert state.locked_at(T0) is locked
    assert state.failed_attempts == failures


def test_the_lock_lasts_fifteen_minutes_to_the_second() -> None:
    state = fail(MAX_FAILURES)
    assert timedelta(minutes=15) == LOCK_FOR
    assert state.locked_at(T0 + timedelta(minutes=14, seconds=59))
    assert not state.locked_at(T0 + timedelta(minutes=15))


def test_after_a_lock_the_count_starts_again() -> None:
    locked = fail(MAX_FAILURES)
    later = T0 + timedelta(minutes=16)
    again = after_failure(locked, later)
    assert again.failed_attempts == 1 and not again.locked_at(later)
    assert fail(MAX_FAILURES - 1, again, later).locked_at(later)


def test_a_right_password_resets_the_count() -> None:
    assert fail(4).failed_attempts == 4
    assert after_success() == LockState(0, None)
    assert not fail(4, after_success()).locked_at(T0)


@pytest.mark.parametrize(
    ("expected", "given", "ok"),
    [
        ("abc123", "abc123", True),
        ("abc123", "abc124", False),
        ("abc123", "", False),
        ("abc123", None, False),
        ("", "", False),  # a session without a token never matches anything
        (None, None, False),
        ("abc123", "abc1234", False),
    ],
)
def test_csrf_tokens_must_match_exactly(expected, given, ok: bool) -> None:
    assert csrf_matches(expected, given) is ok


def test_passwords_are_argon2_hashes_that_verify() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert password_ok(stored, "correct horse battery")
    assert not password_ok(stored, "correct horse batterY")
    assert not password_ok("not a hash", "anything")
