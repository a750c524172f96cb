"""Reforms of the standard and the category factors, replayed from the assessments recorded on
the periods (issue 16; POLICY.md rule 1). Two households of the demo's shape, approved on 2
March 2026 at 200.00 a month (income 100.00, two members, urban standard 150, category C):

- 东街社区: a raise to 140.00 re-reviewed on 20 April pays 160.00 from 1 May; a second re-review
  on 20 May leaves the amount as it was;
- 西街社区: a raise to 320.00 re-reviewed on 12 March exits the case from 1 April (per capita
  160.00 is not below 150).

Every figure below was worked out by hand from the rule before the test ran: March is paid
30/31 of a month from 2 March, rounded once to the fen (ROUND_HALF_UP).
"""

from datetime import date

import pytest
from sqlalchemy import text

from benefits.payment_rules import Month
from support import Desk, mother_and_child, pay_month, replayed

TODAY = date(2026, 5, 25)
EAST, WEST = "东街社区", "西街社区"


def raise_wages(desk: Desk, member_id: int, amount: str, day: str) -> None:
    desk.call(
        "POST",
        f"/members/{member_id}/incomes",
        desk.officer,
        {"source": "wages", "monthly_amount": amount, "effective_from": day},
    )


def review(desk: Desk, case_id: int, day: str) -> dict:
    desk.on(day)
    return desk.call("POST", f"/cases/{case_id}/reviews", desk.officer, {"reviewed_on": day})


@pytest.fixture
def county(client, tokens, clock, engine) -> dict[str, int]:
    desk = Desk(client, tokens, clock)
    east = desk.household_with_case(*mother_and_child(), community=EAST)
    west = desk.household_with_case(*mother_and_child(), community=WEST)
    desk.on("2026-03-10")
    raise_wages(desk, west["members"][0]["id"], "320.00", "2026-03-10")
    assert review(desk, west["case_id"], "2026-03-12")["status"] == "terminated"
    desk.on("2026-04-10")
    raise_wages(desk, east["members"][0]["id"], "140.00", "2026-04-10")
    assert review(desk, east["case_id"], "2026-04-20")["monthly_amount"] == "160.00"
    assert review(desk, east["case_id"], "2026-05-20")["monthly_amount"] == "160.00"
    desk.on(TODAY.isoformat())
    for period in ("2026-03", "2026-04", "2026-05"):
        pay_month(desk.client, desk.officer, period)
    return {"east": east["case_id"], "west": west["case_id"]}


def replay(engine, app, *changes: str, office: str | None = None) -> dict:
    return replayed(
        engine, app.state.policy, Month(2026, 1), Month(2026, 5), TODAY, *changes, office=office
    )


def months(report: dict) -> dict[str, tuple[str, str]]:
    return {r["month"]: (r["cost_actual"], r["cost_reform"]) for r in report["by_month"]}


def test_a_higher_standard_raises_each_assessed_amount_from_its_day(county, engine, app) -> None:
    report = replay(engine, app, "benefits.urban.standard=180", office=EAST)
    assert report["gate"]["passed"] is True, (
        report["gate"]["differences"],
        report["gate"]["examples"],
    )
    # 3 assessments: the approval, the re-review of 20 April, the unchanged one of 20 May
    assert report["gate"]["assessments_checked"] == 3
    # (180 × 2 − 100) = 260 from 2 March, (360 − 140) = 220 from 1 May
    assert months(report) == {
        "2026-01": ("0.00", "0.00"),
        "2026-02": ("0.00", "0.00"),
        "2026-03": ("193.55", "251.61"),
        "2026-04": ("200.00", "260.00"),
        "2026-05": ("160.00", "220.00"),
    }
    assert report["difference"] == "178.06"
    assert (report["households_gain"], report["persons_gain"]) == (1, 2)
    assert (report["households_exited"], report["households_kept"]) == (0, 0)


