"""Malformed or inconsistent input gets a 4xx listing every problem, and writes nothing."""

from datetime import date

import pytest
from sqlalchemy import text

from support import (
    ALL_DOCUMENTS,
    approve,
    create_household,
    household,
    member,
    move_to,
    person_id,
    walk_to_notice,
)

TABLES = [
    "household",
    "member",
    "member_income",
    "application",
    "application_step",
    "benefit_case",
    "case_status_period",
    "objection",
    "audit_record",
]


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES
        }


def assert_problem(response, status: int, *expected: tuple[str | None, str]) -> list[dict]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    found = [(p["field"], p["rule"]) for p in body["problems"]]
    for item in expected:
        assert item in found, (item, found)
    return body["problems"]


def test_every_field_problem_is_listed_together(client, officer, engine) -> None:
    before = row_counts(engine)
    bad = household(
        member(national_id="341125198703150021", incomes=[("wages", "-5")]),  # bad check digit
        member(name="", relation="cousin", phone="12345", incomes=[("lottery", "10")]),
        scheme="suburban",
        bank_account="12",
    )
    response = client.post("/api/v1/households", json=bad, headers=officer)
    problems = assert_problem(
        response,
        422,
        ("members.0.national_id", "schema"),
        ("members.0.incomes.0.monthly_amount", "schema"),
        ("members.1.name", "schema"),
        ("members.1.relation", "schema"),
        ("members.1.phone", "schema"),
        ("members.1.incomes.0.source", "schema"),
        ("scheme", "schema"),
        ("bank_account", "schema"),
    )
    assert any("MOD 11-2" in p["message"] for p in problems)
    assert row_counts(engine) == before


def test_absurd_income_is_refused(client, officer, engine) -> None:
    before = row_counts(engine)
    response = client.post(
        "/api/v1/households", json=household(member(incomes=[("wages", "250000")])), headers=officer
    )
    assert_problem(response, 422, ("members.0.incomes.0.monthly_amount", "schema"))
    response = client.post(
        "/api/v1/households", json=household(member(incomes=[("wages", "10.005")])), headers=officer
    )
    assert_problem(response, 422, ("members.0.incomes.0.monthly_amount", "schema"))
    assert row_counts(engine) == before


def test_id_that_disagrees_with_stated_sex_and_birth_date(client, officer, engine) -> None:
    before = row_counts(engine)
    woman = person_id(date(1987, 3, 15), "female")
    stated = {**member(national_id=woman), "sex": "male", "birth_date": "1987-03-16"}
    body = household(stated)
    assert_problem(
        client.post("/api/v1/households", json=body, headers=officer),
        422,
        ("members.0.sex", "id-agrees"),
        ("members.0.birth_date", "id-agrees"),
    )
    assert row_counts(engine) == before


def test_same_person_twice_and_two_heads(client, officer, engine) -> None:
    before = row_counts(engine)
    nid = person_id(date(1980, 1, 1), "male")
    body = household(member(national_id=nid), member(national_id=nid, relation="head"))
    assert_problem(
        client.post("/api/v1/households", json=body, headers=officer),
        422,
        ("members.1.national_id", "one-person-once"),
        ("members", "one-head"),
    )
    assert row_counts(engine) == before


def test_person_already_in_another_live_household(client, officer, engine, clock) -> None:
    nid = person_id(date(1980, 1, 1), "male")
    first = create_household(client, officer, household(member(national_id=nid)))
    walk_to_notice(client, officer, first["id"], clock)
    before = row_counts(engine)
    response = client.post(
        "/api/v1/households", json=household(member(national_id=nid)), headers=officer
    )
    assert_problem(response, 422, ("members.0.national_id", "one-live-household"))
    assert row_counts(engine) == before


def test_unknown_category_for_the_scheme(client, officer, engine) -> None:
    created = create_household(client, officer, household(member()))
    before = row_counts(engine)
    response = client.post(
        "/api/v1/applications",
        json={"household_id": created["id"], "category_requested": "D", "documents": ["passport"]},
        headers=officer,
    )
    assert_problem(response, 422, ("documents.0", "schema"))
    response = client.post(
        "/api/v1/applications",
        json={"household_id": created["id"], "category_requested": "D", "documents": ALL_DOCUMENTS},
        headers=officer,
    )
    problems = assert_problem(response, 422, ("category_requested", "known-category"))
    assert "A, B, C" in problems[0]["message"]
    assert row_counts(engine) == before


def test_forbidden_transitions_get_409_and_change_nothing(client, officer, engine) -> None:
    created = create_household(client, officer, household(member()))
    app = client.post(
        "/api/v1/applications",
        json={"household_id": created["id"], "category_requested": "C", "documents": ALL_DOCUMENTS},
        headers=officer,
    ).json()
    before = row_counts(engine)
    skip = client.post(
        f"/api/v1/applications/{app['id']}/public-notice",
        json={"starts_on": "2026-02-26", "place": "x"},
        headers=officer,
    )
    assert_problem(skip, 409, ("state", "application-procedure"))
    early = client.post(
        f"/api/v1/applications/{app['id']}/decision", json={"approve": True}, headers=officer
    )
    assert_problem(early, 409, ("state", "application-procedure"))
    second = client.post(
        "/api/v1/applications",
        json={"household_id": created["id"], "category_requested": "C"},
        headers=officer,
    )
    assert_problem(second, 409, ("household_id", "one-open-application"))
    assert row_counts(engine) == before


