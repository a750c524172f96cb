"""Into work and back (issue 4): continuation, job loss, fast re-entry, the employment file."""

from datetime import date

import pytest

from support import Desk, member


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def start_job(
    desk: Desk, member_id: int, day: str, income: str, employer: str = "定远县华丰服装厂"
) -> dict:
    desk.on(day)
    body = {
        "member_id": member_id,
        "employer": employer,
        "occupation": "6-05-01-03",
        "starts_on": day,
        "monthly_income": income,
        "hours_per_week": 40,
    }
    return desk.call("POST", "/activation/jobs", desk.counsellor, body)


def history(desk: Desk, case_id: int) -> list[tuple]:
    return [
        (p["status"], p["effective_from"], p["effective_to"], p["monthly_amount"])
        for p in desk.case(case_id)["history"]
    ]


def test_a_woman_takes_a_650_yuan_job_six_months_full_then_reassessed(desk: Desk) -> None:
    home = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female"),
        member(
            "刘小宝", birth=date(2016, 4, 1), sex="male", relation="child", student=True, phone=None
        ),
    )
    woman, case_id = home["members"][0]["id"], home["case_id"]
    assert desk.case(case_id)["monthly_amount"] == "300.00"  # no income: (150 × 2) × 1
    job = start_job(desk, woman, "2026-03-10", "650.00")
    continuation = job["continuation"]
    # six calendar months from 10 March: to 9 September
    assert (continuation["status"], continuation["ends_on"]) == ("continuation_full", "2026-09-09")
    case = desk.case(case_id)
    assert (case["status"], case["monthly_amount"]) == ("continuation_full", "300.00")
    assert "650.00" in case["status_reason"] and "报告四" in case["status_reason"]

    assert desk.sweep("2026-08-25")["continuation_tasks"] == 0
    assert desk.sweep("2026-08-26")["continuation_tasks"] == 1  # 14 days before the end
    assert desk.sweep("2026-09-09")["continuations_ended"] == 0  # the last day: still in it
    assert desk.sweep("2026-09-10")["continuations_ended"] == 1  # the same date: reassessed
    case = desk.case(case_id)
    # 650 over 2 people is 325 per head, above the standard: the household exits, in writing.
    assert (case["status"], case["status_since"]) == ("terminated", "2026-09-10")
    assert "不低于保障标准150.00元" in case["status_reason"] and "快速再入" in case["status_reason"]
    assert history(desk, case_id)[-2:] == [
        ("continuation_full", "2026-03-10", "2026-09-09", "300.00"),
        ("terminated", "2026-09-10", None, "0.00"),
    ]


def test_a_man_takes_a_1200_yuan_job_half_then_loses_it_in_month_three(desk: Desk) -> None:
    home = desk.household_with_case(member("张建国", birth=date(1985, 1, 5), sex="male"))
    man, case_id = home["members"][0]["id"], home["case_id"]
    job = start_job(desk, man, "2026-03-10", "1200.00")
    assert job["continuation"]["status"] == "continuation_half"
    assert desk.case(case_id)["monthly_amount"] == "75.00"  # half of 150
    desk.on("2026-05-20")
    ended = desk.call(
        "POST",
        f"/activation/jobs/{job['id']}/end",
        desk.counsellor,
        {"ended_on": "2026-05-20", "reason": "laid_off"},
    )
    assert ended["continuation"]["state"] == "job_lost"
    assert ended["reentry"] is None
    case = desk.case(case_id)
    assert (case["status"], case["monthly_amount"], case["status_since"]) == (
        "active",
        "150.00",
        "2026-05-20",
    )
    household = desk.call("GET", f"/households/{home['id']}", desk.officer)
    assert household["members"][0]["incomes"] == [
        {"source": "wages", "monthly_amount": "0.00", "effective_from": "2026-05-21"}
    ]


