"""The replay's restatement of a history under other standards and category factors
(activation/replay/standards.py): each recorded assessment worked out again from its own day,
what carried its amount carrying the new one, a failed assessment ending the case, an exit the
reform would not make keeping it, anything unexplained left as it was and counted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from activation.replay.continuation import ContinuationFacts, same_history
from activation.replay.reform import Reform, ReformedBook
from activation.replay.standards import NOT_ASSESSED, rebased, restate
from benefits.payment_rules import StatusSlice
from kernel.policy import load_profile

BOOK = load_profile("county-pilot")  # urban 150.00, rural 80.00; urban C: the gap, rural C: 70
FROM = date(2026, 1, 1)


def piece(pid, status, starts, ends, amount, rule="application-approved") -> StatusSlice:
    return StatusSlice(
        pid,
        status,
        date.fromisoformat(starts),
        date.fromisoformat(ends) if ends else None,
        amount,
        rule,
        "county-pilot@2026.1",
    )


def record(on, applies, income, amount, *, eligible=True, scheme="urban", category="C"):
    return {
        "on": on,
        "from": applies,
        "scheme": scheme,
        "category": category,
        "member_count": 2,
        "household_income": income,
        "eligible": eligible,
        "monthly_amount_fen": amount,
        "parameter_version": "county-pilot@2026.1",
    }


def at(**changes):
    return ReformedBook(BOOK, Reform({k.replace("__", "."): v for k, v in changes.items()})).at


APPROVED = piece(1, "active", "2026-03-02", None, 20_000)
APPROVAL = record("2026-03-02", "2026-03-02", "100.00", 20_000)


@pytest.mark.parametrize(
    ("standard", "status", "amount"),
    [
        ("49.99", "terminated", 0),  # per capita 50.00 is not below 49.99
        ("50.00", "terminated", 0),  # nor below 50.00: the line itself is out (rule 1)
        ("50.01", "active", 2),  # below by a fen: (100.02 − 100) = 0.02
        ("150.00", "active", 20_000),  # as recorded
        ("180.00", "active", 26_000),
    ],
)
def test_the_standard_around_the_households_per_capita_income(standard, status, amount) -> None:
    done = restate(
        [APPROVED], {1: [APPROVAL]}, at(benefits__urban__standard=standard), from_day=FROM
    )
    assert done.unresolved is None
    assert [(s.status, s.monthly_amount_fen) for s in done.slices] == [(status, amount)]
    assert done.exited == (status == "terminated")


def test_with_no_change_a_history_comes_back_whole() -> None:
    history = [
        piece(1, "active", "2026-03-02", "2026-04-30", 20_000),
        piece(2, "active", "2026-05-01", None, 16_000, "re-review-amount"),
    ]
    records = {
        1: [APPROVAL],
        2: [  # the re-review that changed the amount, and one that left it as it was
            record("2026-04-20", "2026-05-01", "140.00", 16_000),
            record("2026-05-20", "2026-06-01", "140.00", 16_000),
        ],
    }
    done = restate(history, records, BOOK.at, from_day=FROM)
    assert done.unresolved is None and list(done.slices) == history


def test_a_re_review_that_left_the_amount_splits_the_period_where_it_applied() -> None:
    """Rural C pays 70 a person whatever the income, so two assessments on other incomes paid
    the same; at a rural standard of 60 the second (per capita 65) no longer passes."""
    history = [piece(1, "active", "2026-03-02", None, 14_000)]
    records = {
        1: [
            record("2026-03-02", "2026-03-02", "100.00", 14_000, scheme="rural"),
            record("2026-05-20", "2026-06-01", "130.00", 14_000, scheme="rural"),
        ]
    }
    done = restate(history, records, at(benefits__rural__standard="60"), from_day=FROM)
    assert [(s.status, s.starts_on, s.ends_on, s.monthly_amount_fen) for s in done.slices] == [
        ("active", date(2026, 3, 2), date(2026, 5, 31), 14_000),
        ("terminated", date(2026, 6, 1), None, 0),
    ]
    assert done.exited == 1


def test_a_restoration_after_a_stop_carries_the_new_amount() -> None:
    history = [
        piece(1, "active", "2026-03-02", "2026-04-15", 20_000),
        piece(2, "suspended", "2026-04-16", "2026-05-15", 0, "refusal-sanction-household"),
        piece(3, "active", "2026-05-16", None, 20_000, "sanction-ended-compliance"),
    ]
    done = restate(history, {1: [APPROVAL]}, at(benefits__urban__standard="180"), from_day=FROM)
    assert [s.monthly_amount_fen for s in done.slices] == [26_000, 0, 26_000]


def test_an_amount_nothing_recorded_explains_is_left_and_counted() -> None:
    history = [
        piece(1, "active", "2026-03-02", "2026-04-15", 20_000),
        piece(2, "active", "2026-04-16", None, 10_000, "refusal-sanction-member-share"),
    ]
    done = restate(history, {1: [APPROVAL]}, at(benefits__urban__standard="180"), from_day=FROM)
    assert done.unresolved == NOT_ASSESSED and list(done.slices) == history
    bare = restate([APPROVED], {}, at(benefits__urban__standard="180"), from_day=FROM)
    assert bare.unresolved == NOT_ASSESSED


def test_what_ended_before_the_range_needs_no_assessment() -> None:
    history = [piece(1, "active", "2025-03-02", "2025-06-30", 20_000), APPROVED]
    done = restate(history, {1: [APPROVAL]}, at(benefits__urban__standard="180"), from_day=FROM)
    assert done.unresolved is None and done.slices[0] == history[0]


def test_an_assessment_failed_before_the_range_leaves_nothing_paid_in_it() -> None:
    history = [
        piece(1, "active", "2025-03-02", "2025-12-31", 20_000),
        piece(2, "active", "2026-01-01", None, 20_000, "sanction-ended-compliance"),
    ]
    early = record("2025-03-02", "2025-03-02", "100.00", 20_000)
    done = restate(history, {1: [early]}, at(benefits__urban__standard="50"), from_day=FROM)
    assert [(s.status, s.monthly_amount_fen) for s in done.slices][1:] == [("terminated", 0)]
    assert done.exited == 1


@pytest.mark.parametrize(
    ("next_case", "ends"), [(None, None), (date(2026, 9, 1), date(2026, 8, 31))]
)
def test_an_exit_the_reform_would_not_make_pays_until_the_next_case(next_case, ends) -> None:
    history = [
        piece(1, "active", "2026-03-02", "2026-03-31", 20_000),
        piece(2, "terminated", "2026-04-01", None, 0, "re-review-exit"),
    ]
    records = {
        1: [APPROVAL],
        2: [record("2026-03-12", "2026-04-01", "320.00", 0, eligible=False)],
    }
    book = at(benefits__urban__standard="180")
    done = restate(history, records, book, from_day=FROM, next_case=next_case)
    assert done.kept == 1
    assert [(s.status, s.ends_on, s.monthly_amount_fen) for s in done.slices] == [
        ("active", date(2026, 3, 31), 26_000),
        ("active", ends, 4_000),  # (360 − 320)
    ]
    still = restate(history, records, at(benefits__urban__standard="160"), from_day=FROM)
    assert still.kept == 0 and same_history(still.slices[1:], history[1:])  # 160 is not below 160


def test_a_category_factor_reaches_only_its_category() -> None:
    b = record("2026-03-02", "2026-03-02", "100.00", 26_000, category="B")  # 200 × 1.3
    history = [piece(1, "active", "2026-03-02", None, 26_000)]
    book = at(benefits__urban__categories__B__factor="1.5")
    assert restate(history, {1: [b]}, book, from_day=FROM).slices[0].monthly_amount_fen == 30_000
    c = restate([APPROVED], {1: [APPROVAL]}, book, from_day=FROM)
    assert c.slices[0].monthly_amount_fen == 20_000


def test_a_continuation_is_worked_out_from_the_restated_amount_before_the_job() -> None:
    before = [piece(1, "active", "2026-03-02", None, 20_000)]
    after = [piece(1, "active", "2026-03-02", None, 26_000)]
    job = ContinuationFacts(9, date(2026, 6, 1), Decimal("200.00"), Decimal("900.00"), ())
    (based,) = rebased([job], before, after) or []
    assert based.previous_amount == Decimal("260.00")
    other = ContinuationFacts(9, date(2026, 6, 1), Decimal("150.00"), Decimal("900.00"), ())
    assert rebased([other], before, after) is None
    early = ContinuationFacts(9, date(2026, 3, 2), Decimal("200.00"), Decimal("900.00"), ())
    assert rebased([early], before, after) is None  # nothing in force the day before
