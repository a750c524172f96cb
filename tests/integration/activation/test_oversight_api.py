"""``GET /api/v1/oversight/report`` on the refusal story, made through the API (issue 17): the
woman declined twice, was proposed for a stop on 3 April, confirmed by a second officer on 6
April, stopped from 16 April and paid again from 16 May on complying."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from support import Desk, refusal_story


@pytest.fixture
def story(client, tokens, clock) -> dict:
    desk = Desk(client, tokens, clock)
    found = refusal_story(desk)
    desk.on("2026-06-02")
    return found


def report(client, tokens, month: str, **extra) -> dict:
    headers = {**tokens.headers("admin"), **extra.pop("headers", {})}
    response = client.get(
        "/api/v1/oversight/report", params={"month": month, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_month_of_the_stop_and_the_month_it_ended(story, client, tokens) -> None:
    april = report(client, tokens, "2026-04")["overall"]
    assert (april["proposals"], april["confirmations"], april["rejections"]) == (1, 1, 0)
    assert (april["stops_started"], april["under_stop"], april["restorations"]) == (1, 1, 0)
    may = report(client, tokens, "2026-05")["overall"]
    assert (may["stops_started"], may["under_stop"], may["restorations"]) == (0, 0, 1)
    assert may["median_stop_days"] == 30  # 16 April to 16 May
    officers = report(client, tokens, "2026-04")["by"]["officer"]
    assert [(o["suppressed"], o["people"]) for o in officers] == [(True, "<10")]


def test_a_self_confirmed_cut_fires_in_the_readers_language(story, client, tokens, engine) -> None:
    assert [a for a in report(client, tokens, "2026-04")["alerts"] if a["zero_tolerance"]] == []
    with engine.begin() as conn:  # forced around the use cases: the proposer "confirms"
        conn.execute(
            text("UPDATE sanction SET confirmed_by = proposed_by WHERE id = :id"),
            {"id": story["sanction_id"]},
        )
    found = report(client, tokens, "2026-04", refs="true")
    (alert,) = [a for a in found["alerts"] if a["zero_tolerance"]]
    assert alert["alert"] == "cut-without-confirmation"
    assert alert["refs"] == [f"sanction:{story['sanction_id']}", f"case:{story['case_id']}"]
    assert alert["message"] == "2 次停发未经第二名工作人员确认"
    english = report(client, tokens, "2026-04", headers={"Accept-Language": "en"})
    (said,) = [a for a in english["alerts"] if a["zero_tolerance"]]
    assert said["message"] == "2 cut(s) without a second officer's confirmation"
    assert "refs" not in said


def test_bad_months_and_other_roles_are_refused(story, client, tokens) -> None:
    for month in ("2026-13", "May", "2026-5-1"):
        response = client.get(
            "/api/v1/oversight/report", params={"month": month}, headers=tokens.headers("admin")
        )
        assert response.status_code == 422, month
        assert [p["field"] for p in response.json()["problems"]] == ["month"]
    for role in ("counsellor", "benefit_officer", "training_provider"):
        response = client.get("/api/v1/oversight/report", headers=tokens.headers(role))
        assert response.status_code == 403, role


def test_a_rejection_at_review_is_counted_in_its_month(client, tokens, clock, engine) -> None:
    desk = Desk(client, tokens, clock)
    story = refusal_story(desk, confirm=False)
    with engine.connect() as conn:
        day = conn.execute(
            text("SELECT rejected_on FROM sanction WHERE id = :id"), {"id": story["sanction_id"]}
        ).scalar_one()
    assert str(day)[:10] == "2026-04-06"
    desk.on("2026-06-02")
    april = report(client, tokens, "2026-04")["overall"]
    assert (april["proposals"], april["confirmations"], april["rejections"]) == (1, 0, 1)
    assert april["reversal_at_review"] == 1.0 and april["stops_started"] == 0


def test_an_office_report_checks_its_own_households(story, client, tokens, engine) -> None:
    """Forced around the use cases — a self-confirmed cut, offers with no proof of delivery —
    each check names them in the story's community and township, and in no other office."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE sanction SET confirmed_by = proposed_by WHERE id = :id"),
            {"id": story["sanction_id"]},
        )
        conn.execute(
            text(
                "UPDATE referral SET delivered = false WHERE member_id = "
                "(SELECT member_id FROM sanction WHERE id = :id)"
            ),
            {"id": story["sanction_id"]},
        )
        community, township = conn.execute(
            text(
                "SELECT h.community, h.township FROM household h "
                "JOIN sanction s ON s.household_id = h.id WHERE s.id = :id"
            ),
            {"id": story["sanction_id"]},
        ).one()
    county = {
        (a["alert"], a["count"])
        for month in ("2026-03", "2026-04")
        for a in report(client, tokens, month)["alerts"]
        if a["zero_tolerance"]
    }
    assert ("cut-without-confirmation", 2) in county
    assert any(alert == "refusal-without-delivery" for alert, _ in county)
    for office in (community, township):
        found = {
            (a["alert"], a["count"])
            for month in ("2026-03", "2026-04")
            for a in report(client, tokens, month, office=office)["alerts"]
            if a["zero_tolerance"]
        }
        assert found == county, office
    elsewhere = report(client, tokens, "2026-04", office="没有这个社区")["alerts"]
    assert [a for a in elsewhere if a["zero_tolerance"]] == []
