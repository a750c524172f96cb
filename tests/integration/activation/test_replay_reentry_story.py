"""The re-entry window under a reform (issue 16; report 4 §五4, POLICY.md rule 5). Two women,
each approved on 2 March 2026, each in a 1,600-yuan job from 10 March and exited on 10
September when the continuation ended:

- 东街社区: the job ends on 30 October, reported on 2 November — within the 12 months, so a
  fast re-entry pays her again from 2 November;
- 西街社区: the job ends on 1 October 2027, reported the next day — past the window's end on
  10 September 2027, so a full application applies.

A shorter window would have refused the first re-entry: when a full application would have
been decided nobody knows, so the case it opened is counted, never priced. A longer one would
have offered the second woman the fast path: counted, and no money moves."""

from datetime import date

import pytest

from activation.replay.engine import run_replay
from activation.replay.reform import parse_reform
from benefits.payment_rules import Month
from support import Desk, member, replayed

TODAY = date(2027, 10, 5)


def start_job(desk: Desk, member_id: int) -> dict:
    desk.on("2026-03-10")
    body = {
        "member_id": member_id,
        "employer": "定远县华丰服装厂",
        "occupation": "6-05-01-03",
        "starts_on": "2026-03-10",
        "monthly_income": "1600.00",
        "hours_per_week": 40,
    }
    return desk.call("POST", "/activation/jobs", desk.counsellor, body)


def end_job(desk: Desk, job: dict, ended: str, reported: str) -> dict:
    desk.on(reported)
    body = {"ended_on": ended, "reason": "employer_closed", "reported_on": reported}
    return desk.call("POST", f"/activation/jobs/{job['id']}/end", desk.counsellor, body)


@pytest.fixture
def county(client, tokens, clock, engine) -> dict[str, int]:
    desk = Desk(client, tokens, clock)
    east = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female"), community="东街社区"
    )
    west = desk.household_with_case(
        member("王芳", birth=date(1988, 2, 1), sex="female"), community="西街社区"
    )
    east_job = start_job(desk, east["members"][0]["id"])
    west_job = start_job(desk, west["members"][0]["id"])
    assert desk.sweep("2026-09-10")["continuations_ended"] == 2
    quick = end_job(desk, east_job, "2026-10-30", "2026-11-02")["reentry"]
    assert quick["eligible"] is True
    desk.on("2026-11-05")
    decided = desk.call(
        "POST",
        f"/applications/{quick['application_id']}/reentry-decision",
        desk.officer,
        {"approve": True},
    )
    late = end_job(desk, west_job, "2027-10-01", "2027-10-02")["reentry"]
    assert late["eligible"] is False
    desk.on(TODAY.isoformat())
    return {"reentered": decided["case_id"]}


def replay(engine, app, *changes: str) -> dict:
    return replayed(engine, app.state.policy, Month(2026, 1), Month(2027, 12), TODAY, *changes)


def test_a_shorter_window_leaves_the_fast_re_entry_to_a_person(county, engine, app) -> None:
    report = replay(engine, app, "reentry.window_months=1")
    assert report["gate"]["passed"] is True, report["gate"]["examples"]
    # the window ended on 10 October 2026, before the job did
    assert report["reentries_refused"] == 1 and report["reentries_offered"] == 0
    assert report["unresolved"] == {"reentry-outside-window": 1}
    assert report["difference"] == "0.00" and report["households_affected"] == 0


def test_a_longer_window_offers_the_fast_path_and_moves_no_money(county, engine, app) -> None:
    report = replay(engine, app, "reentry.window_months=13")
    assert report["gate"]["passed"] is True
    assert (report["reentries_offered"], report["reentries_refused"]) == (1, 0)
    assert report["unresolved"] == {} and report["difference"] == "0.00"


@pytest.mark.parametrize(
    ("months", "offered", "refused"),
    [(12, 0, 0), (2, 0, 0), (1, 0, 1)],  # 10 Nov 2026 still reaches 30 Oct; 10 Oct does not
)
def test_the_window_around_each_job_s_end(county, engine, app, months, offered, refused) -> None:
    report = replay(engine, app, f"reentry.window_months={months}")
    assert (report["reentries_offered"], report["reentries_refused"]) == (offered, refused)


def test_a_window_that_ends_before_the_range_counts_no_offer(county, engine, app) -> None:
    reform, _ = parse_reform(["reentry.window_months=13"], app.state.policy)
    report = run_replay(
        engine,
        app.state.policy,
        first=Month(2026, 1),
        last=Month(2027, 9),  # the second woman reported her job's end in October 2027
        reform=reform,
        today=TODAY,
    )
    assert report["reentries_offered"] == 0
