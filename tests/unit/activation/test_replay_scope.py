"""The replay's reform of the sanction's scope: the period a sanction started rewritten the way
the service writes it under the other scope; what followed while it ran, if not its end, makes
the case unresolved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from activation.replay.reform import Reform, ReformedBook
from activation.replay.refusals import CountFacts, SanctionFacts, TermsFacts
from activation.replay.scope import UNRESOLVED, rescope
from benefits.payment_rules import StatusSlice
from kernel.policy import load_profile

BOOK = load_profile("county-pilot")  # household scope
COUNT = CountFacts(member_id=1, on=date(2026, 4, 3), outcomes=(), consequence="sanction_proposal")


def slice_(pid: int, status: str, starts: str, amount: int, rule: str) -> StatusSlice:
    return StatusSlice(pid, status, date.fromisoformat(starts), None, amount, rule, "v")


def history(after_rule: str, after_status: str = "active") -> list[StatusSlice]:
    return [
        slice_(1, "active", "2026-01-01", 30_000, "application-approved"),
        slice_(2, "suspended", "2026-04-16", 0, "refusal-sanction-household"),
        slice_(3, after_status, "2026-05-16", 30_000, after_rule),
    ]


def sanction(members: int = 3, terms: bool = True) -> SanctionFacts:
    given = TermsFacts(date(2026, 4, 6), Decimal("300.00"), members) if terms else None
    return SanctionFacts(7, COUNT, date(2026, 4, 16), given)


def at(scope: str):
    return ReformedBook(BOOK, Reform({"activation.sanction.scope": scope})).at


@pytest.mark.parametrize(
    ("members", "kept"),
    [(1, 0), (2, 15_000), (3, 20_000), (7, 25_714)],  # 300 less 300/7 = 42.86: 257.14
)
def test_the_member_share_keeps_the_rest_of_the_household_amount(members, kept) -> None:
    done = rescope(history("sanction-ended-compliance"), [sanction(members)], at("member_share"))
    assert done.changed == 1 and done.unresolved is None
    assert (done.slices[1].status, done.slices[1].monthly_amount_fen) == ("active", kept)
    assert done.slices[1].rule == "refusal-sanction-household"  # still the sanction's period
    assert done.slices[2] == history("sanction-ended-compliance")[2]


@pytest.mark.parametrize(
    ("rule", "status", "unresolved"),
    [
        ("sanction-ended-compliance", "active", None),
        ("appeal-upheld", "active", None),
        ("officer-terminated", "terminated", None),
        ("re-review-amount", "active", UNRESOLVED),
    ],
)
def test_what_follows_the_stop_must_be_its_end(rule, status, unresolved) -> None:
    done = rescope(history(rule, status), [sanction()], at("member_share"))
    assert done.unresolved == unresolved
    assert done.changed == (0 if unresolved else 1)


def test_the_same_scope_or_no_terms_change_nothing() -> None:
    assert rescope(history("appeal-upheld"), [sanction()], at("household")).changed == 0
    unconfirmed = rescope(history("appeal-upheld"), [sanction(terms=False)], at("member_share"))
    assert unconfirmed.changed == 0


def test_a_share_withheld_becomes_the_household_stopped() -> None:
    shared = [
        slice_(1, "continuation_full", "2026-01-01", 30_000, "continuation-start"),
        slice_(2, "continuation_full", "2026-04-16", 20_000, "refusal-sanction-member-share"),
    ]
    done = rescope(shared, [sanction()], at("household"))
    assert (done.slices[1].status, done.slices[1].monthly_amount_fen) == ("suspended", 0)
