"""Work recorded days after it happened: incomes carry the day they began, and an assessment
on an earlier day never counts a member as earning nothing because the income was keyed in
later (benefits.incomes)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from benefits.models import BenefitCase, Household
from tests.support import (
    approve,
    household,
    member,
    move_to,
    register_obligated,
    walk_to_notice,
)

KEYED_IN = date(2026, 3, 10)  # the day the office typed it all in
DECIDED = date(2026, 3, 2)  # after the notice that ended on 28 February


def _family(since: str | None) -> dict:
    wages = {"source": "wages", "monthly_amount": "200.00"}
    if since is not None:
        wages["effective_from"] = since
    head = member("陈建国", birth=date(1981, 4, 2), sex="male")
    head["incomes"] = [wages]
    return household(
        head,
        member("刘芳", birth=date(1982, 7, 9), relation="spouse"),
        member("陈晨", birth=date(2016, 1, 5), relation="child"),
        member("陈曦", birth=date(2018, 9, 30), relation="child"),
    )


def _registered(client, tokens, clock, since: str | None) -> tuple[str, int]:
    """The head's ID number and the application, walked to its public notice (dated in
    February) on the day the office keys it all in."""
    move_to(clock, KEYED_IN)
    officer = tokens.headers("benefit_officer")
    family = _family(since)
    answer = client.post("/api/v1/households", json=family, headers=officer)
    assert answer.status_code == 201, answer.text
    household_id = answer.json()["id"]
    return family["members"][0]["national_id"], walk_to_notice(client, officer, household_id)


def _register(client, tokens, app_id: int, registered_on: str) -> None:
    """Register the application's obligated members as job seekers on ``registered_on``."""
    officer = tokens.headers("benefit_officer")
    application = client.get(f"/api/v1/applications/{app_id}", headers=officer).json()
    register_obligated(
        client,
        tokens.headers("counsellor"),
        application["household_id"],
        registered_on=registered_on,
    )


def _approve(client, tokens, app_id: int, decided_on: str) -> dict:
    """Register the obligated members as of the day they came (before the decision), then
    approve on ``decided_on``, all keyed in on the same late day."""
    officer = tokens.headers("benefit_officer")
    _register(client, tokens, app_id, "2026-02-21")
    return approve(client, officer, app_id, decided_on=decided_on)


def test_a_backdated_approval_is_refused_while_the_income_of_its_day_is_unknown(
    client, tokens, clock, engine
) -> None:
    head, app_id = _registered(client, tokens, clock, since=None)
    household_id = client.get(f"/api/v1/status/{head}", headers=tokens.headers("benefit_officer"))
    household_id = household_id.json()["household_id"]
    officer = tokens.headers("benefit_officer")
    answer = client.post(
        f"/api/v1/applications/{app_id}/decision",
        json={"approve": True, "decided_on": DECIDED.isoformat()},
        headers={**officer, "Accept-Language": "en"},
    )
    assert answer.status_code == 422, answer.text
    problems = [p for p in answer.json()["problems"] if p["rule"] == "income-in-force"]
    assert len(problems) == 1
    assert "陈建国" in problems[0]["message"]
    assert "2026-03-10" in problems[0]["message"] and "2026-03-02" in problems[0]["message"]
    application = client.get(f"/api/v1/applications/{app_id}", headers=officer).json()
    assert application["state"] == "public_notice"
    with Session(engine) as session:
        cases = session.exec(select(BenefitCase).where(BenefitCase.household_id == household_id))
        assert cases.all() == []


def test_an_income_given_its_own_day_pays_the_right_amount(client, tokens, clock) -> None:
    """The issue's example: an urban household of four, category C, earning 200 a month:
    400.00, not the 600.00 an income counted as zero would pay."""
    head, app_id = _registered(client, tokens, clock, since="2026-01-01")
    decided = _approve(client, tokens, app_id, DECIDED.isoformat())
    assert decided["state"] == "approved", decided
    status = client.get(f"/api/v1/status/{head}", headers=tokens.headers("benefit_officer"))
    assert status.json()["monthly_amount"] == "400.00", status.text


@pytest.mark.parametrize(
    ("since", "decided", "refused"),
    [
        ("2026-03-01", "2026-03-02", False),  # began the day before
        ("2026-03-02", "2026-03-02", False),  # began on the decision day: in force
        ("2026-03-03", "2026-03-02", True),  # began the day after: unknown on the day
    ],
)
def test_the_income_in_force_on_the_decision_day(
    client, tokens, clock, since, decided, refused
) -> None:
    _, app_id = _registered(client, tokens, clock, since=since)
    officer = tokens.headers("benefit_officer")
    if not refused:
        _approve(client, tokens, app_id, decided)
        state = client.get(f"/api/v1/applications/{app_id}", headers=officer).json()["state"]
        assert state == "approved"
        return
    answer = client.post(
        f"/api/v1/applications/{app_id}/decision",
        json={"approve": True, "decided_on": decided},
        headers=officer,
    )
    assert answer.status_code == 422
    assert "income-in-force" in {p["rule"] for p in answer.json()["problems"]}


@pytest.mark.parametrize(
    ("since", "status"),
    [("2026-03-10", 201), ("2026-03-11", 422)],  # today; tomorrow
)
def test_a_declared_income_cannot_begin_after_today(
    client, tokens, clock, engine, since, status
) -> None:
    move_to(clock, KEYED_IN)
    officer = tokens.headers("benefit_officer")
    answer = client.post("/api/v1/households", json=_family(since), headers=officer)
    assert answer.status_code == status, answer.text
    if status == 422:
        fields = {p["field"] for p in answer.json()["problems"]}
        assert fields == {"members.0.incomes.0.effective_from"}
        with Session(engine) as session:
            assert session.exec(select(Household)).all() == []
    else:
        head = answer.json()["members"][0]
        assert head["incomes"][0]["effective_from"] == since


@pytest.mark.parametrize(
    ("registered_on", "refused"),
    [("2026-03-01", False), ("2026-03-02", False), ("2026-03-03", True)],
)
def test_an_obligated_member_registered_after_the_decision_day_blocks_it(
    client, tokens, clock, registered_on, refused
) -> None:
    """The duty and the registration are judged on the decision day, not the day it is keyed
    in."""
    _, app_id = _registered(client, tokens, clock, since="2026-01-01")
    officer = tokens.headers("benefit_officer")
    _register(client, tokens, app_id, registered_on)
    answer = client.post(
        f"/api/v1/applications/{app_id}/decision",
        json={"approve": True, "decided_on": DECIDED.isoformat()},
        headers=officer,
    )
    if refused:
        assert answer.status_code == 422, answer.text
        problems = answer.json()["problems"]
        assert {p["rule"] for p in problems} == {"job-seeker-registration"}
        assert all("2026-03-03" in p["message"] for p in problems)
    else:
        assert answer.status_code == 201, answer.text
