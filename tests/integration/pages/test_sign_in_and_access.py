"""Signing in to the pages, the lock-out rule, CSRF, and who may see what (TestClient)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from kernel.models import AuditRecord, UserAccount, WebSession
from support import PASSWORD, Desk, PageClient, make_account, member


@pytest.fixture
def pages(client) -> PageClient:
    return PageClient(client)


def test_sign_in_lands_on_the_role_page_with_a_safe_cookie(engine, pages) -> None:
    make_account(engine, "wang.counsellor", "counsellor", office="东街社区")
    response = pages.sign_in("wang.counsellor")
    assert response.status_code == 303
    assert response.headers["location"] == "/app/today"
    cookie = response.headers["set-cookie"]
    assert "wb_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    today = pages.get("/app/today")
    assert today.status_code == 200
    assert "wang.counsellor" in today.text
    with engine.connect() as connection:
        stored = connection.execute(select(WebSession.session_hash)).scalar_one()
    raw = cookie.split("wb_session=")[1].split(";")[0]
    assert stored != raw and len(stored) == 64  # only a hash of the id is kept


def test_without_a_session_pages_send_people_to_sign_in(pages) -> None:
    response = pages.client.get("/app/today", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/app/login?next=%2Fapp%2Ftoday")
    htmx = pages.client.get("/app/today", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["hx-redirect"].startswith("/app/login")


def test_wrong_password_is_refused_and_counted(engine, pages) -> None:
    make_account(engine, "li.officer", "benefit_officer")
    response = pages.sign_in("li.officer", "not the password")
    assert response.status_code == 401
    assert "wb_session" not in response.headers.get("set-cookie", "")
    unknown = pages.sign_in("nobody.here", "whatever1234")
    assert unknown.status_code == 401
    with engine.connect() as connection:
        failed = connection.execute(
            select(UserAccount.failed_attempts).where(UserAccount.username == "li.officer")
        ).scalar_one()
    assert failed == 1


def test_five_failures_lock_for_fifteen_minutes_even_the_right_password(
    engine, pages, clock
) -> None:
    make_account(engine, "zhao.officer", "benefit_officer")
    for attempt in range(4):
        assert pages.sign_in("zhao.officer", f"wrong-{attempt}").status_code == 401
    fifth = pages.sign_in("zhao.officer", "wrong-5")
    assert fifth.status_code == 423
    assert pages.sign_in("zhao.officer", PASSWORD).status_code == 423
    clock.set(clock.now() + timedelta(minutes=14, seconds=59))
    assert pages.sign_in("zhao.officer", PASSWORD).status_code == 423
    clock.set(clock.now() + timedelta(seconds=1))
    assert pages.sign_in("zhao.officer", PASSWORD).status_code == 303


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(
    engine, client, tokens, clock, pages
) -> None:
    desk = Desk(client, tokens, clock)
    home = desk.household_with_case(member("刘丽", incomes=[("wages", "100.00")]))
    person = home["members"][0]["id"]
    vacancy = desk.vacancy()["id"]
    make_account(engine, "chen.counsellor", "counsellor")
    pages.sign_in("chen.counsellor")

    def referrals() -> int:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM referral")).scalar_one()

    before = referrals()
    missing = pages.post(f"/app/people/{person}/referrals", {"vacancy_id": vacancy}, csrf=False)
    assert missing.status_code == 403
    forged = pages.post(
        f"/app/people/{person}/referrals",
        {"vacancy_id": vacancy, "csrf_token": "forged"},
        csrf=False,
    )
    assert forged.status_code == 403
    assert referrals() == before
    accepted = pages.post(f"/app/people/{person}/referrals", {"vacancy_id": vacancy})
    assert accepted.status_code == 303
    assert referrals() == before + 1
    by_header = pages.client.post(
        f"/app/people/{person}/referrals",
        data={"vacancy_id": desk.vacancy(title="收银员")["id"]},
        headers={"HX-Request": "true", "X-CSRF-Token": pages.csrf},
    )
    assert by_header.status_code == 200 and "推荐码" in by_header.text
    assert referrals() == before + 2


def test_the_sign_in_form_itself_needs_its_token(engine, client) -> None:
    make_account(engine, "sun.admin", "admin")
    response = client.post(
        "/app/login", data={"username": "sun.admin", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


def test_sign_out_ends_the_session_server_side(engine, pages) -> None:
    make_account(engine, "he.counsellor", "counsellor")
    pages.sign_in("he.counsellor")
    cookie = pages.client.cookies.get("wb_session")
    assert pages.post("/app/logout", {}).status_code == 303
    pages.client.cookies.set("wb_session", cookie)  # a copied cookie is worth nothing now
    assert pages.client.get("/app/today", follow_redirects=False).status_code == 303


def test_a_counsellor_sees_only_their_office(engine, client, tokens, clock, pages) -> None:
    desk = Desk(client, tokens, clock)
    east = desk.household_with_case(member("东街甲", incomes=[("wages", "100.00")]))
    desk.on("2026-02-20")
    west_body = {
        "scheme": "urban",
        "address": "西大街3号",
        "community": "西街社区",
        "township": "定城镇",
        "members": [member("西街乙")],
    }
    west = client.post("/api/v1/households", json=west_body, headers=desk.officer).json()
    make_account(engine, "east.counsellor", "counsellor", office="东街社区")
    pages.sign_in("east.counsellor")
    found = pages.get("/app/people", params={"q": "街"})
    assert "东街甲" in found.text and "西街乙" not in found.text
    assert pages.get(f"/app/people/{east['members'][0]['id']}").status_code == 200
    assert pages.get(f"/app/people/{west['members'][0]['id']}").status_code == 404


def test_a_full_id_finds_the_person_and_lists_mask_it(engine, client, tokens, clock, pages) -> None:
    desk = Desk(client, tokens, clock)
    home = desk.household_with_case(member("王秀英", incomes=[("wages", "100.00")]))
    with engine.connect() as connection:
        number = connection.execute(
            text("SELECT national_id FROM member WHERE id = :id"), {"id": home["members"][0]["id"]}
        ).scalar_one()
    make_account(engine, "qian.counsellor", "counsellor")
    pages.sign_in("qian.counsellor")
    found = pages.get("/app/people", params={"q": number})
    assert "王秀英" in found.text
    results = found.text.split("<table", 1)[1]  # the search box keeps what was typed
    assert number not in results and number[:4] + "**********" + number[-4:] in results


def test_a_training_provider_cannot_open_the_counsellor_workbench(engine, client, tokens) -> None:
    client.post(
        "/api/v1/training/providers",
        json={"name": "定远县职业培训学校"},
        headers=tokens.headers("counsellor"),
    )
    make_account(engine, "school", "training_provider", provider_id=1)
    pages = PageClient(client)
    assert pages.sign_in("school").headers["location"] == "/app/training"
    assert pages.get("/app/today").status_code == 403
    assert pages.get("/app/people/1").status_code == 403
    assert pages.get("/app/sanctions").status_code == 403
    assert pages.get("/app/training").status_code == 200


def test_an_admin_creates_accounts_with_role_office_and_provider(engine, pages) -> None:
    make_account(engine, "root.admin", "admin")
    pages.sign_in("root.admin")
    created = pages.post(
        "/app/admin/accounts",
        {
            "username": "new.counsellor",
            "display_name": "新同事",
            "password": "long enough pw",
            "role": "counsellor",
            "office": "南门社区",
            "language": "en",
        },
    )
    assert created.status_code == 303
    bad = pages.post(
        "/app/admin/accounts",
        {"username": "x", "password": "short", "role": "training_provider", "provider_id": "99"},
    )
    assert bad.status_code == 422
    assert "没有编号为 99 的培训机构" in bad.text and "至少 10 个字符" in bad.text
    assert "3 至 80 个字母或数字" in bad.text  # every problem at once, in the admin's language
    with engine.connect() as connection:
        row = connection.execute(
            select(UserAccount.role, UserAccount.office, UserAccount.language).where(
                UserAccount.username == "new.counsellor"
            )
        ).one()
        audits = connection.execute(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.entity == "user_account")
        ).scalar_one()
    assert tuple(row) == ("counsellor", "南门社区", "en")
    assert audits == 1
    assert pages.sign_in("new.counsellor", "long enough pw").status_code == 303


def test_language_is_stored_on_the_account(engine, pages) -> None:
    make_account(engine, "lang.officer", "benefit_officer")
    pages.sign_in("lang.officer")
    assert "申请" in pages.get("/app/applications").text
    assert pages.post("/app/language", {"language": "en", "back": "/app/status"}).status_code == 303
    assert "Status look-up" in pages.get("/app/status").text
    with engine.connect() as connection:
        language = connection.execute(
            select(UserAccount.language).where(UserAccount.username == "lang.officer")
        ).scalar_one()
    assert language == "en"


def test_pages_are_not_in_the_openapi_schema_and_the_api_keeps_its_tokens(client) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert not [p for p in schema["paths"] if p.startswith("/app") or p == "/"]
    assert client.get("/", follow_redirects=False).headers["location"] == "/app"
    assert client.get("/api/v1/policy").status_code == 401


def test_a_session_expires_after_a_working_day(engine, pages, clock) -> None:
    make_account(engine, "day.counsellor", "counsellor")
    pages.sign_in("day.counsellor")
    clock.set(clock.now() + timedelta(hours=7, minutes=59))
    assert pages.client.get("/app/today", follow_redirects=False).status_code == 200
    clock.set(clock.now() + timedelta(minutes=1))
    assert pages.client.get("/app/today", follow_redirects=False).status_code == 303


def test_a_counsellor_cannot_act_on_another_offices_person(
    engine, client, tokens, clock, pages
) -> None:
    desk = Desk(client, tokens, clock)
    home = desk.household_with_case(member("刘丽", incomes=[("wages", "100.00")]))
    person = home["members"][0]["id"]
    vacancy = desk.vacancy()["id"]
    make_account(engine, "west.counsellor", "counsellor", office="西街社区")
    pages.sign_in("west.counsellor")
    refused = pages.post(f"/app/people/{person}/referrals", {"vacancy_id": vacancy})
    assert refused.status_code == 404
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM referral")).scalar_one() == 0
