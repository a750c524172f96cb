"""Providers, courses, enrolments and outcome reports through the API, on SQLite or PostgreSQL.

The conftest's training_provider token is bound to provider 1; provider 2 is someone else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from kernel.events import PlacementReported, bus
from support import move_to, new_member
from training.models import OutcomeReport

TABLES = ["enrolment", "outcome_report", "audit_record"]


def counts(engine) -> dict[str, Any]:
    with engine.connect() as connection:
        rows = {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES
        }
        rows["progress"] = connection.execute(
            text("SELECT status, sessions_attended FROM enrolment ORDER BY id")
        ).all()
    return rows


def problems_of(response, status: int) -> set[tuple[str | None, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {(p["field"], p["rule"]) for p in response.json()["problems"]}


def course_body(provider_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "provider_id": provider_id,
        "trade": "electric_sewing",
        "title": "电动缝纫工培训班",
        "capacity": 20,
        "starts_on": "2026-03-02",
        "ends_on": "2026-04-10",
        "sessions_total": 30,
        "community": "东街社区",
        "cost_per_trainee": "1200.00",
        "subsidy_per_trainee": "800.00",
        **overrides,
    }


@dataclass
class World:
    course: int  # provider 1's course
    other_course: int  # provider 2's course
    trainees: list[int]  # on provider 1's course
    outsider: int  # on provider 2's course


@pytest.fixture
def staff(tokens) -> dict[str, str]:
    return tokens.headers("counsellor")


@pytest.fixture
def provider(tokens) -> dict[str, str]:
    return tokens.headers("training_provider")


@pytest.fixture
def world(client, officer, staff, clock) -> World:
    ids = []
    for name in ("定远县职业技能培训中心", "炉桥镇培训学校"):
        response = client.post("/api/v1/training/providers", json={"name": name}, headers=staff)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    assert ids == [1, 2]
    course = client.post("/api/v1/training/courses", json=course_body(1), headers=staff).json()
    other = client.post("/api/v1/training/courses", json=course_body(2), headers=staff).json()
    trainees = [new_member(client, officer, name=f"学员{i}") for i in range(5)]
    for member_id in trainees:
        response = client.post(
            f"/api/v1/training/courses/{course['id']}/enrolments",
            json={"member_id": member_id},
            headers=staff,
        )
        assert response.status_code == 201, response.text
    outsider = new_member(client, officer, name="外人")
    client.post(
        f"/api/v1/training/courses/{other['id']}/enrolments",
        json={"member_id": outsider},
        headers=staff,
    )
    move_to(clock, "2026-04-15")  # the course has run and ended
    return World(course["id"], other["id"], trainees, outsider)


def report(world: World, member: int, kind: str, on: str, report_id: str, **extra) -> dict:
    return {
        "report_id": report_id,
        "course_id": world.course,
        "member_id": member,
        "kind": kind,
        "on": on,
        **extra,
    }


PLACED = {
    "employer": "华丰服装厂",
    "occupation": "6-05-01-03",
    "monthly_income": "2400.00",
    "hours_per_week": 40,
}


def post(client, headers, *reports, all_or_nothing: bool = False):
    return client.post(
        "/api/v1/training/outcomes",
        json={"all_or_nothing": all_or_nothing, "reports": list(reports)},
        headers=headers,
    )


@pytest.fixture
def placements() -> Iterator[list[PlacementReported]]:
    """Events heard, each checked to arrive inside the report's own transaction: the report
    row is already visible to the session the handler is given."""
    seen: list[PlacementReported] = []

    def handler(session, event: PlacementReported) -> None:
        stored = session.exec(
            select(OutcomeReport).where(OutcomeReport.report_id == event.report_id)
        ).first()
        assert stored is not None and stored.kind == "placed"
        seen.append(event)

    bus.subscribe(PlacementReported, handler)
    yield seen
    bus.unsubscribe(PlacementReported, handler)


def test_course_defaults_and_bad_courses(client, staff, world, engine) -> None:
    coal = client.post(
        "/api/v1/training/courses",
        json=course_body(1, trade="coal_mining", title="煤炭采掘培训"),
        headers=staff,
    )
    assert coal.json()["physical_demand"] == "heavy"
    assert coal.json()["trade_label"] == "煤炭采掘"
    bad = course_body(99, trade="astronaut", capacity=0, ends_on="2026-03-01", lat=30.0)
    assert problems_of(client.post("/api/v1/training/courses", json=bad, headers=staff), 422) >= {
        ("capacity", "schema")
    }
    wrong = course_body(99, trade="astronaut")
    assert problems_of(client.post("/api/v1/training/courses", json=wrong, headers=staff), 422) == {
        ("trade", "known-trade"),
        ("provider_id", "exists"),
    }


def test_enrolment_rules(client, staff, officer, world) -> None:
    path = f"/api/v1/training/courses/{world.course}/enrolments"
    earlier = {"member_id": world.trainees[0], "enrolled_on": "2026-03-01"}
    again = client.post(path, json=earlier, headers=staff)
    assert problems_of(again, 409) == {("member_id", "once")}
    late = client.post(path, json={"member_id": world.outsider}, headers=staff)
    assert problems_of(late, 422) == {("enrolled_on", "course-open")}
    nobody = client.post(path, json={"member_id": 99999}, headers=staff)
    assert problems_of(nobody, 404) == {("member_id", "exists")}


def test_providers_see_only_their_own(client, provider, world) -> None:
    listed = client.get("/api/v1/training/courses", headers=provider).json()
    assert [c["id"] for c in listed] == [world.course]
    assert listed[0]["seats_taken"] == 5
    assert (
        client.get(f"/api/v1/training/courses/{world.course}", headers=provider).status_code == 200
    )
    for path in (
        f"/api/v1/training/courses/{world.other_course}",
        f"/api/v1/training/courses/{world.other_course}/enrolments",
        "/api/v1/training/providers/2",
    ):
        response = client.get(path, headers=provider)  # as if they did not exist
        assert response.status_code == 404, path
    mine = client.get(f"/api/v1/training/courses/{world.course}/enrolments", headers=provider)
    assert sorted(e["member_id"] for e in mine.json()) == sorted(world.trainees)


def test_reporting_for_another_providers_trainee_is_forbidden(
    client, provider, world, engine
) -> None:
    before = counts(engine)
    theirs = report(world, world.outsider, "completed", "2026-04-10", "R-X1")
    theirs["course_id"] = world.other_course
    response = post(
        client, provider, report(world, world.trainees[0], "completed", "2026-04-10", "R-1"), theirs
    )
    assert problems_of(response, 403) == {("reports.1.course_id", "own-course")}
    not_mine = report(world, world.outsider, "completed", "2026-04-10", "R-X2")
    assert problems_of(post(client, provider, not_mine), 403) == {
        ("reports.0.member_id", "own-trainee")
    }
    assert counts(engine) == before


def test_a_placement_publishes_once_and_a_replay_returns_the_first_result(
    client, provider, staff, world, placements, engine
) -> None:
    member = world.trainees[0]
    done = post(client, provider, report(world, member, "completed", "2026-04-10", "R-1"))
    assert done.status_code == 201
    placed = report(world, member, "placed", "2026-04-13", "R-2", **PLACED)
    first = post(client, provider, placed)
    assert first.status_code == 201, first.text
    assert first.json()["results"][0]["enrolment_status"] == "placed"
    assert len(placements) == 1
    event = placements[0]
    assert (event.member_id, event.provider_id, event.course_id) == (member, 1, world.course)
    assert str(event.monthly_income) == "2400.00" and event.start_date.isoformat() == "2026-04-13"
    replay = post(client, provider, placed)
    assert replay.status_code == 200
    assert replay.json()["results"][0]["status"] == "replayed"
    assert replay.json()["results"][0]["enrolment_status"] == "placed"
    assert len(placements) == 1
    before = counts(engine)
    changed = {**placed, "monthly_income": "2600.00"}
    assert problems_of(post(client, provider, changed), 409) == {
        ("reports.0.report_id", "idempotency-conflict")
    }
    assert counts(engine) == before
    assert len(placements) == 1
    enrolments = client.get(
        f"/api/v1/training/courses/{world.course}/enrolments", headers=staff
    ).json()
    row = next(e for e in enrolments if e["member_id"] == member)
    assert (row["status"], row["monthly_income"], row["employer"]) == (
        "placed",
        "2400.00",
        "华丰服装厂",
    )


def test_a_batch_accepts_good_rows_and_returns_each_bad_row(client, provider, world) -> None:
    a, b, c = world.trainees[:3]
    response = post(
        client,
        provider,
        report(world, a, "completed", "2026-04-10", "B-1"),
        report(world, a, "certified", "2026-04-12", "B-2", certificate_no="FZ-001"),
        report(world, b, "certified", "2026-04-12", "B-3", certificate_no="FZ-002"),
        report(world, c, "placed", "2026-02-01", "B-4", **PLACED),
        {"report_id": "B-5", "course_id": world.course, "member_id": c, "kind": "graduated"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 3)
    by_row = {r["row"]: r for r in body["results"]}
    assert by_row[1]["enrolment_status"] == "certified"
    assert ("kind", "sequence") in {(p["field"], p["rule"]) for p in by_row[2]["problems"]}
    assert {("on", "sequence"), ("kind", "sequence")} <= {
        (p["field"], p["rule"]) for p in by_row[3]["problems"]
    }
    assert {p["field"] for p in by_row[4]["problems"]} >= {"kind", "on"}
    assert all(p["row"] == 3 for p in by_row[3]["problems"])
    # Each row's problems are told in the reader's language (Chinese unless asked otherwise).
    told = [p["message"] for r in body["results"] for p in r["problems"]]
    assert told and all(re.search("[\u4e00-\u9fff]", m) for m in told), told


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(client, provider, world, engine) -> None:
    before = counts(engine)
    a = world.trainees[0]
    response = post(
        client,
        provider,
        report(world, a, "attended", "2026-04-01", "N-1", sessions_attended=20),
        report(world, a, "attended", "2026-04-02", "N-2", sessions_attended=31),
        all_or_nothing=True,
    )
    assert problems_of(response, 422) == {("reports.1.sessions_attended", "sessions")}
    assert counts(engine) == before
    not_started = client.post("/api/v1/training/outcomes", json={"reports": []}, headers=provider)
    assert problems_of(not_started, 422) == {("reports", "schema")}


def test_csv_outcomes_with_row_numbers(client, provider, world) -> None:
    a, b = world.trainees[:2]
    content = (
        "report_id,course_id,member_id,kind,on,sessions_attended,reason\n"
        f"C-1,{world.course},{a},attended,2026-04-01,28,\n"
        f"C-2,{world.course},{b},dropped,2026-03-20,,找到工作\n"
        f"C-3,{world.course},{b},completed,2026-04-10,,\n"
        f"C-4,{world.course},{a},attended,2026-04-05,x,\n"
    ).encode()
    response = client.post(
        "/api/v1/training/outcomes/csv",
        files={"file": ("outcomes.csv", content, "text/csv")},
        headers=provider,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 2)
    rejected = {(p["row"], p["field"], p["rule"]) for r in body["results"] for p in r["problems"]}
    assert rejected == {(4, "kind", "sequence"), (5, "sessions_attended", "schema")}


def test_rates_and_flags_per_course_and_provider(client, provider, staff, world) -> None:
    reports = []
    for i, member in enumerate(world.trainees):  # 5 completed, 3 placed: 60%, no review
        reports.append(report(world, member, "completed", "2026-04-10", f"P-{i}"))
        if i < 3:
            reports.append(report(world, member, "placed", "2026-04-13", f"Q-{i}", **PLACED))
    assert post(client, provider, *reports).status_code == 201
    rates = client.get(f"/api/v1/training/courses/{world.course}/rates", headers=staff).json()
    assert rates["rates"]["placement_rate_percent"] == "60.0"
    assert rates["rates"]["accountability_review"] is False and rates["rates"]["reward"] is False
    assert "placed ÷ completed" in rates["rates"]["denominator"]
    assert rates["subsidy"]["payable"] == "3200.00"  # 5 × 400 + 3 × 400
    whole = client.get("/api/v1/training/providers/1/rates", headers=staff).json()
    assert whole["rates"]["placed"] == 3 and whole["subsidy_payable"] == "3200.00"
    assert client.get("/api/v1/training/providers/1/rates", headers=provider).status_code == 403


def test_below_sixty_percent_triggers_the_accountability_review(
    client, provider, staff, world
) -> None:
    reports = [
        report(world, m, "completed", "2026-04-10", f"L-{i}") for i, m in enumerate(world.trainees)
    ]
    reports += [
        report(world, world.trainees[i], "placed", "2026-04-13", f"M-{i}", **PLACED)
        for i in range(2)
    ]
    post(client, provider, *reports)
    rates = client.get(f"/api/v1/training/courses/{world.course}/rates", headers=staff).json()
    assert rates["rates"]["placement_rate_percent"] == "40.0"
    assert rates["rates"]["accountability_review"] is True
    assert rates["subsidy"]["held_for_review"] == "800.00"
