"""Decisions that cannot be taken back are not taken by default: a sanction confirmed although
the vulnerability review found something says why in writing, and a good-reason review with no
verdict chosen counts nothing (issue 12, safe forms)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from support import Desk, PageClient, make_account, member


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def proposed_sanction(desk: Desk) -> tuple[int, int]:
    home = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100.00")]),
        member("刘小宝", birth=date(2016, 4, 1), sex="male", relation="child", phone=None),
    )
    woman = home["members"][0]["id"]
    desk.decline(woman, "2026-03-05", "2026-03-09")
    desk.decline(woman, "2026-04-01", "2026-04-03")
    sanction = desk.call("GET", "/activation/sanctions?state=proposed", desk.officer)[0]["id"]
    desk.on("2026-04-06")
    return woman, sanction


@pytest.mark.clause("safeguard-human-decision")
@pytest.mark.parametrize(
    ("despite", "status"),
    [(None, 422), ("", 422), ("已核实", 422), ("子女由祖父母照料已转介临时救助", 201)],
)
def test_confirming_after_a_vulnerability_was_found_needs_a_written_reason(
    desk: Desk, engine, despite: str | None, status: int
) -> None:
    _, sanction = proposed_sanction(desk)
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction}/vulnerability-review",
        desk.officer,
        {"proceed": True, "factors": ["children_at_risk"], "findings": "子女尚小"},
    )
    body = {"confirm": True, "reason": "两次无正当理由拒绝", "despite_vulnerability": despite}
    answer = desk.call(
        "POST", f"/activation/sanctions/{sanction}/decision", desk.officer2, body, status=status
    )
    if status == 422:
        assert answer["problems"][0]["rule"] == "vulnerability-reason"
        assert answer["problems"][0]["field"] == "despite_vulnerability"
        assert "子女处境困难" in answer["problems"][0]["message"]  # what was found, in words
        with engine.connect() as connection:
            state = connection.execute(
                text("SELECT state FROM sanction WHERE id = :id"), {"id": sanction}
            ).scalar_one()
        assert state == "proposed"  # nothing written
    else:
        assert answer["state"] == "confirmed"
        assert answer["vulnerability_review"]["despite"] == despite


def test_without_a_vulnerability_found_the_reason_for_the_decision_is_enough(desk: Desk) -> None:
    _, sanction = proposed_sanction(desk)
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    confirmed = desk.call(
        "POST",
        f"/activation/sanctions/{sanction}/decision",
        desk.officer2,
        {"confirm": True, "reason": "两次无正当理由拒绝"},
    )
    assert confirmed["state"] == "confirmed"


def test_the_pages_choose_nothing_for_the_officer(client, engine, desk: Desk) -> None:
    """No answer, verdict, declaration or outcome is chosen beforehand, and what cannot be
    taken back asks first, saying what follows."""
    woman, sanction = proposed_sanction(desk)
    referral = desk.refer(woman, "2026-04-10")
    make_account(engine, "wang.counsellor", "counsellor", office="定城镇", language="zh_CN")
    pages = PageClient(client)
    pages.sign_in("wang.counsellor")  # sessions last a working day: signed in on the day
    page = pages.get(f"/app/people/{woman}").text
    answer_select = page[page.index(f'id="answer-{referral["id"]}"') :]
    answer_select = answer_select[: answer_select.index("</select>")]
    assert '<option value="" selected>' in answer_select  # not 已接受 by default
    assert "selected" not in answer_select.split('<option value="" selected>')[1]
    # a good-reason review sent without a verdict counts nothing and says what is missing
    desk.answer(referral["id"], "2026-04-10", "declined")
    with engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM refusal")).scalar_one()
    pages.get(f"/app/people/{woman}")
    review = pages.post(f"/app/referrals/{referral['id']}/good-reason", {"notes": "本人未说明理由"})
    assert review.status_code == 422 and 'data-rule="verdict-chosen"' in review.text
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM refusal")).scalar_one() == before
    # the sanction's decision asks before it confirms, and says what follows
    officer = PageClient(client)
    make_account(engine, "zhao.officer", "benefit_officer", language="zh_CN")
    officer.sign_in("zhao.officer")
    sanction_page = officer.get(f"/app/sanctions/{sanction}").text
    assert 'data-confirm="确定确认停发？' in sanction_page
