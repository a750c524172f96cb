"""A sanction confirmed, or an appeal decided, on one day and keyed in days later: each carries
its own day, the notice period runs from it, and an appeal upheld for a month already paid is
settled by the next payment run (issue 13: dates that hold when work is recorded late)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.support import Desk, mother_and_child


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def _proposed(desk: Desk) -> tuple[int, int, int]:
    """A mother with two counted refusals; the proposal is reviewed on 6 April."""
    home = desk.household_with_case(*mother_and_child())
    woman, case_id = home["members"][0]["id"], home["case_id"]
    desk.decline(woman, "2026-03-05", "2026-03-09")
    desk.decline(woman, "2026-04-01", "2026-04-03")
    sanction_id = desk.call("GET", "/activation/sanctions?state=proposed", desk.officer)[0]["id"]
    desk.on("2026-04-06")
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction_id}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    return woman, case_id, sanction_id


def _decide(desk: Desk, sanction_id: int, decided_on: str | None, status: int = 201) -> dict:
    body = {"confirm": True, "reason": "两次无正当理由拒绝适当岗位"}
    if decided_on:
        body["decided_on"] = decided_on
    return desk.call(
        "POST", f"/activation/sanctions/{sanction_id}/decision", desk.officer2, body, status
    )


@pytest.mark.parametrize(
    ("decided_on", "status", "rule"),
    [
        ("2026-04-05", 422, "date-order"),  # the day before the vulnerability review
        ("2026-04-06", 201, None),  # the review's own day
        ("2026-04-20", 201, None),  # today
        ("2026-04-21", 422, "not-in-future"),
    ],
)
def test_the_confirmation_day_lies_between_the_review_and_today(
    desk: Desk, decided_on: str, status: int, rule: str | None
) -> None:
    _, _, sanction_id = _proposed(desk)
    desk.on("2026-04-20")
    answer = _decide(desk, sanction_id, decided_on, status)
    if rule:
        assert [p["rule"] for p in answer["problems"]] == [rule]
        sanction = desk.call("GET", f"/activation/sanctions/{sanction_id}", desk.officer)
        assert sanction["state"] == "proposed"  # nothing written
    else:
        assert answer["state"] == "confirmed"


def test_a_confirmation_keyed_in_late_runs_its_notice_from_the_decision_day(
    desk: Desk, engine
) -> None:
    _, case_id, sanction_id = _proposed(desk)
    desk.on("2026-04-20")  # confirmed on 6 April, recorded on the 20th
    confirmed = _decide(desk, sanction_id, "2026-04-06")
    assert confirmed["notice"]["starts_on"] == "2026-04-16"  # ten days from the decision
    assert confirmed["confirmed_on"] == "2026-04-06"
    with engine.connect() as connection:
        inputs = connection.execute(
            text("SELECT inputs FROM activation_decision WHERE kind = 'sanction-terms'")
        ).scalar_one()
    assert "2026-04-06" in str(inputs)
    # The stop's day has passed when it is recorded: the next sweep starts it from that day.
    assert desk.sweep("2026-04-20")["sanctions_started"] == 1
    case = desk.case(case_id)
    assert (case["status"], case["status_since"]) == ("suspended", "2026-04-16")


def _pay(desk: Desk, period: str) -> dict:
    started = desk.client.post(
        "/api/v1/payments/runs", json={"period": period}, headers=desk.officer
    )
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 30
    while (
        run := desk.client.get(
            f"/api/v1/payments/runs/{started.json()['id']}", headers=desk.officer
        ).json()
    )["state"] != "finished":
        assert time.monotonic() < deadline, run
        time.sleep(0.05)
    return run


def test_an_appeal_upheld_late_is_settled_for_the_months_already_paid(desk: Desk, engine) -> None:
    _, case_id, sanction_id = _proposed(desk)
    _decide(desk, sanction_id, None)  # confirmed on 6 April: the stop from the 16th
    desk.sweep("2026-04-16")
    desk.on("2026-04-20")
    appealed = desk.call(
        "POST",
        f"/activation/sanctions/{sanction_id}/appeals",
        desk.counsellor,
        {"grounds": "第二个岗位实为夜班, 本人需照顾孩子"},
    )
    appeal_id = appealed["appeals"][0]["id"]
    desk.on("2026-05-10")
    may = _pay(desk, "2026-05")  # May paid while the stop stood: nothing
    assert may["total"] == "0.00"

    desk.on("2026-05-20")  # the appeal, decided on 1 May, is keyed in on the 20th
    too_early = desk.call(
        "POST",
        f"/activation/appeals/{appeal_id}/decision",
        desk.officer,
        {"upheld": True, "reasons": "非适当岗位", "decided_on": "2026-04-19"},
        status=422,
    )
    assert too_early["problems"][0]["rule"] == "date-order"
    decided = desk.call(
        "POST",
        f"/activation/appeals/{appeal_id}/decision",
        desk.officer,
        {"upheld": True, "reasons": "岗位与照护义务冲突, 非适当岗位", "decided_on": "2026-05-01"},
    )
    assert decided["state"] == "overturned"
    assert decided["appeals"][0]["decided_on"] == "2026-05-01"
    assert decided["appeals"][0]["back_pay"] == "100.00"  # 16-30 April, before the appeal's day
    case = desk.case(case_id)
    assert (case["status"], case["status_since"]) == ("active", "2026-05-01")

    desk.on("2026-06-01")
    june = _pay(desk, "2026-06")
    # June's 200.00, April's 100.00 from the appeal, and May's 200.00 found underpaid.
    assert june["total"] == "500.00"
    assert june["back_pay_found"] == "200.00" and june["recomputed_months"] == 1
    with engine.connect() as connection:
        covered = connection.execute(
            text(
                "SELECT covers_from, covers_to, amount_fen FROM payment_adjustment "
                "ORDER BY covers_from"
            )
        ).all()
    assert [(str(a), str(b), fen) for a, b, fen in covered] == [
        ("2026-04-16", "2026-04-30", 10000),
        ("2026-05-01", "2026-05-31", 20000),
    ]
