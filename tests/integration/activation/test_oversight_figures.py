"""Oversight's figures and alerts on known distributions (issue 17), built row by row
(``oversight_support``). May 2026, 206 people under the duty, 42 of them stopped from 1 May:

| community | people | stopped | share |
|---|---|---|---|
| 东街社区 | 50 | 8 | 0.16 |
| 西街社区 | 50 | 8 | 0.16 |
| 南街社区 | 50 | 7 | 0.14 |
| 北街社区 | 50 | 17 | 0.34 — above twice the median (0.16) |
| 新村 | 6 | 2 | a cell of six: suppressed |

Fifty women, 13 of them stopped: 0.26 against 42/206 = 0.2039 overall, a ratio of 1.2752
(above 1.25); 156 men, 29 stopped: 0.1859, a ratio of 0.9118 (within). Everyone else's groups
are one group each (ratio 1). Worked out by hand before the test ran."""

from __future__ import annotations

from datetime import date

import pytest
from oversight_support import build, known_county, stop
from sqlmodel import Session, select

from activation.models import Appeal, Sanction
from activation.oversight.alerts import Limits
from activation.oversight.report import oversight_report
from benefits.models import Household, Member
from benefits.payment_rules import Month

MAY = Month(2026, 5)


@pytest.fixture
def built(engine) -> list[int]:
    return build(engine, known_county(), date(2026, 5, 1))


def report(engine, app, limits: Limits | None = None, **kwargs) -> dict:
    with Session(engine) as session:
        return oversight_report(session, app.state.policy, MAY, limits or Limits(), **kwargs)


def groups(found: dict, dimension: str) -> dict[str, dict]:
    return {row["group"]: row for row in found["by"][dimension]}


def test_the_counts_and_the_share_under_stop(built, engine, app) -> None:
    found = report(engine, app)
    overall = found["overall"]
    assert (overall["subject"], overall["under_stop"], overall["stops_started"]) == (206, 42, 42)
    assert overall["share_under_stop"] == round(42 / 206, 4)
    low, high = overall["interval"]
    assert low < overall["share_under_stop"] < high
    assert groups(found, "sex")["female"]["ratio"] == 1.2752
    assert groups(found, "sex")["male"]["ratio"] == 0.9118
    assert found["office_medians"]["community"] == 0.16


def test_each_alert_fires_exactly_where_it_should(built, engine, app) -> None:
    alerts = report(engine, app)["alerts"]
    assert [(a["alert"], a["dimension"], a["group"], a["value"]) for a in alerts] == [
        ("group-ratio-high", "sex", "female", 1.2752),
        ("office-above-median", "community", "北街社区", 0.34),
    ]


def test_a_cell_of_six_is_suppressed_and_never_compared(built, engine, app) -> None:
    found = report(engine, app)
    village = groups(found, "community")["新村"]
    assert village == {"group": "新村", "suppressed": True, "people": "<10"}
    assert all(a["group"] != "新村" for a in found["alerts"])
    # a county that publishes cells of five shows it, and its 0.3333 is above 0.32
    shown = report(engine, app, Limits(min_cell=5))
    assert groups(shown, "community")["新村"]["under_stop"] == 2
    assert ("office-above-median", "新村") in [(a["alert"], a["group"]) for a in shown["alerts"]]


@pytest.mark.parametrize(
    ("limit", "fires"),
    [(1.25, True), (1.2752, True), (1.2753, False), (1.28, False)],
)  # the ratio is 0.26 / (42 / 206) = 1.27524...: a limit below it fires, above it does not
def test_the_ratio_limit_is_a_setting(built, engine, app, limit, fires) -> None:
    alerts = report(engine, app, Limits(ratio_high=limit))["alerts"]
    assert (("group-ratio-high", "female") in [(a["alert"], a["group"]) for a in alerts]) == fires


def test_a_cut_forced_without_confirmation_fires_the_never_fire_checks(built, engine, app) -> None:
    with Session(engine) as session:
        forced = stop(built[-1], 1, date(2026, 5, 10), confirmed_by=None, confirmed_on=None)
        forced.notice = None
        session.add(forced)
        session.commit()
        forced_id = forced.id
    found = report(engine, app, with_refs=True)
    never = {a["alert"]: a for a in found["alerts"] if a["zero_tolerance"]}
    assert set(never) == {"cut-without-confirmation", "stop-without-notice"}
    assert never["cut-without-confirmation"]["refs"] == [f"sanction:{forced_id}"]
    assert never["stop-without-notice"]["count"] == 1
    open_report = report(engine, app)  # what a bureau collects: the count, never the ids
    assert all("refs" not in a for a in open_report["alerts"])


