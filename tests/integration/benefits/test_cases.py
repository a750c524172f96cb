"""Running cases: suspension and resumption, re-review, incomes over time, the audit log."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from support import approve, create_household, household, member, walk_to_notice


@pytest.fixture
def case(client, officer, clock, tokens):
    created = create_household(client, officer, household(member(incomes=[("wages", "100")])))
    decided = approve(
        client,
        officer,
        walk_to_notice(client, officer, created["id"], clock),
        clock,
        counsellor=tokens.headers("counsellor"),
    )
    member_id = created["members"][0]["id"]
    return decided["case_id"], member_id


def test_suspend_and_resume_keeps_a_gap_free_history(client, officer, case, clock) -> None:
    case_id, _ = case
    suspended = client.post(
        f"/api/v1/cases/{case_id}/status",
        json={"status": "suspended", "effective_from": "2026-04-01", "reason": "外出未归, 待核实"},
        headers=officer,
    ).json()
    assert suspended["status"] == "suspended" and suspended["monthly_amount"] == "0.00"
    resumed = client.post(
        f"/api/v1/cases/{case_id}/status",
        json={"status": "active", "effective_from": "2026-05-01", "reason": "核实后恢复"},
        headers=officer,
    ).json()
    assert resumed["monthly_amount"] == "50.00"
    history = [(p["status"], p["effective_from"], p["effective_to"]) for p in resumed["history"]]
    assert history == [
        ("active", "2026-03-02", "2026-03-31"),
        ("suspended", "2026-04-01", "2026-04-30"),
        ("active", "2026-05-01", None),
    ]


def test_re_review_with_higher_income_exits_next_month(client, officer, case, clock) -> None:
    case_id, member_id = case
    raised = client.post(
        f"/api/v1/members/{member_id}/incomes",
        json={"source": "wages", "monthly_amount": "900.00", "effective_from": "2026-03-20"},
        headers=officer,
    )
    assert raised.status_code == 201
    assert raised.json()["incomes"] == [
        {"source": "wages", "monthly_amount": "900.00", "effective_from": "2026-03-20"}
    ]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    clock.set(datetime(2026, 3, 25, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    reviewed = client.post(
        f"/api/v1/cases/{case_id}/reviews", json={"reviewed_on": "2026-03-25"}, headers=officer
    ).json()
    assert reviewed["status"] == "terminated"
    assert reviewed["status_since"] == "2026-04-01"
    assert reviewed["explanation"]["eligible"] is False


def test_re_review_with_lower_income_raises_the_amount(client, officer, case, clock) -> None:
    case_id, member_id = case
    client.post(
        f"/api/v1/members/{member_id}/incomes",
        json={"source": "wages", "monthly_amount": "40.00", "effective_from": "2026-03-10"},
        headers=officer,
    )
    from datetime import datetime
    from zoneinfo import ZoneInfo

    clock.set(datetime(2026, 3, 12, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    reviewed = client.post(
        f"/api/v1/cases/{case_id}/reviews", json={"reviewed_on": "2026-03-12"}, headers=officer
    ).json()
    assert reviewed["status"] == "active"
    assert reviewed["monthly_amount"] == "110.00"
    assert reviewed["history"][-1]["effective_from"] == "2026-04-01"
    assert reviewed["history"][-1]["rule"] == "re-review-amount"
    assert reviewed["next_review_on"] == "2026-09-12"


def test_changed_circumstances_are_recorded_and_audited(
    client, officer, tokens, case, engine
) -> None:
    _, member_id = case
    response = client.patch(
        f"/api/v1/members/{member_id}",
        json={"pregnant": True, "phone": "+86 139 0000 1111"},
        headers=tokens.headers("counsellor"),
    )
    assert response.status_code == 200
    assert response.json()["pregnant"] is True
    assert response.json()["phone"] == "+8613900001111"
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT actor_role, action FROM audit_record WHERE entity='member' ORDER BY id DESC"
            )
        ).first()
    assert tuple(row) == ("counsellor", "circumstances-changed")


def test_audit_log_is_append_only(case, engine) -> None:
    with pytest.raises(DatabaseError), engine.begin() as connection:
        connection.execute(text("UPDATE audit_record SET reason = 'rewritten'"))
    with pytest.raises(DatabaseError), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_record"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM audit_record")).scalar_one() > 0


def test_case_list_filters(client, officer, case) -> None:
    case_id, _ = case
    listed = client.get("/api/v1/cases?status=active&community=东街社区", headers=officer).json()
    assert [c["id"] for c in listed] == [case_id]
    assert client.get("/api/v1/cases?status=suspended", headers=officer).json() == []
    due = client.get("/api/v1/cases?review_due_by=2026-09-02", headers=officer).json()
    assert [c["id"] for c in due] == [case_id]
    assert client.get("/api/v1/cases?review_due_by=2026-09-01", headers=officer).json() == []
    bad_limit = client.get("/api/v1/cases?limit=0", headers=officer)
    assert bad_limit.status_code == 422
    assert bad_limit.json()["problems"][0]["field"] == "limit"
