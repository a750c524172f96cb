"""An upheld appeal's back pay in the replay: what a stop took a month in a history, the back pay
split by the months it repaid (adding up to the whole), and what it repays under a reform."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from activation.replay.backpay import BackPayFacts, recorded_split, reduction_at, repaid, split
from benefits.payment_rules import Month, StatusSlice
from kernel.policy import load_profile

BOOK = load_profile("county-pilot")
VERSION = BOOK.at(date(2026, 4, 1)).version_id
APRIL, MAY, JUNE = Month(2026, 4), Month(2026, 5), Month(2026, 6)


def slice_(pid: int, status: str, starts: str, amount: int, rule: str) -> StatusSlice:
    return StatusSlice(pid, status, date.fromisoformat(starts), None, amount, rule, "v")


def history(cut_status: str = "suspended", cut_amount: int = 0) -> list[StatusSlice]:
    return [
        slice_(1, "active", "2026-01-01", 20_000, "application-approved"),
        slice_(2, cut_status, "2026-04-16", cut_amount, "refusal-sanction-household"),
        slice_(3, "active", "2026-05-11", 20_000, "appeal-upheld"),
    ]


def facts(covers_to: str = "2026-05-10", amount: int = 16_452, reduction: str = "200.00"):
    return BackPayFacts(
        sanction_id=7,
        started_on=date(2026, 4, 16),
        covers_from=date(2026, 4, 16),
        covers_to=date.fromisoformat(covers_to),
        amount_fen=amount,
        monthly_reduction=Decimal(reduction),
        parameter_version=VERSION,
    )


@pytest.mark.parametrize(
    ("cut_status", "cut_amount", "reduction"),
    [
        ("suspended", 0, 20_000),  # the household's stop
        ("active", 10_000, 10_000),  # the member's share
        ("active", 20_000, 0),  # a stop that fell away: paid as before
        ("active", 25_000, 0),  # never below nothing
    ],
)
def test_what_the_stop_took(cut_status, cut_amount, reduction) -> None:
    assert reduction_at(history(cut_status, cut_amount), date(2026, 4, 16)) == reduction


def test_no_stop_in_the_history_took_nothing_known() -> None:
    plain = [slice_(1, "active", "2026-01-01", 20_000, "application-approved")]
    assert reduction_at(plain, date(2026, 4, 16)) is None
    assert reduction_at(history()[1:], date(2026, 4, 16)) is None  # nothing recorded before it
    assert reduction_at(history(), date(2026, 4, 17)) is None  # the stop began the day before


@pytest.mark.parametrize(
    ("covers_to", "by_month"),
    [
        ("2026-04-16", [667, 0, 0]),  # one day of 30: 6.666… rounds to 6.67
        ("2026-04-30", [10_000, 0, 0]),  # to April's last day
        ("2026-05-01", [10_000, 645, 0]),  # and May's first: one day of 31
        ("2026-05-10", [10_000, 6_452, 0]),
        ("2026-05-31", [10_000, 20_000, 0]),
        ("2026-06-01", [10_000, 20_000, 667]),
    ],
)
def test_the_back_pay_by_the_months_it_repaid(covers_to, by_month) -> None:
    found = split(20_000, facts(covers_to), [APRIL, MAY, JUNE], BOOK.version)
    assert found == by_month


def test_the_recorded_amount_is_checked_against_its_whole_period() -> None:
    by_month, whole = recorded_split(facts(), [MAY], BOOK.version)
    assert (by_month, whole) == ([6_452], True)  # only May asked for; April counted in the whole
    assert recorded_split(facts(amount=16_453), [MAY], BOOK.version)[1] is False


@pytest.mark.parametrize(
    ("reformed", "april", "may"),
    [
        (history(), 10_000, 6_452),  # as recorded
        (history("active", 20_000), 0, 0),  # the stop fell away: nothing withheld
        (history("active", 10_000), 5_000, 3_226),  # only her share withheld: half of it
        (history()[2:], 0, 0),  # a history with no stop (the household refused before)
    ],
)
def test_what_the_appeal_repays_under_a_reform(reformed, april, may) -> None:
    assert repaid(history(), reformed, [facts()], [APRIL, MAY], BOOK.version) == [april, may]


def test_a_stop_as_recorded_repays_the_recorded_amount_even_if_its_terms_differ() -> None:
    """Terms worked out on the confirmation day (199.99) and the history's amount before the
    stop (200.00) may differ: a reform that leaves the stop as it was repays what was paid."""
    odd = facts(amount=16_451, reduction="199.99")
    assert repaid(history(), history(), [odd], [APRIL, MAY], BOOK.version) == [10_000, 6_451]
