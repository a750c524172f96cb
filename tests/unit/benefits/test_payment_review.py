"""Why a line of zero paid nothing, read from what the line recorded (benefits.payment_review):
the status in force at the month's end, or a recovery that took the whole amount."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from benefits import payment_review as review
from kernel.messages import code_message


def inputs(*periods: tuple[str, str, int]) -> dict[str, Any]:
    return {
        "periods": [
            {"status": status, "rule": rule, "days": days, "monthly_amount": "0.00"}
            for status, rule, days in periods
        ]
    }


@pytest.mark.parametrize(
    ("periods", "regular_fen", "reason"),
    [
        ([("active", "application-approved", 31)], 15000, review.ZERO_RECOVERY),
        ([("suspended", "refusal-sanction-household", 31)], 0, review.ZERO_SANCTION),
        ([("active", "refusal-sanction-member-share", 31)], 0, review.ZERO_SANCTION_SHARE),
        ([("terminated", "continuation-ended-exit", 31)], 0, review.ZERO_CONTINUATION_ENDED),
        ([("suspended", "officer-suspended", 31)], 0, review.ZERO_SUSPENDED),
        ([("terminated", "officer-terminated", 31)], 0, review.ZERO_CLOSED),
        ([("active", "re-review-amount", 31)], 0, review.ZERO_NOTHING_ASSESSED),
        # the status in force at the month's end decides, not one the month began with
        (
            [
                ("suspended", "refusal-sanction-household", 10),
                ("terminated", "officer-terminated", 21),
            ],
            0,
            review.ZERO_CLOSED,
        ),
        # a period the month counted no day of says nothing
        (
            [("suspended", "officer-suspended", 31), ("active", "application-approved", 0)],
            0,
            review.ZERO_SUSPENDED,
        ),
        ([], 0, review.ZERO_OTHER),
    ],
)
def test_a_zero_line_says_why(periods: list, regular_fen: int, reason: str) -> None:
    assert review.zero_reason(inputs(*periods), regular_fen) == reason


def test_every_reason_and_change_has_words() -> None:
    codes = [
        value
        for name, value in vars(review).items()
        if name.startswith(("NO_LINE_", "ZERO_")) or name in ("NEW", "STOPPED", "CHANGED")
    ]
    codes += [review.UNCHANGED, review.UNPAID]
    assert len(codes) == 16
    assert all(code_message(code) for code in codes), codes


def test_each_filter_of_the_list_has_a_count_in_the_summary() -> None:
    explanation = review.RunExplanation(
        period="2026-04",
        previous_period="2026-03",
        previous_run=True,
        cases_total=6,
        unused_ids=0,
        lines=5,
        no_line=1,
        no_line_reasons=(review.Reason(review.NO_LINE_CLOSED, 1),),
        zero_lines=1,
        zero_reasons=(review.Reason(review.ZERO_SUSPENDED, 1),),
        paid_lines=4,
        amount=review.from_fen(52000),
        without_account=1,
        without_account_amount=review.from_fen(15000),
        bank_rows=3,
        bank_amount=review.from_fen(37000),
        new=1,
        new_amount=review.from_fen(14500),
        stopped=2,
        stopped_amount=review.from_fen(30000),
        changed=1,
        changed_by=review.from_fen(-7500),
        unchanged=2,
        paid_last_month=5,
        agrees_with_run=True,
    )
    assert [explanation.count_of(show) for show in review.SHOWS] == [5, 1, 1, 1, 2, 1, 1]
    assert explanation.adds_up
    assert not replace(explanation, bank_rows=4).adds_up
