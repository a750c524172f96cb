"""A good-reason review keyed in days after it was decided: it carries its own day, the refusal
it counts stands on the day the person declined, and what follows is dated the review's day."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from activation.models import ActivationDecision, Refusal, Warning
from tests.support import Desk, member


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def _woman(desk: Desk) -> int:
    home = desk.household_with_case(member("周红", birth=date(1990, 3, 3), sex="female"))
    return home["members"][0]["id"]


def _declined(desk: Desk, woman: int, day: str) -> int:
    referral = desk.refer(woman, day)
    desk.answer(referral["id"], day, "declined")
    return referral["id"]


def _review(desk: Desk, referral_id: int, decided_on: str, status: int = 201) -> dict:
    body = {
        "good_reason": False,
        "reason_code": "none",
        "notes": "面谈核实",
        "decided_on": decided_on,
    }
    return desk.call(
        "POST", f"/activation/referrals/{referral_id}/good-reason", desk.counsellor, body, status
    )


@pytest.mark.parametrize(
    ("decided_on", "status", "rule"),
    [
        ("2026-03-04", 422, "date-order"),  # the day before the answer
        ("2026-03-05", 201, None),  # the answer's own day
        ("2026-03-20", 201, None),  # today
        ("2026-03-21", 422, "not-in-future"),  # tomorrow
    ],
)
def test_the_review_day_lies_between_the_answer_and_today(
    desk: Desk, engine, decided_on: str, status: int, rule: str | None
) -> None:
    woman = _woman(desk)
    referral_id = _declined(desk, woman, "2026-03-05")
    desk.on("2026-03-20")
    answer = _review(desk, referral_id, decided_on, status)
    with Session(engine) as session:
        refusals = session.exec(select(Refusal)).all()
    if rule is not None:
        assert [p["rule"] for p in answer["problems"]] == [rule]
        assert refusals == []  # nothing counted
    else:
        assert answer["review"]["decided_on"] == decided_on
        assert [r.counted_on for r in refusals] == [date(2026, 3, 5)]


def test_a_late_review_dates_the_refusal_by_the_decline_and_the_warning_by_the_review(
    desk: Desk, engine
) -> None:
    woman = _woman(desk)
    declined = _declined(desk, woman, "2026-03-05")
    accepted = desk.refer(woman, "2026-03-10")
    desk.answer(accepted["id"], "2026-03-10", "accepted")
    desk.on("2026-03-20")  # the office keys in the review it held on 9 March
    review = _review(desk, declined, "2026-03-09")
    assert review["refusal_counted"] is True
    with Session(engine) as session:
        (refusal,) = session.exec(select(Refusal)).all()
        (warning,) = session.exec(select(Warning)).all()
        (count,) = session.exec(
            select(ActivationDecision).where(ActivationDecision.kind == "refusal-count")
        ).all()
    assert refusal.counted_on == date(2026, 3, 5)
    assert warning.issued_on == date(2026, 3, 9)
    assert count.inputs["on"] == "2026-03-09"
    # The count sees the history in the order it happened: the decline before the acceptance.
    ordered = sorted(count.inputs["outcomes"], key=lambda o: o["on"])
    assert [(o["on"], o["kind"]) for o in ordered] == [
        ("2026-03-05", "refusal"),
        ("2026-03-10", "compliance"),
    ]
