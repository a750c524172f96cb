"""The status check tells what is decided but not yet in effect, and a review that is overdue
(issue 12: a status look-up that does not mislead)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from support import Desk, PageClient, make_account, member


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def number_of(engine, member_id: int) -> str:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT national_id FROM member WHERE id = :id"), {"id": member_id}
        ).scalar_one()


def start_job(desk: Desk, member_id: int, day: str, income: str) -> dict:
    desk.on(day)
    body = {
        "member_id": member_id,
        "employer": "定远县城南工业园",
        "occupation": "装配工",
        "starts_on": day,
        "monthly_income": income,
    }
    return desk.call("POST", "/activation/jobs", desk.counsellor, body)


def test_a_continuation_tells_its_end_until_the_job_is_lost(desk: Desk, engine) -> None:
    home = desk.household_with_case(member("张建国", birth=date(1985, 1, 5), sex="male"))
    man = home["members"][0]["id"]
    job = start_job(desk, man, "2026-03-10", "1200.00")
    status = desk.call("GET", f"/status/{number_of(engine, man)}", desk.officer)
    assert status["status"] == "continuation_half" and status["coming_on"] == "2026-09-10"
    assert status["coming"] == "渐退期于2026-09-09结束，届时按家庭收入重新核定"
    english = desk.client.get(
        f"/api/v1/status/{number_of(engine, man)}",
        headers={**desk.officer, "Accept-Language": "en"},
    ).json()
    assert english["coming"].startswith("the continuation ends on 2026-09-09")
    desk.on("2026-05-20")
    desk.call(
        "POST",
        f"/activation/jobs/{job['id']}/end",
        desk.counsellor,
        {"ended_on": "2026-05-20", "reason": "laid_off"},
    )
    after = desk.call("GET", f"/status/{number_of(engine, man)}", desk.officer)
    assert after["status"] == "active" and (after["coming_on"], after["coming"]) == (None, None)


def test_an_overdue_review_is_marked(desk: Desk, engine, client) -> None:
    home = desk.household_with_case(member("王秀英", incomes=[("wages", "100.00")]))
    person = home["members"][0]["id"]
    case = desk.case(home["case_id"])
    due = date.fromisoformat(case["next_review_on"])
    desk.on(due.isoformat())
    on_the_day = desk.call("GET", f"/status/{number_of(engine, person)}", desk.officer)
    assert on_the_day["review_overdue"] is False  # due today is not overdue yet
    desk.on(date.fromordinal(due.toordinal() + 1).isoformat())
    late = desk.call("GET", f"/status/{number_of(engine, person)}", desk.officer)
    assert late["review_overdue"] is True and late["next_review_on"] == due.isoformat()
    make_account(engine, "li.officer", "benefit_officer", language="zh_CN")
    pages = PageClient(client)
    pages.sign_in("li.officer")
    page = pages.get("/app/status", params={"national_id": number_of(engine, person)})
    assert page.status_code == 200 and "已逾期" in page.text
