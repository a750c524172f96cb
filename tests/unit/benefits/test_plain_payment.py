"""The plain-case rule (``payment_rules.plain_fen``) is rules 1 to 3 where they reduce to "pay the
monthly amount", and never anywhere else; its derived explanation is the one the rules store."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benefits.payment_rules import (
    Month,
    Owed,
    Rounding,
    StatusSlice,
    line_inputs,
    plain_fen,
    plain_inputs,
    regular_fen,
    settle,
)

MARCH = Month.parse("2026-03")
FEN = Rounding(Decimal("0.01"), ROUND_HALF_UP, "v1")
YUAN = Rounding(Decimal("1"), ROUND_HALF_UP, "v1")


def _slice(starts: date, ends: date | None, amount: int, status: str = "active") -> StatusSlice:
    return StatusSlice(1, status, starts, ends, amount, "rule", "v1")


@pytest.mark.parametrize(
    ("starts", "ends", "amount", "status", "rounding", "plain"),
    [
        (date(2026, 3, 1), None, 64_000, "active", FEN, True),
        (date(2026, 2, 28), date(2026, 3, 31), 64_000, "active", FEN, True),
        (date(2026, 3, 2), None, 64_000, "active", FEN, False),  # starts on day 2
        (date(2026, 3, 1), date(2026, 3, 30), 64_000, "active", FEN, False),  # ends a day early
        (date(2026, 3, 1), date(2026, 4, 1), 64_000, "continuation_half", FEN, True),
        (date(2026, 3, 1), None, 1, "active", FEN, True),  # one fen is a whole step of a fen
        (date(2026, 3, 1), None, 0, "suspended", FEN, False),  # zero: explained by its inputs
        (date(2026, 3, 1), None, 64_000, "terminated", FEN, False),
        (date(2026, 3, 1), None, 64_000, "active", YUAN, True),  # 640 yuan: whole yuan
        (date(2026, 3, 1), None, 64_050, "active", YUAN, False),  # 640.50: rounding applies
        (date(2026, 3, 1), None, 64_001, "active", YUAN, False),
    ],
)
def test_which_cases_are_plain(starts, ends, amount, status, rounding, plain) -> None:
    slices = [_slice(starts, ends, amount, status)]
    assert (plain_fen(slices, [], MARCH, rounding) is not None) is plain


def test_anything_owed_or_a_second_period_makes_a_case_not_plain() -> None:
    whole = _slice(date(2026, 1, 1), None, 64_000)
    assert plain_fen([whole], [Owed(1, "back_pay", 100, "appeal:1", "")], MARCH, FEN) is None
    assert plain_fen([whole], [Owed(1, "recovery", -100, "recompute:x", "")], MARCH, FEN) is None
    assert plain_fen([whole, whole], [], MARCH, FEN) is None


def test_a_rounding_step_finer_than_a_fen_sends_every_case_to_the_rules() -> None:
    fine = Rounding(Decimal("0.001"), ROUND_HALF_UP, "v1")
    assert fine.quantum_fen is None
    assert plain_fen([_slice(date(2026, 1, 1), None, 64_000)], [], MARCH, fine) is None


@pytest.mark.parametrize(
    ("quantum", "fen"),
    [
        ("0.01", 1),
        ("0.1", 10),
        ("1", 100),
        ("1E+1", 1000),
        # Decimal.quantize rounds to the quantum's exponent, not its value
        ("0.10", 1),
        ("1.00", 1),
        ("0.5", 10),
        ("5", 100),
        ("0.001", None),
        ("0.005", None),
    ],
)
def test_the_step_in_fen_is_the_one_quantize_rounds_to(quantum, fen) -> None:
    rounding = Rounding(Decimal(quantum), ROUND_HALF_UP, "v1")
    assert rounding.quantum_fen == fen
    if fen is not None:  # one fen either side of half a step: quantize agrees with the step
        for value in (fen * 7 + fen // 2, fen * 7 + (fen - 1) // 2):
            yuan = Decimal(value) / 100
            rounded = yuan.quantize(Decimal(quantum), rounding=ROUND_HALF_UP) * 100
            assert rounded % fen == 0


days = st.integers(min_value=-70, max_value=70).map(lambda n: MARCH.first + timedelta(days=n))
slices = st.builds(
    lambda starts, length, amount, status: _slice(
        starts, None if length is None else starts + timedelta(days=length), amount, status
    ),
    days,
    st.none() | st.integers(min_value=0, max_value=90),
    st.integers(min_value=0, max_value=500_000) | st.integers(0, 5_000).map(lambda y: y * 100),
    st.sampled_from(
        ["active", "suspended", "continuation_full", "continuation_half", "terminated"]
    ),
)
owed = st.builds(
    lambda n, amount: Owed(n, "back_pay" if amount > 0 else "recovery", amount, "test", ""),
    st.integers(1, 99),
    st.integers(-300_000, 300_000).filter(bool),
)
roundings = st.sampled_from(
    [
        FEN,
        YUAN,
        Rounding(Decimal("0.1"), ROUND_HALF_UP, "v1"),
        Rounding(Decimal("1"), ROUND_DOWN, "v1"),
    ]
)
months = st.sampled_from([MARCH, Month.parse("2026-02"), Month.parse("2024-02")])


@settings(max_examples=400, deadline=None)
@given(st.lists(slices, max_size=3), st.lists(owed, max_size=2), months, roundings)
def test_a_plain_case_is_paid_and_explained_as_the_rules_would(
    history, debts, month, rounding
) -> None:
    amount = plain_fen(history, debts, month, rounding)
    if amount is None:
        return
    settlement = settle(regular_fen(history, month, rounding), debts)
    assert (settlement.regular_fen, settlement.amount_fen, settlement.adjustments_fen) == (
        amount,
        amount,
        0,
    )
    assert settlement.carried_fen == 0
    assert plain_inputs(month, history[0], rounding) == line_inputs(
        month, history, debts, settlement, rounding
    )