def test_income_changes_move_between_full_and_half(desk: Desk) -> None:
    home = desk.household_with_case(member("张建国", birth=date(1985, 1, 5), sex="male"))
    man, case_id = home["members"][0]["id"], home["case_id"]
    job = start_job(desk, man, "2026-03-10", "799.99")
    assert desk.case(case_id)["status"] == "continuation_full"
    desk.on("2026-04-01")
    changed = desk.call(
        "POST",
        f"/activation/jobs/{job['id']}/income",
        desk.counsellor,
        {"monthly_income": "800.00", "effective_from": "2026-04-01"},
    )
    assert changed["continuation"]["status"] == "continuation_half"
    assert history(desk, case_id)[-1] == ("continuation_half", "2026-04-01", None, "75.00")


def test_an_exited_person_who_loses_a_job_gets_fast_re_entry_paid_from_the_report(
    desk: Desk, engine
) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    woman, case_id = home["members"][0]["id"], home["case_id"]
    job = start_job(desk, woman, "2026-03-10", "1600.00")
    desk.sweep("2026-09-10")
    assert desk.case(case_id)["status"] == "terminated"  # exit after the continuation
    desk.on("2026-11-02")
    ended = desk.call(
        "POST",
        f"/activation/jobs/{job['id']}/end",
        desk.counsellor,
        {
            "ended_on": "2026-10-30",
            "reason": "employer_closed",
            "reported_on": "2026-11-02",
            "declared_changes": "工厂停产, 本人失业",
        },
    )
    reentry = ended["reentry"]
    assert reentry["eligible"] is True
    assert reentry["decision_due_on"] == "2026-11-09"  # five working days
    application = desk.call("GET", f"/applications/{reentry['application_id']}", desk.officer)
    assert (application["state"], application["applied_on"]) == ("applied", "2026-11-02")
    assert [s["step"] for s in application["steps"]] == ["reentry_applied"]
    tasks = desk.call("GET", "/activation/tasks?kind=reentry_decision", desk.counsellor)
    assert [t["due_on"] for t in tasks] == ["2026-11-09"]

    desk.on("2026-11-05")
    full_procedure = desk.call(
        "POST",
        f"/applications/{application['id']}/investigation",
        desk.officer,
        {"visited_on": "2026-11-05", "visitors": ["x"], "findings": "y"},
        status=409,
    )
    assert full_procedure["problems"][0]["rule"] == "application-procedure"
    decided = desk.call(
        "POST",
        f"/applications/{application['id']}/reentry-decision",
        desk.officer,
        {"approve": True},
    )
    new_case = desk.case(decided["case_id"])
    assert (new_case["status"], new_case["status_since"], new_case["monthly_amount"]) == (
        "active",
        "2026-11-02",
        "150.00",
    )  # paid from the day the loss was reported
    from sms_support import outbox

    (told,) = [m for m in outbox(engine) if m.template_key == "reentry_decision"]
    assert (told.params["starts_on"], told.urgent) == ("2026-11-02", True)


def test_re_entry_window_closed_and_misconduct_flag(desk: Desk) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    woman = home["members"][0]["id"]
    job = start_job(desk, woman, "2026-03-10", "1600.00")
    desk.sweep("2026-09-10")
    desk.on("2026-10-02")
    ended = desk.call(
        "POST",
        f"/activation/jobs/{job['id']}/end",
        desk.counsellor,
        {"ended_on": "2026-10-01", "reason": "dismissed_misconduct"},
    )
    assert ended["reentry"]["flagged_for_review"] is True
    application = desk.call(
        "GET", f"/applications/{ended['reentry']['application_id']}", desk.officer
    )
    assert "misconduct" in application["steps"][0]["details"]["review_flag"]


