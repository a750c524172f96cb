"""The replay prices months with rule 1 (activation/replay/money.py): its shortcut for whole
months and its integer arithmetic for part months must give what ``regular_fen`` gives, month by
month, over random histories, for every rounding mode and every way of writing a step."""

import decimal
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from activation.replay.money import (
    Roundings,
    due_by_month,
    month_fen,
    months_between,
    rounded_fen,
    shared_step,
)
from benefits.payment_rules import (
    ROUNDING_MODES,
    Month,
    Rounding,
    StatusSlice,
    overlaps,
    regular_fen,
)

MONTHS = months_between(Month(2025, 11), Month(2027, 2))
ROUNDINGS = [
    Rounding(Decimal("0.01"), "ROUND_HALF_UP", "v"),
    Rounding(Decimal("1"), "ROUND_HALF_UP", "v"),
    Rounding(Decimal("0.1"), "ROUND_DOWN", "v"),
    Rounding(Decimal("0.005"), "ROUND_HALF_UP", "v"),  # not whole fen: never the shortcut
]
QUANTA = ("0.01", "0.1", "1", "0.5", "0.10", "1.00", "5", "0.005")
EVERY_ROUNDING = [Rounding(Decimal(q), mode, "v") for q in QUANTA for mode in ROUNDING_MODES]


def history(rng: random.Random) -> list[StatusSlice]:
    day, slices = date(2025, 10, 1) + timedelta(days=rng.randrange(200)), []
    for n in range(rng.randrange(1, 6)):
        length = rng.choice([1, 15, 28, 31, 61, 200, 400])
        last = n == 4 or rng.random() < 0.2
        end = None if last else day + timedelta(days=length - 1)
        amount = rng.choice([0, 30000, 30050, 12345, 99999, 60000, 1, 4999, 75, 250001])
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


@pytest.mark.parametrize("seed", range(20))
def test_part_months_in_integers_are_rule_one_for_every_mode_and_step(seed: int) -> None:
    """Every mode Decimal knows and steps written every way, with overlapping periods too (rule
    1 sums whatever periods a month has)."""
    rng = random.Random(1000 + seed)
    for _ in range(20):
        slices = history(rng)
        if rng.random() < 0.3:  # a second history laid over the first
            slices = slices + [
                StatusSlice(9 + s.period_id, s.status, s.starts_on, s.ends_on, 777, "r", "v")
                for s in history(rng)
            ]
        rounding = [rng.choice(EVERY_ROUNDING) for _ in MONTHS]
        expected = [
            regular_fen([s for s in slices if overlaps(s, m)], m, step)
            for m, step in zip(MONTHS, rounding, strict=True)
        ]
        assert due_by_month(slices, MONTHS, rounding) == expected


@pytest.mark.parametrize("seed", range(20))
def test_periods_in_order_fill_their_whole_months_for_every_mode_and_step(seed: int) -> None:
    """Periods that follow one another, priced with one rounding for the window (the path that
    fills a period's whole months at once), for every mode and step: with a period wholly
    before the window, one that ends before it starts, and one wholly after it."""
    rng = random.Random(2000 + seed)
    before = StatusSlice(30, "active", date(2024, 1, 1), date(2024, 6, 30), 50_001, "r", "v")
    empty = StatusSlice(31, "active", date(2024, 7, 10), date(2024, 7, 5), 9_999, "r", "v")
    after = StatusSlice(32, "active", date(2030, 1, 1), None, 50_000, "r", "v")
    for _ in range(20):
        slices = history(rng)
        if rng.random() < 0.5:
            slices = [before, empty, *slices]
        if slices[-1].ends_on is not None and rng.random() < 0.5:
            slices = [*slices, after]
        rounding = [rng.choice(EVERY_ROUNDING)] * len(MONTHS)
        expected = [
            regular_fen([s for s in slices if overlaps(s, m)], m, step)
            for m, step in zip(MONTHS, rounding, strict=True)
        ]
        assert due_by_month(slices, MONTHS, rounding) == expected
        assert due_by_month(slices, MONTHS, Roundings(rounding)) == expected  # step kept


@pytest.mark.parametrize(
    ("quanta", "step"),
    [
        ([], None),
        (["0.01"], 1),
        (["0.01", "0.01", "0.01"], 1),
        (["0.10", "0.01"], 1),  # 0.10 rounds to the fen: the same step written two ways
        (["0.01", "0.1"], None),  # a step changes within the window
        (["1", "1.00"], None),  # a yuan, then a fen
        (["0.5", "0.1"], 10),  # both round to the jiao
        (["0.005", "0.005"], None),  # finer than a fen
    ],
)
def test_the_step_a_windows_roundings_share(quanta, step) -> None:
    rounding = [Rounding(Decimal(q), "ROUND_HALF_UP", "v") for q in quanta]
    assert shared_step(rounding) == step
    assert Roundings(rounding).shared_step == step


