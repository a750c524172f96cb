"""The replay prices months with rule 1 (activation/replay/money.py): its shortcut for whole
months must give what ``regular_fen`` gives, month by month, over random histories."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from activation.replay.money import due_by_month, month_fen, months_between
from benefits.payment_rules import Month, Rounding, StatusSlice, overlaps, regular_fen

MONTHS = months_between(Month(2025, 11), Month(2027, 2))
ROUNDINGS = [
    Rounding(Decimal("0.01"), "ROUND_HALF_UP", "v"),
    Rounding(Decimal("1"), "ROUND_HALF_UP", "v"),
    Rounding(Decimal("0.1"), "ROUND_DOWN", "v"),
    Rounding(Decimal("0.005"), "ROUND_HALF_UP", "v"),  # not whole fen: never the shortcut
]


def history(rng: random.Random) -> list[StatusSlice]:
    day, slices = date(2025, 10, 1) + timedelta(days=rng.randrange(200)), []
    for n in range(rng.randrange(1, 6)):
        length = rng.choice([1, 15, 28, 31, 61, 200, 400])
        last = n == 4 or rng.random() < 0.2
        end = None if last else day + timedelta(days=length - 1)
        amount = rng.choice([0, 30000, 30050, 12345, 99999, 60000])
        status = rng.choice(["active", "continuation_half", "suspended", "terminated"])
        slices.append(StatusSlice(n, status, day, end, amount, "r", "v"))
        if end is None:
            break
        day = end + timedelta(days=1)
    return slices


@pytest.mark.parametrize("seed", range(40))
def test_the_shortcut_is_rule_one(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        slices = history(rng)
        rounding = rng.choice(ROUNDINGS)
        expected = [regular_fen([s for s in slices if overlaps(s, m)], m, rounding) for m in MONTHS]
        assert due_by_month(slices, MONTHS, [rounding] * len(MONTHS)) == expected


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "amount", "fen"),
    [
        (date(2026, 3, 1), date(2026, 3, 31), 60000, 60000),  # exactly the month
        (date(2026, 3, 2), None, 62000, 60000),  # from the 2nd: 30/31, rounded
        (date(2026, 2, 1), date(2026, 3, 30), 62000, 60000),  # to the 30th
        (date(2026, 2, 1), None, 0, 0),
    ],
)
def test_whole_and_part_months(starts_on, ends_on, amount, fen) -> None:
    only = StatusSlice(1, "active", starts_on, ends_on, amount, "r", "v")
    march = Month(2026, 3)
    assert month_fen([only], march, ROUNDINGS[0]) == fen