def test_approval_lists_every_problem_at_once(client, officer, engine, clock) -> None:
    created = create_household(client, officer, household(member(incomes=[("wages", "151")])))
    app_id = walk_to_notice(
        client, officer, created["id"], clock, category="A", documents=["identity_cards"]
    )
    move_to(clock, "2026-02-27")
    before = row_counts(engine)
    response = client.post(
        f"/api/v1/applications/{app_id}/decision",
        json={"approve": True, "decided_on": "2026-02-27"},
        headers=officer,
    )
    problems = assert_problem(
        response,
        422,
        ("incomes", "income-below-standard"),
        ("documents", "documents-complete"),
        ("public_notice", "public-notice"),
        ("category", "category-conditions"),
    )
    assert any(p["rule"] == "job-seeker-registration" for p in problems)  # activation's hook too
    assert len(problems) == 6  # two documents missing
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("step", "payload", "field"),
    [
        (
            "investigation",
            {"visited_on": "2026-02-10", "visitors": ["x"], "findings": "y"},
            "visited_on",
        ),
        (
            "investigation",
            {"visited_on": "2026-03-20", "visitors": ["x"], "findings": "y"},
            "visited_on",
        ),
    ],
)
def test_dates_out_of_order_or_in_the_future(client, officer, engine, step, payload, field) -> None:
    created = create_household(client, officer, household(member()))
    app = client.post(
        "/api/v1/applications",
        json={"household_id": created["id"], "category_requested": "C", "applied_on": "2026-02-20"},
        headers=officer,
    ).json()
    before = row_counts(engine)
    response = client.post(
        f"/api/v1/applications/{app['id']}/{step}", json=payload, headers=officer
    )
    assert_problem(
        response,
        422,
        (field, "date-order") if payload[field] < "2026-02-20" else (field, "not-in-future"),
    )
    assert row_counts(engine) == before


def test_objection_outside_the_notice_period(client, officer, engine, clock) -> None:
    created = create_household(client, officer, household(member()))
    app_id = walk_to_notice(client, officer, created["id"], clock)
    before = row_counts(engine)
    late = client.post(
        f"/api/v1/applications/{app_id}/objections",
        json={"received_on": "2026-03-01", "text": "x"},
        headers=officer,
    )
    assert_problem(late, 422, ("received_on", "objection-during-notice"))
    assert row_counts(engine) == before


def test_case_status_changes_that_are_forbidden(client, officer, engine, clock, tokens) -> None:
    created = create_household(client, officer, household(member()))
    app_id = walk_to_notice(client, officer, created["id"], clock)
    case_id = approve(client, officer, app_id, clock, counsellor=tokens.headers("counsellor"))[
        "case_id"
    ]
    before = row_counts(engine)
    backdated = client.post(
        f"/api/v1/cases/{case_id}/status",
        json={"status": "suspended", "effective_from": "2026-03-01", "reason": "外出"},
        headers=officer,
    )
    assert_problem(backdated, 409, ("effective_from", "status-history"))
    same = client.post(
        f"/api/v1/cases/{case_id}/status",
        json={"status": "active", "effective_from": "2026-04-01", "reason": "无变化"},
        headers=officer,
    )
    assert_problem(same, 409, ("status", "case-status"))
    unknown = client.post(
        f"/api/v1/cases/{case_id}/status",
        json={"status": "frozen", "effective_from": "2026-04-01", "reason": "x"},
        headers=officer,
    )
    assert_problem(unknown, 422, ("status", "schema"), ("reason", "schema"))
    assert row_counts(engine) == before


def test_malformed_json_is_400(client, officer, engine) -> None:
    before = row_counts(engine)
    response = client.post(
        "/api/v1/households",
        content=b"{not json",
        headers={**officer, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert row_counts(engine) == before


def test_status_check_answers(client, officer) -> None:
    malformed = client.get("/api/v1/status/341125198703150021", headers=officer)
    assert_problem(malformed, 422, ("national_id", "national-id"))
    short = client.get("/api/v1/status/12345", headers=officer)
    assert_problem(short, 422, ("national_id", "national-id"))
    unknown = client.get(f"/api/v1/status/{person_id(date(1970, 1, 1), 'male')}", headers=officer)
    assert_problem(unknown, 404, ("national_id", "known-person"))


def test_unknown_records_are_404(client, officer) -> None:
    for path in ["/api/v1/households/999", "/api/v1/applications/999", "/api/v1/cases/999"]:
        assert_problem(client.get(path, headers=officer), 404)