def test_a_placement_report_starts_the_job_and_its_continuation(desk: Desk, tokens) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    woman, case_id = home["members"][0]["id"], home["case_id"]
    desk.on("2026-03-03")
    provider = desk.call(
        "POST", "/training/providers", desk.officer, {"name": "定远县职业技能培训中心"}
    )
    assert provider["id"] == 1  # the test token is bound to provider 1
    course = desk.call(
        "POST",
        "/training/courses",
        desk.counsellor,
        {
            "provider_id": 1,
            "trade": "electric_sewing",
            "title": "电动缝纫工培训班",
            "capacity": 20,
            "starts_on": "2026-03-09",
            "ends_on": "2026-04-17",
            "sessions_total": 30,
            "community": "东街社区",
            "cost_per_trainee": "1200.00",
            "subsidy_per_trainee": "800.00",
        },
    )
    desk.call(
        "POST",
        f"/training/courses/{course['id']}/enrolments",
        desk.counsellor,
        {"member_id": woman},
    )
    provider_headers = tokens.headers("training_provider")
    reports = [
        ("R-1", "enrolled", "2026-03-09", {}),
        ("R-2", "completed", "2026-04-17", {}),
        (
            "R-3",
            "placed",
            "2026-04-20",
            {
                "employer": "定远县华丰服装厂",
                "occupation": "6-05-01-03",
                "monthly_income": "700.00",
                "hours_per_week": 40,
            },
        ),
    ]
    desk.on("2026-04-21")
    body = {
        "reports": [
            {
                "report_id": rid,
                "course_id": course["id"],
                "member_id": woman,
                "kind": kind,
                "on": on,
                **extra,
            }
            for rid, kind, on, extra in reports
        ]
    }
    result = desk.call("POST", "/training/outcomes", provider_headers, body)
    assert result["accepted"] == 3, result
    case = desk.case(case_id)
    assert (case["status"], case["status_since"]) == ("continuation_full", "2026-04-20")
    replay = desk.call("POST", "/training/outcomes", provider_headers, body, status=200)
    assert replay["replayed"] == 3
    file = desk.call("GET", f"/activation/people/{woman}/file", desk.counsellor)
    kinds = [e["kind"] for e in file["entries"]]
    assert kinds.count("job_started") == 1  # the replay started no second job
    for expected in [
        "registered",
        "training_enrolled",
        "training_placed",
        "job_started",
        "continuation_full",
        "benefit_status",
    ]:
        assert expected in kinds
    assert file["national_id_masked"][4:14] == "*" * 10
    exported = desk.client.get(
        f"/api/v1/activation/people/{woman}/file.csv", headers=desk.counsellor
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("\ufeff日期,代码,事项,详情,参照")  # the reader's language
    assert "job_started" in exported.text
    assert "开始工作" in exported.text  # what happened, in words
    english = desk.client.get(
        f"/api/v1/activation/people/{woman}/file.csv",
        headers={**desk.counsellor, "Accept-Language": "en"},
    )
    assert english.text.startswith("\ufeffdate,code,what happened,details,reference")
    assert "Started work" in english.text


def test_bad_job_input_is_refused_and_writes_nothing(desk: Desk) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    woman = home["members"][0]["id"]
    desk.on("2026-03-10")
    bad = desk.call(
        "POST",
        "/activation/jobs",
        desk.counsellor,
        {
            "member_id": woman,
            "employer": "",
            "occupation": "x",
            "starts_on": "2026-02-30",
            "monthly_income": "-5",
        },
        status=422,
    )
    assert {p["field"] for p in bad["problems"]} >= {"employer", "starts_on", "monthly_income"}
    future = desk.call(
        "POST",
        "/activation/jobs",
        desk.counsellor,
        {
            "member_id": woman,
            "employer": "x",
            "occupation": "x",
            "starts_on": "2026-04-01",
            "monthly_income": "100",
        },
        status=422,
    )
    assert future["problems"][0]["rule"] == "not-in-future"
    job = start_job(desk, woman, "2026-03-10", "650.00")
    backwards = desk.call(
        "POST",
        f"/activation/jobs/{job['id']}/end",
        desk.counsellor,
        {"ended_on": "2026-03-09", "reason": "quit"},
        status=422,
    )
    assert backwards["problems"][0]["rule"] == "date-order"
    assert desk.call("GET", f"/activation/jobs/{job['id']}", desk.counsellor)["ends_on"] is None


def test_re_review_due_makes_one_task(desk: Desk) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    assert desk.case(home["case_id"])["next_review_on"] == "2026-09-02"
    assert desk.sweep("2026-09-01")["re_reviews_due"] == 0
    assert desk.sweep("2026-09-02")["re_reviews_due"] == 1
    assert desk.sweep("2026-09-03")["re_reviews_due"] == 0  # once per due date
    tasks = desk.call("GET", "/activation/tasks?kind=re_review", desk.counsellor)
    assert [(t["member_id"], t["due_on"]) for t in tasks] == [
        (home["members"][0]["id"], "2026-09-02")
    ]
