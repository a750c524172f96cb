"""Each office sees its own: generated from the app's route table, every API route × every
staff role × own office and another office.

Two offices hold the same kinds of records — households, cases, applications with objections,
referrals, refusals, sanctions, appeals, jobs, decisions, trainees — whose people are named
甲… in 定城镇 and 乙… in 炉桥镇. An account bound to 定城镇 must get 404 for every 乙 record it
names and write nothing; never read a 乙 name in any answer; and be refused county-wide work.
A county-wide account reaching the same 乙 records proves the 404s come from the office rule,
not from records that do not exist. A route that declares no access rule, or a person route
without a sample request here, fails the suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import Engine, inspect, text

from kernel.auth import Role, issue_token
from kernel.db import session_scope
from kernel.visibility import Access
from support import (
    Desk,
    PageClient,
    approve,
    create_household,
    household,
    make_account,
    member,
    walk_to_notice,
)

OWN, OTHER = "定城镇", "炉桥镇"
OFFICES = {
    OWN: {"prefix": "甲", "community": "东街社区", "address": "定城镇东大街12号"},
    OTHER: {"prefix": "乙", "community": "炉桥社区", "address": "炉桥镇南街3号"},
}
MARKER = "乙"  # every name in the other office starts with it; nothing in the own office has it
STAFF_ROLES = ("counsellor", "benefit_officer")
COURSE = {
    "trade": "property_management",
    "title": "物业保洁培训",
    "capacity": 30,
    "starts_on": "2026-05-04",
    "ends_on": "2026-05-29",
    "sessions_total": 20,
    "community": "东街社区",
    "cost_per_trainee": "1200.00",
    "subsidy_per_trainee": "1000.00",
}
NOT_ROUTES = ("/schema", "/static")  # the OpenAPI document and the vendored files


def routes(app: Litestar) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.routes:
        if route.path.startswith(NOT_ROUTES):
            continue
        for method, (handler, *_) in getattr(route, "route_handler_map", {}).items():
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path, handler))
    return found


def test_every_route_declares_what_it_touches(app: Litestar) -> None:
    undeclared = [
        f"{method} {path}"
        for method, path, handler in routes(app)
        if not isinstance(handler.opt.get("access"), Access)
    ]
    assert not undeclared, "\n".join(undeclared)


def allowed_roles(handler: Any) -> set[str]:
    rule = handler.opt.get("roles")
    return {role.value for role in rule.roles} if rule is not None else set()


def test_every_token_route_admits_only_its_roles(app: Litestar, client, tokens) -> None:
    wrong = []
    for method, path, handler in routes(app):
        if not path.startswith("/api/") or handler.opt["access"] is Access.PUBLIC:
            continue
        allowed = allowed_roles(handler)
        if not allowed:
            wrong.append(f"{method} {path}: no role guard")
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        if client.request(method, url).status_code != 401:
            wrong.append(f"{method} {path}: answers without a token")
        for role in ("counsellor", "benefit_officer", "training_provider", "admin"):
            status = client.request(method, url, headers=tokens.headers(role), json={}).status_code
            admitted = status not in (401, 403)
            if admitted != (role in allowed):
                wrong.append(f"{method} {path}: {role} got {status}")
    assert not wrong, "\n".join(wrong)


# --- two offices ---------------------------------------------------------------------------


Ids = dict[str, Any]


@dataclass
class Office:
    name: str
    ids: dict[str, Any]


def build_office(desk: Desk, client: Any, officer: dict[str, str], name: str) -> Office:
    place = OFFICES[name]
    p = place["prefix"]

    def located(*people: dict[str, Any]) -> dict[str, Any]:
        return household(
            *people, community=place["community"], township=name, address=place["address"]
        )

    # an application still in its procedure, with an objection to its public notice
    desk.on("2026-02-20")
    pending = create_household(
        client,
        officer,
        located(
            member(f"{p}陈梅", birth=date(1970, 5, 1), sex="female"),
            member(f"{p}陈军", birth=date(1994, 6, 1), sex="male", relation="child"),
        ),
    )
    application = walk_to_notice(client, officer, pending["id"], desk.clock)
    desk.on("2026-02-27")
    objection = desk.call(
        "POST",
        f"/applications/{application}/objections",
        officer,
        {"received_on": "2026-02-27", "text": f"{p}邻居反映有收入", "objector": f"{p}邻居"},
    )
    # a household with a case: a mother refused twice and was stopped, and appealed; a man in
    # work; an offer still open
    desk.on("2026-02-20")
    home_body = located(
        member(f"{p}刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100.00")]),
        member(f"{p}张强", birth=date(1985, 3, 1), sex="male", relation="spouse"),
    )
    home = desk.call("POST", "/households", officer, home_body)
    decided = approve(
        client,
        officer,
        walk_to_notice(client, officer, home["id"], desk.clock),
        desk.clock,
        counsellor=desk.counsellor,
    )
    woman, man = (m["id"] for m in home["members"])
    desk.decline(woman, "2026-03-05", "2026-03-09", community=place["community"])
    desk.decline(woman, "2026-04-01", "2026-04-03", community=place["community"])
    sanction = next(
        s
        for s in desk.call("GET", "/activation/sanctions?state=proposed", desk.officer)
        if s["member_id"] == woman
    )["id"]
    desk.on("2026-04-06")
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction}/decision",
        desk.officer2,
        {"confirm": True, "reason": "两次无正当理由拒绝"},
    )
    desk.on("2026-04-07")
    appeal = desk.call(
        "POST",
        f"/activation/sanctions/{sanction}/appeals",
        desk.counsellor,
        {"grounds": f"{p}刘丽: 第二个岗位为夜班"},
    )["appeals"][0]["id"]
    open_offer = desk.refer(man, "2026-04-04", community=place["community"])
    desk.on("2026-04-08")
    job = desk.call(
        "POST",
        "/activation/jobs",
        desk.counsellor,
        {
            "member_id": man,
            "employer": f"{p}物流公司",
            "occupation": "装卸工",
            "starts_on": "2026-04-08",
            "monthly_income": "900.00",
        },
    )
    return Office(
        name,
        {
            "household_id": home["id"],
            "member_id": woman,
            "man_id": man,
            "national_id": home_body["members"][0]["national_id"],
            "case_id": decided["case_id"],
            "application_id": application,
            "objection_id": objection["objections"][-1]["id"],
            "referral_id": open_offer["id"],
            "sanction_id": sanction,
            "appeal_id": appeal,
            "job_id": job["id"],
        },
    )


@dataclass
class World:
    own: Office
    other: Office
    shared: dict[str, Any]
    bound: dict[str, dict[str, str]]  # role → headers of an account of the own office
    county: dict[str, dict[str, str]]  # role → headers of a county-wide account
    providers: dict[str, Ids]  # the provider the provider token is bound to, and another


@pytest.fixture
def world(client, tokens, clock, engine: Engine) -> World:
    desk = Desk(client, tokens, clock)
    offices = {name: build_office(desk, client, desk.officer, name) for name in OFFICES}
    desk.on("2026-04-09")
    provider = desk.call(
        "POST", "/training/providers", desk.officer, {"name": "县职业技能培训中心"}
    )
    course = desk.call(
        "POST", "/training/courses", desk.officer, {**COURSE, "provider_id": provider["id"]}
    )
    elsewhere = desk.call("POST", "/training/providers", desk.officer, {"name": "炉桥职业学校"})
    their_course = desk.call(
        "POST",
        "/training/courses",
        desk.officer,
        {**COURSE, "provider_id": elsewhere["id"], "title": "炉桥保安培训", "trade": "security"},
    )
    for name, office in offices.items():  # a vacancy near each office's people
        office.ids["vacancy_id"] = desk.vacancy(community=OFFICES[name]["community"])["id"]
    for office in offices.values():
        desk.call(
            "POST",
            f"/training/courses/{course['id']}/enrolments",
            desk.counsellor,
            {"member_id": office.ids["man_id"]},
        )
    desk.call(  # another provider's trainee
        "POST",
        f"/training/courses/{their_course['id']}/enrolments",
        desk.counsellor,
        {"member_id": offices[OTHER].ids["member_id"]},
    )
    desk.sweep("2026-04-15")  # the open offers are overdue: follow-up tasks in both offices
    with engine.connect() as connection:
        for office in offices.values():
            office.ids["decision_id"] = connection.execute(
                text("SELECT max(id) FROM activation_decision WHERE member_id = :m"),
                {"m": office.ids["member_id"]},
            ).scalar_one()
    bound = {}
    with session_scope(engine) as session:
        for role in STAFF_ROLES:
            _, raw = issue_token(
                session, role=Role(role), name=f"{OWN} {role}", now=clock.now(), office=OWN
            )
            bound[role] = {"Authorization": f"Bearer {raw}"}
    return World(
        own=offices[OWN],
        other=offices[OTHER],
        shared={
            "course_id": course["id"],
            "provider_id": provider["id"],
            "run_id": 1,
            "import_id": 1,
            "replay_id": 1,
            "version_id": 1,
            "kind": "relatives",
        },
        providers={
            "own": {
                "provider_id": provider["id"],
                "course_id": course["id"],
                "member_id": offices[OWN].ids["man_id"],
            },
            "other": {
                "provider_id": elsewhere["id"],
                "course_id": their_course["id"],
                "member_id": offices[OTHER].ids["member_id"],
            },
        },
        bound=bound,
        county={role: tokens.headers(role) for role in STAFF_ROLES},
    )


# --- sample requests -----------------------------------------------------------------------

SAMPLE_BODIES: dict[tuple[str, str], Callable[[Ids], Any]] = {
    ("POST", "/api/v1/replays"): lambda ids: {"from": "2026-01", "to": "2026-02"},
    ("POST", "/api/v1/replays/{replay_id:int}/rerun"): lambda ids: None,
    ("POST", "/api/v1/parameter-versions"): lambda ids: {
        "version": "x",
        "effective_from": "2099-01-01",
        "note": "n",
        "changes": [],
    },
    ("POST", "/api/v1/parameter-versions/{version_id:int}/replay"): lambda ids: None,
    ("POST", "/api/v1/parameter-versions/{version_id:int}/sign-off"): lambda ids: {},
    ("POST", "/api/v1/parameter-versions/{version_id:int}/refuse"): lambda ids: {"note": "n"},
    ("POST", "/api/v1/parameter-versions/{version_id:int}/withdraw"): lambda ids: {},
    ("POST", "/api/v1/households/{household_id:int}/members"): lambda ids: member(
        "新成员", birth=date(2001, 1, 1), sex="male", relation="child"
    ),
    ("POST", "/api/v1/payments/runs"): lambda ids: {"period": "2026-03"},
    ("POST", "/api/v1/payments/runs/{run_id:int}/sign-off"): lambda ids: None,
    ("POST", "/api/v1/activation/sweeps/daily"): lambda ids: None,
    ("POST", "/api/v1/roll/checks"): lambda ids: None,
    ("POST", "/api/v1/roll/imports"): lambda ids: None,
    ("PATCH", "/api/v1/members/{member_id:int}"): lambda ids: {"phone": "13900001111"},
    ("POST", "/api/v1/members/{member_id:int}/incomes"): lambda ids: {
        "source": "wages",
        "monthly_amount": "120.00",
        "effective_from": "2026-04-01",
    },
    ("POST", "/api/v1/applications"): lambda ids: {
        "household_id": ids["household_id"],
        "category_requested": "C",
    },
    ("POST", "/api/v1/applications/{application_id:int}/investigation"): lambda ids: {
        "visited_on": "2026-04-10",
        "visitors": ["李明"],
        "findings": "属实",
    },
    ("POST", "/api/v1/applications/{application_id:int}/appraisal"): lambda ids: {
        "held_on": "2026-04-10",
        "votes_for": 5,
        "votes_against": 0,
    },
    ("POST", "/api/v1/applications/{application_id:int}/public-notice"): lambda ids: {
        "starts_on": "2026-04-10",
        "place": "社区公开栏",
    },
    ("POST", "/api/v1/applications/{application_id:int}/objections"): lambda ids: {
        "received_on": "2026-04-10",
        "text": "收入不实",
    },
    (
        "POST",
        "/api/v1/applications/{application_id:int}/objections/{objection_id:int}/resolution",
    ): lambda ids: {"upheld": False, "resolution": "核实无误", "resolved_on": "2026-04-10"},
    ("POST", "/api/v1/applications/{application_id:int}/decision"): lambda ids: {
        "approve": False,
        "reason": "不符合条件",
    },
    ("POST", "/api/v1/applications/{application_id:int}/reentry-decision"): lambda ids: {
        "approve": True
    },
    ("POST", "/api/v1/applications/{application_id:int}/second-approval"): lambda ids: {
        "approve": True
    },
    ("POST", "/api/v1/cases/{case_id:int}/status"): lambda ids: {
        "status": "suspended",
        "effective_from": "2026-04-20",
        "reason": "外出务工",
    },
    ("POST", "/api/v1/cases/{case_id:int}/reviews"): lambda ids: {"reviewed_on": "2026-04-10"},
    ("POST", "/api/v1/activation/people/{member_id:int}/registration"): lambda ids: {
        "office": "劳动保障服务站",
        "hours_per_week": 40,
        "shifts": ["day"],
        "max_commute_km": 10,
    },
    ("POST", "/api/v1/activation/jobs"): lambda ids: {
        "member_id": ids["member_id"],
        "employer": "超市",
        "occupation": "理货员",
        "starts_on": "2026-04-10",
        "monthly_income": "1000.00",
    },
    ("POST", "/api/v1/activation/jobs/{job_id:int}/income"): lambda ids: {
        "monthly_income": "950.00",
        "effective_from": "2026-04-12",
    },
    ("POST", "/api/v1/activation/jobs/{job_id:int}/end"): lambda ids: {
        "ended_on": "2026-04-12",
        "reason": "laid_off",
    },
    ("POST", "/api/v1/activation/referrals"): lambda ids: {
        "member_id": ids["member_id"],
        "vacancy_id": ids["vacancy_id"],
    },
    ("POST", "/api/v1/activation/referrals/{referral_id:int}/delivery"): lambda ids: {
        "how": "in_person"
    },
    ("POST", "/api/v1/activation/referrals/{referral_id:int}/answer"): lambda ids: {
        "answer": "accepted"
    },
    ("POST", "/api/v1/activation/referrals/{referral_id:int}/hired"): lambda ids: {
        "starts_on": "2026-04-12",
        "monthly_income": "1000.00",
    },
    ("POST", "/api/v1/activation/referrals/{referral_id:int}/evidence"): lambda ids: {
        "text": "医院证明"
    },
    ("POST", "/api/v1/activation/referrals/{referral_id:int}/good-reason"): lambda ids: {
        "good_reason": True,
        "notes": "理由成立",
        "reason_code": "illness",
    },
    ("POST", "/api/v1/activation/sanctions/{sanction_id:int}/vulnerability-review"): lambda ids: {
        "proceed": True,
        "findings": "无脆弱因素",
    },
    ("POST", "/api/v1/activation/sanctions/{sanction_id:int}/decision"): lambda ids: {
        "confirm": True,
        "reason": "确认",
    },
    ("POST", "/api/v1/activation/sanctions/{sanction_id:int}/appeals"): lambda ids: {
        "grounds": "复议"
    },
    ("POST", "/api/v1/activation/appeals/{appeal_id:int}/decision"): lambda ids: {
        "upheld": False,
        "reasons": "维持",
    },
    ("PUT", "/api/v1/matching/seekers/{member_id:int}"): lambda ids: {
        "community": "东街社区",
        "hours_per_week": 40,
        "shifts": ["day"],
        "max_commute_km": 10,
        "labour_office": "劳动保障服务站",
    },
    ("POST", "/api/v1/training/courses/{course_id:int}/enrolments"): lambda ids: {
        "member_id": ids["member_id"]
    },
    # a provider's page form: one outcome about one trainee (sent as a form, not JSON)
    ("POST", "/app/training/courses/{course_id:int}/trainees/{member_id:int}"): lambda ids: {
        "report_id": "P-1",
        "kind": "attended",
        "on": "2026-04-09",
        "sessions_attended": "1",
    },
}
SAMPLE_QUERIES: dict[tuple[str, str], Callable[[Ids], str]] = {
    ("GET", "/api/v1/payments/lines"): lambda ids: f"?case_id={ids['case_id']}",
}


def request_for(method: str, path: str, ids: Ids) -> tuple[str, Any]:
    url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(ids[m.group(1)]), path)
    url += SAMPLE_QUERIES.get((method, path), lambda _: "")(ids)
    if (method, path) in SAMPLE_BODIES:
        return url, SAMPLE_BODIES[(method, path)](ids)
    if method in ("POST", "PUT", "PATCH"):
        raise AssertionError(f"{method} {path}: add a sample body to SAMPLE_BODIES")
    return url, None


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in inspect(engine).get_table_names()
            if table not in ("alembic_version", "api_token")
        }


def people_of(engine: Engine, township: str) -> dict[str, set[int]]:
    with engine.connect() as connection:
        households = {
            row[0]
            for row in connection.execute(
                text("SELECT id FROM household WHERE township = :t"), {"t": township}
            )
        }
        members = {
            row[0]
            for row in connection.execute(
                text(
                    "SELECT id FROM member WHERE household_id IN "
                    "(SELECT id FROM household WHERE township = :t)"
                ),
                {"t": township},
            )
        }
    return {"household_id": households, "member_id": members}


def names_someone_of(answer: Any, people: dict[str, set[int]]) -> bool:
    """Whether a JSON answer anywhere names one of ``people`` by member or household id, or
    has one of their names."""
    if MARKER in answer.text:
        return True
    try:
        found = answer.json()
    except ValueError:
        return False
    stack = [found]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in people and value in people[key]:
                    return True
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def test_an_office_sees_and_changes_only_its_own_people(
    app: Litestar, client, world: World, engine: Engine
) -> None:
    problems: list[str] = []
    strangers = people_of(engine, OTHER)
    own_ids = {**world.shared, **world.own.ids}
    other_ids = {**world.shared, **world.other.ids}
    # reads first: the writes below change the world (an application decided, a job ended)
    for method, path, handler in sorted(routes(app), key=lambda r: r[0] != "GET"):
        access = handler.opt["access"]
        if not path.startswith("/api/") or access is Access.PUBLIC:
            continue
        if path == "/api/v1/households" and method == "POST":
            continue  # a new household's own office: test_a_household_is_registered_in_own_office
        roles = [r for r in STAFF_ROLES if r in allowed_roles(handler)]
        for role in roles:
            bound, county = world.bound[role], world.county[role]
            where = f"{method} {path} as {role}"
            if access is Access.COUNTY:
                url, body = request_for(method, path, own_ids)
                status = client.request(method, url, json=body, headers=bound).status_code
                if status != 403:
                    problems.append(f"{where}: an office account got {status}, not 403")
                continue
            if access is Access.PERSON:
                url, body = request_for(method, path, other_ids)
                before = table_counts(engine)
                answer = client.request(method, url, json=body, headers=bound)
                if answer.status_code != 404:
                    problems.append(f"{where}: another office's record gave {answer.status_code}")
                if table_counts(engine) != before:
                    problems.append(f"{where}: another office's record was changed")
                if names_someone_of(answer, strangers):
                    problems.append(f"{where}: another office's person in the answer")
                proof = client.request(method, url, json=body, headers=county)
                if proof.status_code == 404:
                    problems.append(f"{where}: a county-wide account got 404 (not a real record)")
            if access in (Access.OFFICE_LIST, Access.ANYONE) and method == "GET":
                url, _ = request_for(method, path, other_ids)
                if names_someone_of(client.get(url, headers=bound), strangers):
                    problems.append(f"{where}: lists another office's people")
                shown = client.get(url, headers=county)
                if access is Access.OFFICE_LIST and not names_someone_of(shown, strangers):
                    problems.append(f"{where}: the sample world shows no other-office row here")
            if access is Access.PERSON or method == "GET":
                url, body = request_for(method, path, own_ids)
                answer = client.request(method, url, json=body, headers=bound)
                if answer.status_code == 404 or MARKER in answer.text:
                    problems.append(f"{where}: the office's own record gave {answer.status_code}")
    assert not problems, "\n".join(problems)


def test_a_household_is_registered_in_its_registrars_office(client, world: World) -> None:
    officer = world.bound["benefit_officer"]
    elsewhere = household(
        member("新户主", birth=date(1980, 2, 2), sex="male"), community="炉桥社区", township=OTHER
    )
    refused = client.post("/api/v1/households", json=elsewhere, headers=officer)
    assert refused.status_code == 422
    assert [p["rule"] for p in refused.json()["problems"]] == ["own-office"]
    at_home = household(member("新户主", birth=date(1980, 2, 3), sex="male"), township=OWN)
    assert client.post("/api/v1/households", json=at_home, headers=officer).status_code == 201


def test_the_status_check_does_not_tell_another_office_a_person_exists(
    client, world: World
) -> None:
    officer = world.bound["benefit_officer"]
    known_elsewhere = client.get(
        f"/api/v1/status/{world.other.ids['national_id']}", headers=officer
    )
    nobody = client.get("/api/v1/status/11010519491231002X", headers=officer)
    assert known_elsewhere.status_code == nobody.status_code == 404
    assert known_elsewhere.json()["problems"] == nobody.json()["problems"]
    own = client.get(f"/api/v1/status/{world.own.ids['national_id']}", headers=officer)
    assert own.status_code == 200 and own.json()["township"] == OWN


def test_a_provider_sees_only_its_own_courses_and_trainees(
    app: Litestar, client, tokens, world: World, engine: Engine
) -> None:
    """Through its token on the API and through its signed-in pages alike: another provider's
    course or trainee is 404 (and a page form sent about one writes nothing), its own opens."""
    provider = tokens.headers("training_provider")
    assert world.providers["own"]["provider_id"] == 1  # the provider the token is bound to
    make_account(engine, "own.school", "training_provider", provider_id=1)
    pages = PageClient(client)
    assert pages.sign_in("own.school").status_code == 303
    problems = []
    for method, path, handler in routes(app):
        if method not in ("GET", "POST") or "training_provider" not in allowed_roles(handler):
            continue
        if not re.search(r"\{(provider|course)_id", path):
            continue
        on_page = path.startswith("/app/")
        if method == "POST" and not on_page:
            continue  # the API's reports name their courses in the body: the training tests
        theirs, body = request_for(method, path, {**world.shared, **world.providers["other"]})
        mine, _ = request_for(method, path, {**world.shared, **world.providers["own"]})
        if method == "POST":
            before = table_counts(engine)
            if (status := pages.post(theirs, body).status_code) != 404:
                problems.append(f"{method} {path}: another provider's record gave {status}")
            if table_counts(engine) != before:
                problems.append(f"{method} {path}: another provider's record was changed")
            continue

        def read(url: str, on_page: bool = on_page) -> int:
            answer = pages.get(url) if on_page else client.get(url, headers=provider)
            return answer.status_code

        if (status := read(theirs)) != 404:
            problems.append(f"{method} {path}: another provider's record gave {status}")
        if (status := read(mine)) != 200:
            problems.append(f"{method} {path}: its own record gave {status}")
    assert not problems, "\n".join(problems)
