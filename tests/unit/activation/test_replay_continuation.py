"""The replay's rebuild of a case's history under a reform of the continuation (report 4 §五4;
activation/replay/continuation.py), priced with the payment rule: what a known reform changes,
to the fen, and what it leaves alone."""

from datetime import date
from decimal import Decimal

import pytest

from activation.replay.continuation import ContinuationFacts, rebuild, same_history
from activation.replay.money import due_by_month, months_between, roundings
from activation.replay.reform import Reform, ReformedBook
from benefits.payment_rules import Month, StatusSlice
from kernel.policy import load_profile

BOOK = load_profile("county-pilot")
V = "county-pilot@2020.1"
JOB = date(2026, 3, 1)
TODAY = date(2026, 12, 5)
YEAR = months_between(Month(2026, 1), Month(2026, 12))


def period(n, status, start, end, yuan, rule):
    return StatusSlice(n, status, start, end, int(Decimal(yuan) * 100), rule, V)


ACTIVE = period(1, "active", date(2026, 1, 1), date(2026, 2, 28), "600", "application-approved")
FULL = period(2, "continuation_full", JOB, date(2026, 8, 31), "600", "continuation-start")
AFTER = period(3, "active", date(2026, 9, 1), None, "200", "continuation-ended-reassessed")
STORY = [ACTIVE, FULL, AFTER]


def facts(income="700", changes=()):
    return ContinuationFacts(1, JOB, Decimal("600"), Decimal(income), tuple(changes))


def replayed(history, reform: dict, continuation=None, today=TODAY):
    book = ReformedBook(BOOK, Reform(reform))
    return rebuild(history, [continuation or facts()], book.at, today)


def year_cost(history, reform: dict | None = None) -> Decimal:
    book = ReformedBook(BOOK, Reform(reform or {}))
    return Decimal(sum(due_by_month(history, YEAR, roundings(YEAR, book.at)))) / 100