@pytest.mark.parametrize(
    ("periods", "due"),
    [
        # (starts, ends, amount) in March–May 2026 with a step of 1 fen, half up
        ([(date(2026, 3, 1), None, 31_000)], [31_000, 31_000, 31_000]),
        ([(date(2026, 3, 2), None, 31_000)], [30_000, 31_000, 31_000]),  # from the 2nd
        ([(date(2026, 1, 1), date(2026, 4, 30), 30_000)], [30_000, 30_000, 0]),  # to April's end
        ([(date(2026, 1, 1), date(2026, 4, 29), 30_000)], [30_000, 29_000, 0]),  # a day short
        ([(date(2026, 4, 10), date(2026, 4, 12), 30_000)], [0, 3_000, 0]),  # within a month
        (  # one ends on the 15th, the next starts on the 16th: one month of two periods
            [(date(2026, 1, 1), date(2026, 4, 15), 30_000), (date(2026, 4, 16), None, 60_000)],
            [30_000, 45_000, 60_000],
        ),
        (  # overlapping: each day of April counted in both, as rule 1 sums them
            [(date(2026, 1, 1), date(2026, 4, 30), 30_000), (date(2026, 4, 1), None, 60_000)],
            [30_000, 90_000, 60_000],
        ),
        (  # the next starts on the day the first ends, April's last: that day counted twice
            [(date(2026, 1, 1), date(2026, 4, 30), 30_000), (date(2026, 4, 30), None, 60_000)],
            [30_000, 32_000, 60_000],
        ),
    ],
)
def test_whole_and_edge_months_of_a_window(periods, due) -> None:
    slices = [StatusSlice(n, "active", *period, "r", "v") for n, period in enumerate(periods)]
    months = months_between(Month(2026, 3), Month(2026, 5))
    assert due_by_month(slices, months, [ROUNDINGS[0]] * 3) == due


def _quantized(day_fen: int, days: int, step: int, mode: str) -> int:
    quantum = Decimal(1).scaleb(len(str(step)) - 3)  # 0.01, 0.1 or 1 yuan, exponent and all
    yuan = (Decimal(day_fen) / days / 100).quantize(quantum, rounding=mode)
    return int(yuan * 100)


@pytest.mark.parametrize("mode", ROUNDING_MODES)
@pytest.mark.parametrize("step", [1, 10, 100])
@pytest.mark.parametrize("days", [28, 29, 30, 31])
def test_the_integer_rounding_agrees_with_decimal_at_every_boundary(mode, step, days) -> None:
    """On a step, half a step, one fen-day either side of each, for quotients ending in 0, 4,
    5 and 9 (ROUND_05UP and ROUND_HALF_EVEN look at the last digit)."""
    divisor = days * step
    edges = {0, 1, divisor // 2 - 1, divisor // 2, divisor // 2 + 1, divisor - 1}
    if divisor % 2 == 0:
        edges.add(divisor // 2)
    checked = 0
    for quotient in (0, 1, 4, 5, 9, 10, 15, 3_330, 3_335):
        for remainder in edges:
            day_fen = quotient * divisor + remainder
            assert rounded_fen(day_fen, days, step, mode) == _quantized(day_fen, days, step, mode)
            checked += 1
    assert checked >= 45


def test_a_negative_sum_or_an_unknown_mode_is_left_to_decimal() -> None:
    assert rounded_fen(-1, 31, 1, decimal.ROUND_HALF_UP) is None
    assert rounded_fen(100, 31, 1, "ROUND_SIDEWAYS") is None
    march = Month(2026, 3)
    owed_back = StatusSlice(1, "active", date(2026, 3, 2), None, -31_000, "r", "v")
    assert month_fen([owed_back], march, ROUNDINGS[0]) == regular_fen(
        [owed_back], march, ROUNDINGS[0]
    )


@pytest.mark.parametrize("seed", range(5))
def test_months_not_in_one_run_and_periods_outside_the_window(seed: int) -> None:
    """Months with a gap between them take the month-by-month path; periods wholly before or
    after the window, and one ending before it starts, reach no month either way."""
    rng = random.Random(500 + seed)
    gapped = [Month(2026, 1), Month(2026, 3), Month(2026, 4)]
    for months in (gapped, months_between(Month(2026, 2), Month(2026, 5))):
        for _ in range(20):
            slices = [
                *history(rng),
                StatusSlice(20, "active", date(2024, 1, 1), date(2024, 6, 30), 50_000, "r", "v"),
                StatusSlice(21, "active", date(2030, 1, 1), None, 50_000, "r", "v"),
                StatusSlice(22, "active", date(2026, 4, 20), date(2026, 3, 10), 9_999, "r", "v"),
            ]
            rounding = [rng.choice(EVERY_ROUNDING) for _ in months]
            expected = [
                regular_fen([s for s in slices if overlaps(s, m)], m, step)
                for m, step in zip(months, rounding, strict=True)
            ]
            assert due_by_month(slices, months, rounding) == expected
