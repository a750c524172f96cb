"""Boundary tables for the payment rules (benefits.payment_rules): part months, rounding once,
set-off of recoveries never below zero, and recomputing months paid before a change."""

from datetime import date
from decimal import Decimal

import pytest

from benefits.payment_rules import (
    Month,
    Owed,
    Rounding,
    StatusSlice,
    correction,
    in_ledger,
    period_problems,
    regular_fen,
    settle,
)

CENT = Rounding(Decimal("0.01"), "ROUND_HALF_UP", "test@1")
YUAN = Rounding(Decimal("1"), "ROUND_HALF_UP", "test@1")


def slice_(status: str, start: str, end: str | None, fen: int, pid: int = 1) -> StatusSlice:
    return StatusSlice(
        pid,
        status,
        date.fromisoformat(start),
        date.fromisoformat(end) if end else None,
        fen,
        "rule",
        "test@1",
    )


def change_on(day: str, before_fen: int, after_fen: int, after: str = "suspended"):
    """An active case whose status changes on ``day`` (the new status starts that day)."""
    start = date.fromisoformat(day)
    previous = date.fromordinal(start.toordinal() - 1).isoformat()
    return [
        slice_("active", f"{start.year - 1}-01-01", previous, before_fen, 1),
        slice_(after, day, None, after_fen, 2),
    ]


@pytest.mark.parametrize(
    ("period", "history", "expected_fen"),
    [
        # a change on the 1st: the month is all the new status, the month before all the old
        ("2026-04", change_on("2026-04-01", 20000, 0), 0),
        ("2026-03", change_on("2026-04-01", 20000, 0), 20000),
        # on the 15th: 14 of 30 days; 200 × 14/30 = 93.333… → 93.33
        ("2026-04", change_on("2026-04-15", 20000, 0), 9333),
        # on the 16th: exactly half of April
        ("2026-04", change_on("2026-04-16", 20000, 0), 10000),
        # on the last day: 30 of 31 days; 200 × 30/31 = 193.548… → 193.55
        ("2026-03", change_on("2026-03-31", 20000, 0), 19355),
        # February of a leap year has 29 days: 290 × 14/29 = 140.00
        ("2024-02", change_on("2024-02-15", 29000, 0), 14000),
        # …and of a common year 28: 280 × 14/28 = 140.00
        ("2025-02", change_on("2025-02-15", 28000, 0), 14000),
        # continuation at half from the 11th of a 30-day month: 200×10/30 + 100×20/30 = 133.33
        ("2026-06", change_on("2026-06-11", 20000, 10000, "continuation_half"), 13333),
        # a case opened on the 16th of March: 16 of 31 days of 150 = 77.419… → 77.42
        ("2026-03", [slice_("active", "2026-03-16", None, 15000)], 7742),
        # a period that ends before the month pays nothing into it
        ("2026-05", [slice_("active", "2026-01-01", "2026-04-30", 15000)], 0),
    ],
)
def test_part_months_are_paid_by_calendar_days(
    period: str, history: list[StatusSlice], expected_fen: int
) -> None:
    assert regular_fen(history, Month.parse(period), CENT) == expected_fen


@pytest.mark.parametrize(
    ("rounding", "mode", "expected_fen"),
    [
        # 100.01 × 15/30 = 50.005: half up gives 50.01, half even 50.00
        (CENT, "ROUND_HALF_UP", 5001),
        (CENT, "ROUND_HALF_EVEN", 5000),
        (CENT, "ROUND_DOWN", 5000),
    ],
)
def test_amounts_that_end_in_half_a_fen_round_by_the_policys_mode(
    rounding: Rounding, mode: str, expected_fen: int
) -> None:
    history = change_on("2026-04-16", 10001, 0)
    policy = Rounding(rounding.quantum, mode, "test@1")
    assert regular_fen(history, Month.parse("2026-04"), policy) == expected_fen


def test_a_month_is_rounded_once_not_once_per_period() -> None:
    # two halves of 50.005 each: rounded once 100.01; rounded per period it would be 100.02
    history = change_on("2026-04-16", 10001, 10001, "continuation_full")
    assert regular_fen(history, Month.parse("2026-04"), CENT) == 10001


def test_whole_yuan_rounding_of_the_national_profile() -> None:
    # 201 × 15/30 = 100.50 → 101 yuan (half up), 199 × 15/30 = 99.50 → 100 yuan
    assert regular_fen(change_on("2026-04-16", 20100, 0), Month.parse("2026-04"), YUAN) == 10100
    assert regular_fen(change_on("2026-04-16", 19900, 0), Month.parse("2026-04"), YUAN) == 10000


def owed(adjustment_id: int, fen: int) -> Owed:
    kind = "back_pay" if fen > 0 else "recovery"
    return Owed(adjustment_id, kind, fen, f"src:{adjustment_id}", "why")