def shape(history):
    return [(s.status, s.starts_on, s.ends_on, s.monthly_amount_fen // 100) for s in history]


def test_no_change_gives_the_history_back() -> None:
    outcome = replayed(STORY, {})
    assert outcome.unresolved is None and outcome.approximated == 0
    assert same_history(outcome.slices, STORY)


def test_twelve_months_run_over_the_reassessment() -> None:
    outcome = replayed(STORY, {"continuation.months": 12})
    assert shape(outcome.slices) == [
        ("active", date(2026, 1, 1), date(2026, 2, 28), 600),
        ("continuation_full", JOB, date(2027, 2, 28), 600),
        ("active", date(2027, 3, 1), None, 200),
    ]
    # four more months at 600 instead of 200 in 2026
    assert year_cost(STORY) == Decimal("5600.00")
    assert year_cost(list(outcome.slices)) == Decimal("7200.00")


def test_three_months_hand_over_to_the_recorded_reassessment_earlier() -> None:
    outcome = replayed(STORY, {"continuation.months": 3})
    assert shape(outcome.slices)[1:] == [
        ("continuation_full", JOB, date(2026, 5, 31), 600),
        ("active", date(2026, 6, 1), None, 200),
    ]
    assert outcome.approximated == 1
    assert year_cost(list(outcome.slices)) == Decimal("4400.00")


@pytest.mark.parametrize(
    ("threshold", "status", "amount"),
    [
        ("699.99", "continuation_half", 300),
        ("700.00", "continuation_half", 300),  # at the line: half
        ("700.01", "continuation_full", 600),
        ("800.00", "continuation_full", 600),
    ],
)
def test_the_line_between_full_and_half(threshold: str, status: str, amount: int) -> None:
    outcome = replayed(STORY, {"continuation.income_threshold": threshold})
    assert shape(outcome.slices)[1] == (status, JOB, date(2026, 8, 31), amount)


def test_a_taper_prices_the_fraction_between_the_line_and_its_end() -> None:
    # 700 a month, line 600, taper to half at 1,000: a quarter of the way → 0.875 of 600
    outcome = replayed(
        STORY, {"continuation.income_threshold": "600", "continuation.taper_end": "1000"}
    )
    assert shape(outcome.slices)[1] == ("continuation_half", JOB, date(2026, 8, 31), 525)


WAGE_RISE = [(date(2026, 5, 1), Decimal("900"))]
SPLIT = [
    ACTIVE,
    period(2, "continuation_full", JOB, date(2026, 4, 30), "600", "continuation-start"),
    period(4, "continuation_half", date(2026, 5, 1), date(2026, 8, 31), "300",
           "continuation-income-change"),
    AFTER,
]  # fmt: skip


def test_a_wage_rise_across_the_line_splits_the_continuation_and_a_higher_line_joins_it() -> None:
    assert same_history(replayed(SPLIT, {}, facts(changes=WAGE_RISE)).slices, SPLIT)
    joined = replayed(SPLIT, {"continuation.income_threshold": "1000"}, facts(changes=WAGE_RISE))
    assert shape(joined.slices)[1:3] == [
        ("continuation_full", JOB, date(2026, 8, 31), 600),
        ("active", date(2026, 9, 1), None, 200),
    ]
    assert year_cost(list(joined.slices)) - year_cost(SPLIT) == Decimal("1200.00")  # 4 × 300


def test_when_income_changes_are_not_followed_the_start_band_holds() -> None:
    outcome = replayed(
        SPLIT, {"continuation.follow_income_changes": False}, facts(changes=WAGE_RISE)
    )
    assert shape(outcome.slices)[1] == ("continuation_full", JOB, date(2026, 8, 31), 600)


STOPPED = [
    ACTIVE,
    period(2, "continuation_full", JOB, date(2026, 6, 14), "600", "continuation-start"),
    period(3, "terminated", date(2026, 6, 15), None, "0", "officer-terminated"),
]


def test_a_persons_decision_stands_and_a_reform_ending_before_it_is_not_guessed() -> None:
    longer = replayed(STOPPED, {"continuation.months": 12})
    assert same_history(longer.slices, STOPPED)
    shorter = replayed(STOPPED, {"continuation.months": 3})
    assert shorter.unresolved == "ends-before-officer-terminated"
    assert same_history(shorter.slices, STOPPED)  # kept as it was


RUNNING = [
    ACTIVE,
    period(2, "continuation_full", date(2026, 6, 1), None, "600", "continuation-start"),
]
RUNNING_FACTS = ContinuationFacts(1, date(2026, 6, 1), Decimal("600"), Decimal("700"), ())


@pytest.mark.parametrize(
    ("months", "today", "unresolved"),
    [
        (2, date(2026, 8, 1), "ends-before-today"),  # would have ended on 31 July
        (2, date(2026, 7, 31), None),  # ends today: still running
        (12, date(2026, 8, 1), None),
    ],
)
def test_a_running_continuation(months: int, today: date, unresolved: str | None) -> None:
    outcome = replayed(RUNNING, {"continuation.months": months}, RUNNING_FACTS, today)
    assert outcome.unresolved == unresolved
    assert shape(outcome.slices)[-1][3] == 600 and outcome.slices[-1].ends_on is None


def test_a_case_without_its_start_period_is_unresolved() -> None:
    outcome = replayed([ACTIVE], {"continuation.months": 12})
    assert outcome.unresolved == "no-start-period"


def test_a_running_continuation_ended_by_a_reform_is_reassessed_the_next_day() -> None:
    from activation.replay.reassessment import IncomeFacts, reassessor

    # An urban household of two (standard 150 a person), category C: the gap is paid.
    wages = [IncomeFacts(Decimal("700"), date(2026, 6, 1), date(2026, 7, 31)),
             IncomeFacts(Decimal("200"), date(2026, 8, 1), None)]  # fmt: skip
    reassess = reassessor("urban", "C", 2, wages)
    book = ReformedBook(BOOK, Reform({"continuation.months": 2}))
    outcome = rebuild(RUNNING, [RUNNING_FACTS], book.at, date(2026, 9, 15), reassess)
    assert outcome.unresolved is None and outcome.reassessed == 1
    assert shape(outcome.slices)[1:] == [
        ("continuation_full", date(2026, 6, 1), date(2026, 7, 31), 600),
        ("active", date(2026, 8, 1), None, 100),  # 2 × 150 − 200
    ]


@pytest.mark.parametrize(
    ("income", "expected"),
    [("200", ("active", 10000)), ("299", ("active", 100)), ("300", ("terminated", 0))],
)
def test_the_reassessment_is_the_services_rule(income: str, expected) -> None:
    from activation.replay.reassessment import IncomeFacts, reassessor

    reassess = reassessor("urban", "C", 2, [IncomeFacts(Decimal(income), date(2026, 1, 1), None)])
    status, amount, _ = reassess(date(2026, 8, 1), BOOK.at(date(2026, 8, 1)))
    assert (status, amount) == expected
