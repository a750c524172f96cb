"""The shared token bucket's arithmetic: refill, whole permits, the wait for the next one."""

import pytest

from notifications.ratelimit import grant, refill, seconds_to_next

# (tokens, since, now, rate, burst, expected tokens)
REFILL = [
    (0.0, 100.0, 100.0, 10.0, 5, 0.0),  # no time passed
    (0.0, 100.0, 100.1, 10.0, 5, 1.0),  # one tenth of a second at ten a second
    (2.0, 100.0, 100.25, 10.0, 5, 4.5),
    (4.5, 100.0, 100.05, 10.0, 5, 5.0),  # exactly full
    (4.5, 100.0, 101.0, 10.0, 5, 5.0),  # never above the burst
    (0.0, 100.0, 10_000.0, 10.0, 5, 5.0),  # a long idle spell saves up only the burst
    (3.0, 100.0, 99.0, 10.0, 5, 3.0),  # a clock that went back refills nothing
]


@pytest.mark.parametrize(("tokens", "since", "now", "rate", "burst", "expected"), REFILL)
def test_refill(tokens, since, now, rate, burst, expected) -> None:
    assert refill(tokens, since, now, rate, burst) == pytest.approx(expected)


# (available tokens, wanted, permits)
GRANT = [
    (0.0, 10, 0),
    (0.99, 10, 0),
    (1.0, 10, 1),
    (2.9999999999, 10, 3),  # float dust is not a missing permit
    (5.0, 3, 3),  # never more than wanted
    (5.0, 5, 5),
    (5.0, 0, 0),
]


@pytest.mark.parametrize(("available", "want", "permits"), GRANT)
def test_grant(available, want, permits) -> None:
    assert grant(available, want) == permits


@pytest.mark.parametrize(
    ("left", "rate", "wait"),
    [(0.0, 10.0, 0.1), (0.5, 10.0, 0.05), (0.9999999999, 10.0, 0.0), (1.0, 2.0, 0.0)],
)
def test_seconds_to_next(left, rate, wait) -> None:
    assert seconds_to_next(left, rate) == pytest.approx(wait)