def test_each_pattern_alert_links_to_the_cases_behind_it(built, engine, app) -> None:
    """The stops behind a group's or an office's alert are its people's stops running on the
    month's last day (13 women's, 北街社区's 17); behind the appeals alert, the sanctions whose
    appeal was upheld in the month. Ids only for those who act on them."""
    with Session(engine) as session:
        stops = session.exec(select(Sanction)).all()
        women = {m.id for m in session.exec(select(Member).where(Member.sex == "female"))}
        north = {
            m.id
            for m, h in session.exec(
                select(Member, Household).where(
                    Member.household_id == Household.id, Household.community == "北街社区"
                )
            )
        }
        upheld, dismissed = stops[0], stops[1]
        for sanction, state in ((upheld, "upheld"), (dismissed, "dismissed")):
            session.add(
                Appeal(
                    sanction_id=sanction.id,
                    lodged_on=date(2026, 5, 3),
                    grounds="不合适",
                    lodged_by="user:2:李辅导",
                    state=state,
                    decided_by="user:4:赵复议",
                    decided_on=date(2026, 5, 20),
                )
            )
        session.commit()
        expected = {
            "female": sorted(f"sanction:{s.id}" for s in stops if s.member_id in women),
            "北街社区": sorted(f"sanction:{s.id}" for s in stops if s.member_id in north),
            "all": [f"sanction:{upheld.id}"],
        }
    alerts = report(engine, app, with_refs=True)["alerts"]
    behind = {a["group"]: a["refs"] for a in alerts}
    assert [a["alert"] for a in alerts] == [
        "group-ratio-high",
        "office-above-median",
        "appeal-reversal",  # one upheld of two decided: 0.5 > 0.2
    ]
    assert (len(behind["female"]), len(behind["北街社区"])) == (13, 17)
    assert behind == expected
    assert all("refs" not in a for a in report(engine, app)["alerts"])


@pytest.mark.parametrize(
    ("office", "fires"),
    [(None, True), ("定城镇", True), ("新村", True), ("北街社区", False), ("城关镇", False)],
)
def test_an_office_report_runs_the_never_fire_checks_on_its_own_households(
    built, engine, app, office, fires
) -> None:
    """The forced cut is in 新村 of 定城镇: that village's and that township's reports show it,
    another community's or township's do not, and the county's does."""
    with Session(engine) as session:
        forced = stop(built[-1], 1, date(2026, 5, 10), confirmed_by=None, confirmed_on=None)
        forced.notice = None
        member = session.get(Member, built[-1])
        assert member is not None
        forced.household_id = member.household_id
        session.add(forced)
        session.commit()
        forced_id = forced.id
    found = report(engine, app, office=office, with_refs=True)
    never = {a["alert"]: a["refs"] for a in found["alerts"] if a["zero_tolerance"]}
    expected = [f"sanction:{forced_id}"]
    assert never == (
        {"cut-without-confirmation": expected, "stop-without-notice": expected} if fires else {}
    )


def test_a_persons_groups_come_from_the_latest_case_and_the_youngest_member(
    built, engine, app
) -> None:
    """One man of 东街社区 gets a child born 2015 and two cases, category B then C: he counts
    in category C and in households with children; everyone else stays category unknown and
    childless. (Read per person through the household, as the report reads them at scale.)"""
    from oversight_support import NOW

    from activation.oversight.facts import month_facts
    from benefits.models import Application, BenefitCase
    from kernel.national_id import make_national_id

    with Session(engine) as session:
        head = session.get(Member, built[60])
        assert head is not None and head.sex == "male"
        home = head.household_id
        session.add(
            Member(
                household_id=home,
                name="子女",
                national_id=make_national_id("341125", date(2015, 3, 1), 7, "female"),
                sex="female",
                birth_date=date(2015, 3, 1),
                relation="child",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        for category in ("B", "C"):
            application = Application(
                household_id=home,
                kind="new",
                state="approved",
                category_requested=category,
                documents=[],
                applied_on=date(2026, 1, 2),
                appraisal_passed=True,
                second_approval_required=False,
                decided_on=date(2026, 1, 3),
                decision_reason="",
                parameter_version="t",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(application)
            session.flush()
            session.add(
                BenefitCase(
                    household_id=home,
                    application_id=application.id,
                    scheme="urban",
                    category=category,
                    status="active",
                    status_since=date(2026, 1, 3),
                    status_reason="",
                    monthly_amount_fen=10000,
                    entitled_amount_fen=10000,
                    explanation={},
                    parameter_version="t",
                    opened_on=date(2026, 1, 3),
                    next_review_on=date(2027, 1, 3),
                )
            )
            session.flush()
        session.commit()
        people = {p.member_id: p.groups for p in month_facts(session, MAY).people}
    assert (people[built[60]]["category"], people[built[60]]["children"]) == ("C", "yes")
    others = [groups for member_id, groups in people.items() if member_id != built[60]]
    assert {(g["category"], g["children"]) for g in others} == {("unknown", "no")}


def test_an_office_reads_exactly_its_own_people_from_the_database(built, engine) -> None:
    """``month_facts`` for an office keeps each read to the office's members in the database:
    what it returns is the county's facts cut to the people of that community or township —
    people, stops, appeals and warnings alike — and nothing of another office's."""
    from activation.oversight.facts import month_facts

    with Session(engine) as session:
        county = month_facts(session, MAY)
        places = {(p.groups["township"], p.groups["community"]) for p in county.people}
        offices = sorted({t for t, _ in places} | {c for _, c in places})
        assert len(offices) >= 3 and county.stops
        for office in offices:
            theirs = month_facts(session, MAY, office)
            own = {
                p.member_id
                for p in county.people
                if office in (p.groups["township"], p.groups["community"])
            }
            assert {p.member_id for p in theirs.people} == own
            assert theirs.people == [p for p in county.people if p.member_id in own]
            assert theirs.stops == [s for s in county.stops if s.member_id in own]
            assert theirs.appeals == [a for a in county.appeals if a.member_id in own]
            assert theirs.warnings == [w for w in county.warnings if w in own]
        assert month_facts(session, MAY, "没有这个社区") == type(county)([], [], [], [])