@pytest.mark.clause("rule-10")
@pytest.mark.parametrize(
    ("regular", "adjustments", "amount", "carried", "settled", "partial"),
    [
        (15000, [], 15000, 0, [], None),
        (15000, [owed(1, 12581)], 27581, 0, [1], None),  # back pay added whole
        (15000, [owed(1, -5000)], 10000, 0, [1], None),  # recovery smaller than the month
        (15000, [owed(1, -15000)], 0, 0, [1], None),  # exactly the month: settled, nothing left
        (15000, [owed(1, -15001)], 0, 1, [1], 1),  # one fen more: carried forward
        (15000, [owed(1, -40000)], 0, 25000, [1], 1),  # larger than the month
        (0, [owed(1, -5000)], 0, 5000, [], None),  # nothing paid: nothing deducted, waits
        (10000, [owed(1, 5000), owed(2, -20000)], 0, 5000, [1, 2], 2),  # back pay funds it
        (10000, [owed(1, -8000), owed(2, -5000)], 0, 3000, [1, 2], 2),  # oldest first
        (10000, [owed(1, -10000), owed(2, -5000)], 0, 5000, [1], None),  # second waits whole
    ],
)
def test_recoveries_never_take_a_month_below_zero(
    regular: int,
    adjustments: list[Owed],
    amount: int,
    carried: int,
    settled: list[int],
    partial: int | None,
) -> None:
    result = settle(regular, adjustments)
    assert result.amount_fen == amount
    assert result.amount_fen >= 0
    assert result.carried_fen == carried
    assert result.settled_ids == settled
    assert (result.carry_rest_of.adjustment_id if result.carry_rest_of else None) == partial
    assert result.regular_fen + result.adjustments_fen == result.amount_fen
    # every fen owed is either settled this month or carried forward, none lost or invented
    assert result.adjustments_fen - result.carried_fen == sum(a.amount_fen for a in adjustments)


def test_the_rest_of_a_part_deducted_recovery_is_what_was_not_taken() -> None:
    result = settle(6000, [owed(7, -10000)])
    assert result.carry_rest_of is not None
    assert (result.carry_rest_of.owed_fen, result.carry_rest_of.applied_fen) == (-10000, -6000)
    assert result.carried_fen == 4000


@pytest.mark.clause("rule-10")
@pytest.mark.parametrize(
    ("due", "paid", "corrected", "difference", "kind"),
    [
        (7500, 15000, 0, -7500, "recovery"),  # terminated from mid-month after the month was paid
        (7500, 15000, -7500, 0, "back_pay"),  # the same month looked at again: nothing new
        (15000, 0, 0, 15000, "back_pay"),  # never paid (approved late with an earlier date)
        (15000, 10000, 2000, 3000, "back_pay"),  # part corrected before
    ],
)
def test_recomputing_a_paid_month_records_each_difference_once(
    due: int, paid: int, corrected: int, difference: int, kind: str
) -> None:
    fix = correction(Month.parse("2026-04"), due, paid, corrected)
    assert fix.difference_fen == difference
    if difference:
        assert fix.kind == kind


@pytest.mark.parametrize(
    ("text", "today", "rule"),
    [
        ("2026-03", date(2026, 3, 10), None),
        ("2026-04", date(2026, 3, 10), None),  # next month may be paid ahead
        ("2026-05", date(2026, 3, 10), "period-not-future"),
        ("2027-01", date(2026, 12, 31), None),  # across the new year
        ("2027-02", date(2026, 12, 31), "period-not-future"),
        ("2019-01", date(2026, 3, 10), None),
        ("2026-13", date(2026, 3, 10), "period-format"),
        ("2026-00", date(2026, 3, 10), "period-format"),
        ("2026-3", date(2026, 3, 10), "period-format"),
        ("26-03", date(2026, 3, 10), "period-format"),
        ("2026-03-01", date(2026, 3, 10), "period-format"),
        ("", date(2026, 3, 10), "period-format"),
        ("0999-01", date(2026, 3, 10), "period-format"),
    ],
)
def test_which_periods_can_be_run(text: str, today: date, rule: str | None) -> None:
    problems = period_problems(text, today)
    assert [p.rule for p in problems] == ([rule] if rule else [])
    assert all(p.field == "period" for p in problems)


def test_month_arithmetic() -> None:
    february = Month.parse("2024-02")
    assert (february.first, february.last, february.days) == (
        date(2024, 2, 1),
        date(2024, 2, 29),
        29,
    )
    assert Month.parse("2026-12").plus(1) == Month(2027, 1)
    assert Month.parse("2026-01") < Month.parse("2026-10")
    assert str(Month.of(date(2026, 3, 31))) == "2026-03"


def test_which_cases_have_a_line_for_the_month() -> None:
    closed_before = [slice_("terminated", "2026-02-01", None, 0)]
    closed_during = [
        slice_("active", "2026-01-01", "2026-03-15", 15000),
        slice_("terminated", "2026-03-16", None, 0, 2),
    ]
    suspended = [slice_("suspended", "2026-01-01", None, 0)]
    assert in_ledger(closed_before, []) is False
    assert in_ledger(closed_before, [owed(1, 5000)]) is True  # back pay still reaches them
    assert in_ledger(closed_during, []) is True
    assert in_ledger(suspended, []) is True  # a zero line says why nothing was paid
