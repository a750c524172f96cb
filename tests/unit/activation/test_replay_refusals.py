"""The replay under a reform of the refusal rule (activation/replay/refusals.py): a sanction
whose count no longer reaches the threshold falls away, and the money comes back to the fen;
a count that would newly propose a sanction is counted as needing a person, not assumed."""

from datetime import date
from decimal import Decimal

import pytest

from activation.replay.money import due_by_month, months_between, roundings
from activation.replay.reform import Reform, ReformedBook
from activation.replay.refusals import CountFacts, SanctionFacts, lift, newly_proposed
from activation.rules import Outcome
from benefits.payment_rules import Month, StatusSlice
from kernel.policy import load_profile

BOOK = load_profile("county-pilot")  # two counted refusals in 12 months stop the household
V = "county-pilot@2020.1"
YEAR = months_between(Month(2026, 1), Month(2026, 12))
PROPOSED_ON = date(2026, 5, 1)
TWO_REFUSALS = (Outcome(date(2026, 3, 1), "refusal", 1), Outcome(PROPOSED_ON, "refusal", 2))


def period(n, status, start, end, yuan, rule):
    return StatusSlice(n, status, start, end, int(Decimal(yuan) * 100), rule, V)


STOPPED = [
    period(1, "active", date(2026, 1, 1), date(2026, 5, 14), "600", "application-approved"),
    period(2, "suspended", date(2026, 5, 15), date(2026, 8, 14), "0",
           "refusal-sanction-household"),
    period(3, "active", date(2026, 8, 15), None, "600", "sanction-ended-compliance"),
]  # fmt: skip


def sanction(outcomes=TWO_REFUSALS, started_on=date(2026, 5, 15)):
    count = CountFacts(7, PROPOSED_ON, outcomes, "sanction_proposal")
    return SanctionFacts(1, count, started_on)


def cost(history, reform: dict | None = None) -> Decimal:
    book = ReformedBook(BOOK, Reform(reform or {}))
    return Decimal(sum(due_by_month(history, YEAR, roundings(YEAR, book.at)))) / 100


def under(reform: dict, history=STOPPED, sanctions=None):
    book = ReformedBook(BOOK, Reform(reform))
    return lift(history, sanctions or [sanction()], book.at)


def test_with_no_change_the_sanction_stands() -> None:
    outcome = under({})
    assert outcome.lifted == 0 and list(outcome.slices) == STOPPED


def test_three_refusals_instead_of_two_give_back_the_stopped_months() -> None:
    outcome = under({"activation.refusal.threshold": 3})
    assert outcome.lifted == 1
    assert [(s.status, s.monthly_amount_fen) for s in outcome.slices] == [
        ("active", 60000),
        ("active", 60000),
        ("active", 60000),
    ]
    # stopped from 15 May to 14 August: 17 days of May, June, July and 14 days of August
    assert cost(STOPPED) == Decimal("5400.00")
    assert cost(list(outcome.slices)) == Decimal("7200.00")


@pytest.mark.parametrize(
    ("reform", "falls_away"),
    [
        ({"activation.refusal.threshold": 1}, False),
        ({"activation.refusal.threshold": 2}, False),
        ({"activation.refusal.threshold": 3}, True),
        ({"activation.refusal.window_months": 3}, False),  # 2 March to 1 May: both count
        ({"activation.refusal.window_months": 2}, True),  # from 2 March: the first is out
        ({"activation.refusal.consecutive_only": True}, False),  # nothing in between
    ],
)
def test_boundaries_of_the_rule(reform: dict, falls_away: bool) -> None:
    assert under(reform).lifted == int(falls_away)


def test_a_compliance_in_between_breaks_a_run_only_when_runs_are_counted() -> None:
    broken = (TWO_REFUSALS[0], Outcome(date(2026, 4, 1), "compliance", 3), TWO_REFUSALS[1])
    assert under({}, sanctions=[sanction(broken)]).lifted == 0
    assert under({"activation.refusal.consecutive_only": True}, sanctions=[sanction(broken)]).lifted


def test_a_member_share_comes_back_as_the_amount_before_it() -> None:
    share = [
        STOPPED[0],
        period(2, "active", date(2026, 5, 15), None, "400", "refusal-sanction-member-share"),
    ]
    outcome = under({"activation.refusal.threshold": 3}, history=share)
    assert [(s.status, s.monthly_amount_fen) for s in outcome.slices][1] == ("active", 60000)


def test_a_sanction_that_never_took_money_changes_nothing() -> None:
    outcome = under({"activation.refusal.threshold": 3}, sanctions=[sanction(started_on=None)])
    assert outcome.lifted == 0 and list(outcome.slices) == STOPPED


def test_a_lower_threshold_needs_a_person_for_each_new_proposal_and_no_money() -> None:
    warned = CountFacts(7, date(2026, 3, 1), TWO_REFUSALS[:1], "warning")
    proposed = CountFacts(8, PROPOSED_ON, TWO_REFUSALS, "sanction_proposal")
    book = ReformedBook(BOOK, Reform({"activation.refusal.threshold": 1}))
    assert newly_proposed([warned, proposed], book.at) == {7}
    assert newly_proposed([warned, proposed], BOOK.at) == set()
