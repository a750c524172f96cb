"""The benefit office's desk and the counsellor's workbench through the pages (TestClient):
the procedure step by step with every approval problem shown at once, the status look-up,
registration, job start and end, Today's list, payment runs over a stand-in port, and a
label on every input of every page."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import text

from benefits.payment_review import NO_LINE_CLOSED, ZERO_SANCTION, Reason, RunExplanation
from support import Desk, PageClient, create_household, household, make_account, member, move_to
from workbridge.pages.payments import RunView


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def officer_pages(client, engine, username: str = "li.officer", **fields) -> PageClient:
    make_account(engine, username, "benefit_officer", language="en", **fields)
    pages = PageClient(client)
    pages.sign_in(username)
    return pages


def test_an_application_through_the_procedure_with_every_problem_listed(
    client, engine, clock, desk
) -> None:
    move_to(clock, "2026-02-20")
    mother = member("刘丽", incomes=[("wages", "100.00")])
    created = create_household(client, desk.officer, household(mother))
    response = client.post(
        "/api/v1/applications",
        json={"household_id": created["id"], "category_requested": "C", "documents": []},
        headers=desk.officer,
    )
    app_id = response.json()["id"]
    pages = officer_pages(client, engine)
    base = f"/app/applications/{app_id}"
    first_look = pages.get(base).text
    assert "Record the home investigation" in first_look
    assert 'name="incomes_confirmed" checked' not in first_look  # the officer ticks it, or not

    bad = pages.post(f"{base}/investigation", {"visited_on": "2026-03-30", "visitors": ""})
    assert bad.status_code == 422
    # both problems at once, each beside its own field, and named in words in the list above
    beside = re.findall(r'<div class="field invalid">.*?name="(\w+)"', bad.text, re.S)
    assert {"visitors", "findings"} <= set(beside), beside
    assert 'aria-invalid="true"' in bad.text and "<strong>Findings</strong>:" in bad.text

    def on(day: str) -> None:
        move_to(clock, day)
        pages.sign_in("li.officer")  # sessions last a working day: a new day, a new sign-in

    on("2026-02-22")
    ok = pages.post(
        f"{base}/investigation",
        {"visited_on": "2026-02-22", "visitors": "李明, 赵芳", "findings": "属实"},
    )
    assert ok.status_code == 303
    on("2026-02-25")
    appraisal = pages.get(base).text
    assert 'name="passed" value="yes" required >' in appraisal  # neither outcome chosen
    unanswered = pages.post(
        f"{base}/appraisal", {"held_on": "2026-02-25", "votes_for": "7", "votes_against": "0"}
    )
    assert unanswered.status_code == 422  # no outcome is not a pass
    assert (
        pages.post(
            f"{base}/appraisal",
            {"held_on": "2026-02-25", "votes_for": "7", "votes_against": "0", "passed": "yes"},
        ).status_code
        == 303
    )
    on("2026-02-26")
    assert (
        pages.post(
            f"{base}/public-notice", {"starts_on": "2026-02-26", "place": "社区公开栏"}
        ).status_code
        == 303
    )
    on("2026-02-27")
    assert (
        pages.post(
            f"{base}/objection", {"received_on": "2026-02-27", "text": "有未申报的收入"}
        ).status_code
        == 303
    )
    page = pages.get(base)
    assert "What stands in the way of approval today" in page.text
    # The timeline names the officer who recorded each step, not the account's label.
    assert "user:" not in page.text and page.text.count("li.officer") >= 3
    assert 'data-confirm="Approve the application? A case opens' in page.text
    # what approving today would pay is shown before the officer decides; 类别 is a choice
    # (one member, 100.00 income against the 150.00 standard: category C pays the gap, 50.00)
    assert "If approved today: CN¥50.00 a month" in page.text
    itemised = page.text.split("How the amount comes about", 1)[1].split("</table>", 1)[0]
    assert itemised.count("<tr>") >= 3  # each line of the sum, not only its result
    assert '<select id="decision-category" name="category"' in page.text
    assert '<option value="C" selected>' in page.text
    early = pages.post(f"{base}/decision", {"approve": "yes", "category": "C"})
    assert early.status_code == 422
    assert early.headers["content-type"].startswith("text/html")  # a page, not text
    # each problem carries its rule code for support and tools, not as words to read
    problems = re.findall(r'<li data-rule="([^"]+)"', early.text)
    # every problem at once: documents, the notice still running, the open objection, and
    # activation's hook (the mother must register as a job seeker first)
    assert {"documents-complete", "job-seeker-registration"} <= set(problems)
    assert len(problems) >= 4
    with engine.connect() as connection:
        state = connection.execute(
            text("SELECT state FROM application WHERE id = :id"), {"id": app_id}
        ).scalar_one()
    assert state == "public_notice"  # nothing written

    rejected = pages.post(f"{base}/decision", {"approve": "no", "reason": "不"})
    assert rejected.status_code == 422 and "written-reason" in rejected.text
    done = pages.post(f"{base}/decision", {"approve": "no", "reason": "核实后收入高于标准"})
    assert done.status_code == 303
    assert "rejected" in pages.get(base).text


def test_the_status_look_up(client, engine, desk) -> None:
    home = desk.household_with_case(member("王秀英", incomes=[("wages", "100.00")]))
    with engine.connect() as connection:
        number = connection.execute(
            text("SELECT national_id FROM member WHERE id = :id"), {"id": home["members"][0]["id"]}
        ).scalar_one()
    pages = officer_pages(client, engine)
    found = pages.get("/app/status", params={"national_id": number})
    assert found.status_code == 200 and "王秀英" in found.text and "CN¥50.00" in found.text
    wrong_check = "1" if number[-1] == "0" else "0"  # never the number's own check character
    bad = pages.get("/app/status", params={"national_id": number[:-1] + wrong_check})
    assert bad.status_code == 422 and "check character" in bad.text
    unknown_id = "11010519491231002X"
    assert pages.get("/app/status", params={"national_id": unknown_id}).status_code == 404


def test_registration_job_start_and_end_from_the_person_page(client, engine, desk) -> None:
    man = member("张建国", birth=datetime(1985, 1, 1).date(), sex="male", incomes=[("wages", "50")])
    home = desk.household_with_case(man)
    person = home["members"][0]["id"]
    make_account(engine, "wang.counsellor", "counsellor", office="定城镇", language="en")
    pages = PageClient(client)
    pages.sign_in("wang.counsellor")
    url = f"/app/people/{person}"
    bad = pages.post(
        f"{url}/registration",
        {"office": "", "hours_per_week": "0", "max_commute_km": "10", "shifts": ["day"]},
    )
    assert bad.status_code == 422 and "office" in bad.text and "hours_per_week" in bad.text
    saved = pages.post(
        f"{url}/registration",
        {
            "office": "东街社区劳动保障服务站",
            "hours_per_week": "40",
            "max_commute_km": "8",
            "shifts": ["day", "evening"],
            "skills": "保洁，收银",
            "reservation_wage": "1500",
        },
    )
    assert saved.status_code == 303
    person_out = client.get(f"/api/v1/activation/people/{person}", headers=desk.counsellor).json()
    assert person_out["registration"]["profile"]["shifts"] == ["day", "evening"]
    assert person_out["registration"]["profile"]["skills"] == ["保洁", "收银"]
    # Why the duty applies: in the account's language on the page, in Chinese from the API.
    age = person_out["duty"]["age"]
    assert person_out["duty"]["reason"].startswith(f"{age} 岁，未满该性别的")
    person_page = pages.get(url).text
    assert f"aged {age}, under" in person_page
    assert "+86 139 1234 5678" in person_page  # the phone as an English reader writes it

    desk.on("2026-03-10")
    pages.sign_in("wang.counsellor")
    started = pages.post(
        f"{url}/jobs",
        {
            "employer": "华丰服装厂",
            "occupation": "6-05-01-03",
            "starts_on": "2026-03-10",
            "monthly_income": "650",
        },
    )
    assert started.status_code == 303
    case = desk.case(home["case_id"])
    assert case["status"] == "continuation_full"
    page = pages.get(url)
    assert "华丰服装厂" in page.text and "Record the end of this job" in page.text
    job_id = re.search(r'action="/app/jobs/(\d+)/end"', page.text).group(1)
    desk.on("2026-04-20")
    pages.sign_in("wang.counsellor")
    ended = pages.post(f"/app/jobs/{job_id}/end", {"ended_on": "2026-04-18", "reason": "laid_off"})
    assert ended.status_code == 303
    assert desk.case(home["case_id"])["status"] == "active"
    assert "Job ended" in pages.get(url).text  # the employment file has it


def test_today_lists_what_is_due_in_my_office_only(client, engine, clock, desk) -> None:
    move_to(clock, "2026-02-20")
    east = create_household(client, desk.officer, household(member("东街甲")))
    west = create_household(client, desk.officer, household(member("西街乙"), community="西街社区"))
    for home in (east, west):
        client.post(
            "/api/v1/applications",
            json={"household_id": home["id"], "category_requested": "C", "documents": []},
            headers=desk.officer,
        )
    make_account(engine, "east.counsellor", "counsellor", office="东街社区", language="en")
    pages = PageClient(client)
    pages.sign_in("east.counsellor")
    today = pages.get("/app/today")
    assert "东街甲" in today.text and "西街乙" not in today.text
    assert "Must register, not yet registered" in today.text
    member_id = east["members"][0]["id"]
    assert f'href="/app/people/{member_id}#registration"' in today.text
    rows = [row for row in today.text.split("<tr") if "东街甲" in row]
    assert len(rows) == 1, rows  # the duty's line, not again as its "register" task
    assert "due today" in rows[0]
    move_to(clock, "2026-02-25")
    pages.sign_in("east.counsellor")
    later = [row for row in pages.get("/app/today").text.split("<tr") if "东街甲" in row]
    assert len(later) == 1 and "5 days overdue" in later[0]


class FakeRuns:
    """A stand-in for benefits.payments: a run that finishes after two looks."""

    def __init__(self) -> None:
        self.looks = 0
        self.view = RunView(
            id=7,
            period="2026-03",
            state="in_progress",
            cases_total=10,
            cases_done=4,
            amount=Decimal("1234.50"),
            started_at=datetime(2026, 3, 25, 1, tzinfo=UTC),
            finished_at=None,
            has_bank_file=False,
        )

    def start(self, ctx, period):
        from kernel.errors import InvalidInput, Problem

        if period != "2026-03":
            raise InvalidInput(Problem("period", "schema", "not a month to pay"))
        return self.view

    def runs(self, ctx):
        return [self.view]

    def run(self, ctx, run_id):
        self.looks += 1
        if self.looks >= 2:
            self.view = replace(self.view, state="completed", cases_done=10)
        return self.view

    def sign_off(self, ctx, run_id):
        self.view = replace(
            self.view,
            has_bank_file=True,
            signed_off_by=ctx.actor.label,
            signed_off_at=datetime(2026, 3, 25, 3, tzinfo=UTC),
        )
        return self.view

    def bank_file(self, ctx, run_id):
        return "dibao-2026-03.txt", b"6228480010012345678,50.00\n"

    def explain(self, ctx, run_id):
        """Ten cases: one closed, two lines of zero under a sanction, one paid without an
        account, six to the bank."""
        return RunExplanation(
            period="2026-03",
            previous_period="2026-02",
            previous_run=True,
            cases_total=10,
            unused_ids=0,
            lines=9,
            no_line=1,
            no_line_reasons=(Reason(NO_LINE_CLOSED, 1),),
            zero_lines=2,
            zero_reasons=(Reason(ZERO_SANCTION, 2),),
            paid_lines=7,
            amount=Decimal("1234.50"),
            without_account=1,
            without_account_amount=Decimal("100.00"),
            bank_rows=6,
            bank_amount=Decimal("1134.50"),
            new=1,
            new_amount=Decimal("150.00"),
            stopped=2,
            stopped_amount=Decimal("300.00"),
            changed=1,
            changed_by=Decimal("-25.50"),
            unchanged=5,
            paid_last_month=8,
            agrees_with_run=True,
        )


class OlderRuns(FakeRuns):
    """A port from before runs explained themselves."""

    explain = None


def test_payment_run_pages_over_the_port(app, client, engine) -> None:
    pages = officer_pages(client, engine)
    app.state.payment_runs = FakeRuns()
    try:
        assert pages.post("/app/payments/runs", {"period": "1999-13"}).status_code == 422
        started = pages.post("/app/payments/runs", {"period": "2026-03"})
        assert started.headers["location"] == "/app/payments/runs/7"
        first = pages.get("/app/payments/runs/7")
        assert 'hx-trigger="every 2s"' in first.text and "in progress" in first.text
        assert "Payment run for Mar 2026" in first.text  # the month as a reader writes it
        polled = pages.get("/app/payments/runs/7/progress", headers={"HX-Request": "true"})
        assert "every 2s" not in polled.text and "<html" not in polled.text  # a fragment
        # finished, but the file waits for a second officer who has checked the totals
        assert "Download the bank file" not in polled.text
        assert "Sign off and release the bank file" in polled.text
        # the figures the second officer checks, from the port's explanation
        assert (
            'data-figure="cases">10<' in polled.text and 'data-figure="bank_rows">6<' in polled.text
        )
        assert "suspended by a sanction" in polled.text and 'data-check="adds-up"' in polled.text
        unticked = pages.post("/app/payments/runs/7/sign-off", {})
        assert unticked.status_code == 422 and 'data-rule="totals-checked"' in unticked.text
        assert "Download the bank file" not in unticked.text
        signed = pages.post("/app/payments/runs/7/sign-off", {"checked": "yes"})
        assert signed.headers["location"] == "/app/payments/runs/7"
        assert "Download the bank file" in pages.get("/app/payments/runs/7").text
        download = pages.get("/app/payments/runs/7/bank-file")
        assert download.content.startswith(b"6228480010012345678")
        assert "dibao-2026-03.txt" in download.headers["content-disposition"]
    finally:
        del app.state.payment_runs


def test_a_port_that_cannot_explain_still_shows_the_run(app, client, engine) -> None:
    pages = officer_pages(client, engine)
    app.state.payment_runs = OlderRuns()
    try:
        pages.get("/app/payments/runs/7")
        finished = pages.get("/app/payments/runs/7")
        assert finished.status_code == 200 and "Sign off and release the bank file" in finished.text
        assert "From the cases to the bank file" not in finished.text
    finally:
        del app.state.payment_runs


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labelled: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self.open_labels = 0

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.labelled.add(a["for"] or "")
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.inputs.append({**a, "_wrapped": "yes" if self.open_labels else None})

    def handle_endtag(self, tag) -> None:
        if tag == "label":
            self.open_labels -= 1


def unlabelled(html: str) -> list[dict]:
    parser = _Inputs()
    parser.feed(html)
    return [
        i
        for i in parser.inputs
        if not i["_wrapped"] and i.get("id") not in parser.labelled and not i.get("aria-label")
    ]


def test_every_input_on_every_page_has_a_label(client, engine, desk, tokens) -> None:
    home = desk.household_with_case(member("刘丽", incomes=[("wages", "100.00")]))
    person = home["members"][0]["id"]
    desk.decline(person, "2026-03-05", "2026-03-06")
    desk.decline(person, "2026-03-07", "2026-03-08", title="收银员")
    referral = desk.refer(person, "2026-03-09", title="理货员")
    desk.answer(referral["id"], "2026-03-09", "declined")
    client.post("/api/v1/training/providers", json={"name": "培训学校"}, headers=desk.counsellor)
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
        {"member_id": person},
    )
    trainee = f"/app/training/courses/{course['id']}/trainees/{person}"
    make_account(engine, "c.counsellor", "counsellor")
    make_account(engine, "a.admin", "admin")
    make_account(engine, "p.school", "training_provider", provider_id=1)
    officer = officer_pages(client, engine)
    pages_seen = 0
    for path in [
        "/app/applications",
        "/app/applications/1",
        "/app/sanctions",
        "/app/sanctions/1",
        "/app/status",
        "/app/payments",
        "/app/dashboard",
    ]:
        page = officer.get(path)
        assert page.status_code == 200, path
        assert unlabelled(page.text) == [], path
        pages_seen += 1
    officer.post("/app/logout", {})
    for username, paths in [
        ("c.counsellor", ["/app/today", "/app/people?q=刘", f"/app/people/{person}"]),
        ("a.admin", ["/app/admin/accounts"]),
        (
            "p.school",
            [
                "/app/training",
                f"/app/training/courses/{course['id']}",
                trainee,
                "/app/training/outcomes",
            ],
        ),
    ]:
        viewer = PageClient(client)
        viewer.sign_in(username)
        for path in paths:
            page = viewer.get(path)
            assert page.status_code == 200, path
            assert unlabelled(page.text) == [], path
            assert "onclick" not in page.text or path.endswith("/notice")
            pages_seen += 1
        if username == "p.school":  # the outcome form shown again with its problems
            again = viewer.post(trainee, {})
            assert again.status_code == 422 and unlabelled(again.text) == []
        viewer.post("/app/logout", {})
    assert pages_seen == 15
    assert unlabelled(client.get("/app/login").text) == []


def test_matches_with_no_open_vacancy_are_empty_not_an_error(client, desk) -> None:
    home = desk.household_with_case(member("刘丽", incomes=[("wages", "100.00")]))
    person = home["members"][0]["id"]
    response = client.get(f"/api/v1/activation/people/{person}/matches", headers=desk.counsellor)
    assert response.status_code == 200 and response.json()["vacancies"] == []


def test_a_real_payment_run_from_the_pages_to_the_bank_file(client, engine, clock, desk) -> None:
    """The pages start the same use case the API does; the run goes on in the service."""
    import time

    home = desk.household_with_case(member("刘丽", incomes=[("wages", "100.00")]))
    move_to(clock, "2026-03-25")
    pages = officer_pages(client, engine)
    started = pages.post("/app/payments/runs", {"period": "2026-03"})
    assert started.status_code == 303, started.text
    run_path = started.headers["location"]
    deadline = time.monotonic() + 30
    while "signed the run off" not in (fragment := pages.get(f"{run_path}/progress").text):
        assert time.monotonic() < deadline, fragment
        time.sleep(0.05)
    # the officer who started the run sees it wait for another, and cannot sign it
    assert "another benefit officer signs it off" in fragment
    assert pages.get(f"{run_path}/bank-file").status_code == 409
    own = pages.post(f"{run_path}/sign-off", {"checked": "yes"})
    assert own.status_code == 422 and 'data-rule="four-eyes"' in own.text
    second = officer_pages(client, engine, "zhao.officer")
    assert second.post(f"{run_path}/sign-off", {"checked": "yes"}).status_code == 303
    assert "Signed off by" in second.get(run_path).text
    pages.sign_in("li.officer")  # one browser, the first officer again
    download = pages.get(f"{run_path}/bank-file")
    assert download.status_code == 200
    text = download.content.decode("utf-8-sig")
    assert "6228480010012345678" in text and f"WB-2026-03-{home['case_id']}" in text
    again = pages.post("/app/payments/runs", {"period": "2026-03"})
    assert again.headers["location"] == run_path  # a paid month is not paid twice


def test_decision_letters_for_approval_and_rejection(client, engine, clock, desk) -> None:
    """The household is told in writing: an approval with its amount and each line of how it
    comes about, a rejection with the officer's reason; both with the way to challenge it."""
    home = desk.household_with_case(member("陈芳", incomes=[("wages", "100.00")]))
    with engine.connect() as connection:
        application_id = connection.execute(
            text("SELECT application_id FROM benefit_case WHERE id = :id"), {"id": home["case_id"]}
        ).scalar_one()
    pages = officer_pages(client, engine)
    assert (
        f"/app/applications/{application_id}/letter"
        in pages.get(f"/app/applications/{application_id}").text
    )
    letter = pages.get(f"/app/applications/{application_id}/letter").text
    assert "Notice of approval" in letter and "陈芳" in letter and "CN¥50.00" in letter
    assert "How the amount comes about" in letter and "per-capita" in letter.lower()
    assert "administrative reconsideration within 60 days" in letter
    with engine.connect() as connection:
        number = connection.execute(
            text("SELECT national_id FROM member WHERE id = :id"), {"id": home["members"][0]["id"]}
        ).scalar_one()
    assert number not in letter and number[-4:] in letter  # masked

    refused = create_household(client, desk.officer, household(member("赵强")))
    app_id = client.post(
        "/api/v1/applications",
        json={"household_id": refused["id"], "category_requested": "C", "documents": []},
        headers=desk.officer,
    ).json()["id"]
    pages.sign_in("li.officer")
    assert pages.get(f"/app/applications/{app_id}/letter").status_code == 404  # undecided
    base = f"/app/applications/{app_id}"
    pages.get(base)
    done = pages.post(f"{base}/decision", {"approve": "no", "reason": "核实后收入高于标准"})
    assert done.status_code == 303
    letter = pages.get(f"{base}/letter").text
    assert "Notice of refusal" in letter and "核实后收入高于标准" in letter
    zh = PageClient(client)
    make_account(engine, "zh.officer", "benefit_officer")
    zh.sign_in("zh.officer")
    assert "不予批准通知书" in zh.get(f"{base}/letter").text
