"""A household from application to an active case, through the API, with its status explained."""

from datetime import date

from sqlalchemy import text

from support import (
    ALL_DOCUMENTS,
    approve,
    create_household,
    household,
    member,
    move_to,
    register_obligated,
    walk_to_notice,
)


def test_household_goes_from_application_to_active_case_and_status(
    client, officer, engine, clock, tokens
) -> None:
    head = member("王秀英", birth=date(1988, 5, 20), sex="female", incomes=[("wages", "100.00")])
    child = member(
        "王小明", birth=date(2014, 9, 1), sex="male", relation="child", student=True, phone=None
    )
    created = create_household(client, officer, household(head, child))
    assert [m["national_id_masked"][4:14] for m in created["members"]] == ["**********"] * 2
    assert created["members"][0]["sex"] == "female"

    app_id = walk_to_notice(client, officer, created["id"], clock)
    move_to(clock, "2026-03-02")
    checks = client.get(f"/api/v1/applications/{app_id}/checks", headers=officer).json()
    assert checks["approvable"] is False
    assert [(p["field"], p["rule"]) for p in checks["problems"]] == [
        (f"members.{created['members'][0]['id']}", "job-seeker-registration")
    ]  # the 37-year-old mother must register first (report 4); the 11-year-old need not
    assert register_obligated(client, tokens.headers("counsellor"), created["id"]) == [
        created["members"][0]["id"]
    ]
    checks = client.get(f"/api/v1/applications/{app_id}/checks", headers=officer).json()
    assert checks["approvable"] is True, checks
    assert checks["entitlement"]["monthly_amount"] == "200.00"  # (150 × 2 − 100) × 1

    decided = approve(
        client, officer, app_id, clock, counsellor=tokens.headers("counsellor"), reason=""
    )
    assert decided["state"] == "approved"
    assert [s["step"] for s in decided["steps"]] == [
        "applied",
        "investigation",
        "appraisal",
        "public_notice",
        "approved",
    ]
    case_id = decided["case_id"]

    case = client.get(f"/api/v1/cases/{case_id}", headers=officer).json()
    assert case["status"] == "active"
    assert case["monthly_amount"] == "200.00"
    assert case["parameter_version"] == "county-pilot@2020.1"
    assert case["next_review_on"] == "2026-09-02"  # urban: six months after approval
    assert [line["item"] for line in case["explanation"]["lines"]][-1] == "monthly_amount"
    said = {line["item"]: line["text"] for line in case["explanation"]["lines"]}
    assert said["gap"] == "保障标准减人均收入（补差）"  # the explanation in the reader's words
    assert said["household_income"].startswith("家庭 ")
    english = client.get(
        f"/api/v1/cases/{case_id}", headers={**officer, "Accept-Language": "en"}
    ).json()
    lines = {line["item"]: line["text"] for line in english["explanation"]["lines"]}
    assert lines["gap"] == "standard minus per-capita income (补差)"
    assert lines["household_income"].startswith("total monthly income of the household's")
    assert case["history"][0]["rule"] == "application-approved"

    status = client.get(f"/api/v1/status/{head['national_id']}", headers=officer)
    assert status.status_code == 200
    body = status.json()
    assert body["status"] == "active"
    assert body["monthly_amount"] == "200.00" and body["currency"] == "CNY"
    assert body["category"] == "C"
    assert body["since"] == "2026-03-02"
    assert "低于保障标准 150.00" in body["why"]
    assert body["parameter_version"] == "county-pilot@2020.1"
    assert (
        body["national_id_masked"] == head["national_id"][:4] + "*" * 10 + head["national_id"][-4:]
    )

    with engine.connect() as connection:
        actions = [
            row[0]
            for row in connection.execute(
                text("SELECT action FROM audit_record WHERE entity = 'application' ORDER BY id")
            )
        ]
    assert actions == ["applied", "investigation", "appraisal", "public_notice", "approved"]


def test_status_of_a_person_whose_application_is_open(client, officer) -> None:
    head = member()
    created = create_household(client, officer, household(head))
    client.post(
        "/api/v1/applications",
        json={"household_id": created["id"], "category_requested": "C", "documents": ALL_DOCUMENTS},
        headers=officer,
    )
    body = client.get(f"/api/v1/status/{head['national_id']}", headers=officer).json()
    assert body["status"] == "application_applied"
    assert body["monthly_amount"] == "0.00"
    assert body["case_id"] is None