def test_an_exit_the_higher_standard_would_not_make_keeps_the_case_paid(
    county, engine, app
) -> None:
    report = replay(engine, app, "benefits.urban.standard=180", office=WEST)
    assert report["gate"]["passed"] is True, (
        report["gate"]["differences"],
        report["gate"]["examples"],
    )
    # per capita 160 is below 180: (360 − 320) = 40 a month from 1 April, held to the end
    assert months(report)["2026-03"] == ("193.55", "251.61")
    assert months(report)["2026-04"] == ("0.00", "40.00")
    assert months(report)["2026-05"] == ("0.00", "40.00")
    assert report["households_kept"] == 1 and report["difference"] == "138.06"
    whole = replay(engine, app, "benefits.urban.standard=180")
    assert whole["difference"] == "316.12"


def test_a_lower_standard_exits_the_household_at_the_re_review_it_fails(
    county, engine, app
) -> None:
    report = replay(engine, app, "benefits.urban.standard=60", office=EAST)
    assert report["gate"]["passed"] is True, (
        report["gate"]["differences"],
        report["gate"]["examples"],
    )
    # (60 × 2 − 100) = 20 from 2 March; on 20 April per capita 70 is not below 60: out from May
    assert months(report)["2026-03"] == ("193.55", "19.35")
    assert months(report)["2026-04"] == ("200.00", "20.00")
    assert months(report)["2026-05"] == ("160.00", "0.00")
    assert report["difference"] == "-514.20"
    assert (report["households_lose"], report["households_exited"]) == (1, 1)


def test_a_category_factor(county, engine, app) -> None:
    report = replay(engine, app, "benefits.urban.categories.C.factor=1.5", office=EAST)
    assert report["gate"]["passed"] is True, (
        report["gate"]["differences"],
        report["gate"]["examples"],
    )
    # (300 − 100) × 1.5 = 300 from 2 March, (300 − 140) × 1.5 = 240 from 1 May
    assert months(report)["2026-03"] == ("193.55", "290.32")
    assert months(report)["2026-05"] == ("160.00", "240.00")
    assert report["difference"] == "276.77"
    untouched = replay(engine, app, "benefits.urban.categories.B.factor=2", office=EAST)
    assert untouched["difference"] == "0.00" and untouched["households_affected"] == 0


def test_with_the_standard_as_it_was_nothing_moves(county, engine, app) -> None:
    report = replay(engine, app, "benefits.urban.standard=150")
    assert report["gate"]["passed"] is True, (
        report["gate"]["differences"],
        report["gate"]["examples"],
    )
    assert report["difference"] == "0.00" and report["households_affected"] == 0
    assert report["unresolved"] == {}


def test_a_period_without_its_assessment_is_counted_never_guessed(county, engine, app) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_status_period SET assessments = NULL WHERE case_id = :case"),
            {"case": county["east"]},
        )
    report = replay(engine, app, "benefits.urban.standard=180")
    assert report["gate"]["passed"] is True, (
        report["gate"]["differences"],
        report["gate"]["examples"],
    )
    assert report["unresolved"] == {"amount-not-assessed": 1}
    assert report["difference"] == "138.06"  # the west household alone


def test_an_assessment_that_no_longer_gives_its_amount_fails_the_gate(county, engine, app) -> None:
    with engine.begin() as conn:
        rows = conn.execute(
            text("SELECT id, assessments FROM case_status_period WHERE case_id = :case"),
            {"case": county["east"]},
        ).all()
        period_id, records = next((i, a) for i, a in rows if a)
        import json

        records = json.loads(records) if isinstance(records, str) else records
        records[0]["household_income"] = "90.00"
        conn.execute(
            text("UPDATE case_status_period SET assessments = :a WHERE id = :id"),
            {"a": json.dumps(records), "id": period_id},
        )
    report = replay(engine, app, "benefits.urban.standard=180")
    assert report["gate"]["passed"] is False
    assert report["gate"]["differences"]["assessments"] == 1
    assert {"check": "assessment", "case_id": county["east"], "period_id": period_id} in report[
        "gate"
    ]["examples"]
    assert "cost_reform" not in report