def test_rejection_needs_a_written_reason_and_ends_the_application(client, officer, clock) -> None:
    created = create_household(client, officer, household(member(incomes=[("wages", "400")])))
    app_id = walk_to_notice(client, officer, created["id"], clock)
    no_reason = client.post(
        f"/api/v1/applications/{app_id}/decision", json={"approve": False}, headers=officer
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["problems"][0]["rule"] == "written-reason"
    rejected = client.post(
        f"/api/v1/applications/{app_id}/decision",
        json={"approve": False, "reason": "人均收入高于低保标准"},
        headers=officer,
    )
    assert rejected.status_code == 201
    assert rejected.json()["state"] == "rejected"
    again = client.post(
        f"/api/v1/applications/{app_id}/investigation",
        json={"visited_on": "2026-03-01", "visitors": ["x"], "findings": "y"},
        headers=officer,
    )
    assert again.status_code == 409


def test_objection_blocks_approval_until_resolved(client, officer, clock, tokens) -> None:
    created = create_household(client, officer, household(member()))
    app_id = walk_to_notice(client, officer, created["id"], clock)
    move_to(clock, "2026-02-27")
    objection = client.post(
        f"/api/v1/applications/{app_id}/objections",
        json={"received_on": "2026-02-27", "text": "有未申报收入"},
        headers=officer,
    )
    assert objection.status_code == 201
    objection_id = objection.json()["objections"][0]["id"]
    move_to(clock, "2026-03-02")
    register_obligated(client, tokens.headers("counsellor"), created["id"])
    blocked = client.post(
        f"/api/v1/applications/{app_id}/decision", json={"approve": True}, headers=officer
    )
    assert blocked.status_code == 422
    assert [p["rule"] for p in blocked.json()["problems"]] == ["objections-resolved"]

    resolved = client.post(
        f"/api/v1/applications/{app_id}/objections/{objection_id}/resolution",
        json={"upheld": False, "resolution": "经核实无此收入", "resolved_on": "2026-02-28"},
        headers=officer,
    )
    assert resolved.status_code == 201
    assert (
        approve(client, officer, app_id, clock, counsellor=tokens.headers("counsellor"))["state"]
        == "approved"
    )


def test_official_relative_needs_a_second_officer(client, tokens, clock) -> None:
    first, second = tokens.headers("benefit_officer"), tokens.headers("benefit_officer_2")
    relative = member(official_relative=True, official_relative_note="镇干部之妹")
    created = create_household(client, first, household(relative))
    app_id = walk_to_notice(client, first, created["id"], clock)
    pending = approve(client, first, app_id, clock, counsellor=tokens.headers("counsellor"))
    assert pending["state"] == "awaiting_second_approval"
    assert pending["case_id"] is None

    same = client.post(
        f"/api/v1/applications/{app_id}/second-approval", json={"approve": True}, headers=first
    )
    assert same.status_code == 403
    assert same.json()["problems"][0]["rule"] == "four-eyes"

    done = client.post(
        f"/api/v1/applications/{app_id}/second-approval", json={"approve": True}, headers=second
    )
    assert done.status_code == 201
    assert done.json()["state"] == "approved"
    assert done.json()["case_id"] is not None


def test_category_a_for_a_three_nos_elder(client, officer, clock, tokens) -> None:
    elder = member(
        "李德华", birth=date(1950, 1, 2), sex="male", three_nos=True, work_capacity="none"
    )
    created = create_household(client, officer, household(elder))
    app_id = walk_to_notice(client, officer, created["id"], clock, category="A")
    case_id = approve(client, officer, app_id, clock, counsellor=tokens.headers("counsellor"))[
        "case_id"
    ]
    assert (
        client.get(f"/api/v1/cases/{case_id}", headers=officer).json()["monthly_amount"] == "150.00"
    )


def test_rural_household_gets_fixed_amounts(client, officer, clock, tokens) -> None:
    created = create_household(
        client,
        officer,
        household(
            member(incomes=[("agriculture", "60")]),
            member("王小红", birth=date(2012, 1, 1), relation="child", phone=None),
            scheme="rural",
        ),
    )
    app_id = walk_to_notice(client, officer, created["id"], clock, category="B")
    case_id = approve(client, officer, app_id, clock, counsellor=tokens.headers("counsellor"))[
        "case_id"
    ]
    case = client.get(f"/api/v1/cases/{case_id}", headers=officer).json()
    assert case["monthly_amount"] == "200.00"  # 2 × 100
    assert case["next_review_on"] == "2027-03-02"  # rural: once a year
