"""Builders for API tests: valid households and a walk through the application procedure."""

from __future__ import annotations

import importlib.util
import re
import time as timer
from datetime import date, datetime, time
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from litestar.testing import TestClient

from kernel.clock import FixedClock
from kernel.national_id import make_national_id

SHANGHAI = ZoneInfo("Asia/Shanghai")


def move_to(clock: FixedClock | None, day: date | str) -> None:
    """Do the next step on ``day`` (office time, mid-morning)."""
    if clock is not None:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        clock.set(datetime.combine(day, time(10, 0), tzinfo=SHANGHAI))


_sequence = iter(range(1, 10_000_000))


def person_id(birth: date, sex: str, region: str = "341125") -> str:
    return make_national_id(region, birth, next(_sequence), sex)


def member(
    name: str = "王秀英",
    *,
    birth: date = date(1988, 5, 20),
    sex: str = "female",
    relation: str = "head",
    incomes: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "national_id": extra.pop("national_id", None) or person_id(birth, sex),
        "relation": relation,
        "phone": extra.pop("phone", "13912345678"),
        "incomes": [{"source": s, "monthly_amount": a} for s, a in (incomes or [])],
        **extra,
    }


MOTHER_BORN = date(1990, 8, 1)  # 35 in 2026


def mother_and_child() -> tuple[dict, dict]:
    """A mother of 35 subject to the duty, earning 100.00, and her son at school."""
    return (
        member("刘丽", birth=MOTHER_BORN, sex="female", incomes=[("wages", "100.00")]),
        member(
            "刘小宝", birth=date(2016, 4, 1), sex="male", relation="child", student=True, phone=None
        ),
    )


def household(*members: dict[str, Any], scheme: str = "urban", **extra: Any) -> dict[str, Any]:
    return {
        "scheme": scheme,
        "address": "定城镇东大街12号",
        "community": extra.pop("community", "东街社区"),
        "township": "定城镇",
        "bank_account": "6228480010012345678",
        "members": list(members) or [member()],
        **extra,
    }


ALL_DOCUMENTS = ["household_register", "identity_cards", "income_statement"]


def create_household(
    client: TestClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = client.post("/api/v1/households", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def walk_to_notice(
    client: TestClient,
    headers: dict[str, str],
    household_id: int,
    clock: FixedClock | None = None,
    *,
    category: str = "C",
    applied: date = date(2026, 2, 20),
    documents: list[str] | None = None,
) -> int:
    """Apply, investigate, appraise and post the notice (3 days from 26 Feb: last day 28 Feb),
    each step on its own day when a clock is given."""
    body = {
        "household_id": household_id,
        "category_requested": category,
        "documents": ALL_DOCUMENTS if documents is None else documents,
        "applied_on": applied.isoformat(),
    }
    response = client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    app_id = response.json()["id"]
    steps = [
        (
            "investigation",
            {"visited_on": "2026-02-22", "visitors": ["李明", "赵芳"], "findings": "属实"},
        ),
        (
            "appraisal",
            {"held_on": "2026-02-25", "passed": True, "votes_for": 7, "votes_against": 0},
        ),
        ("public-notice", {"starts_on": "2026-02-26", "place": "社区公开栏"}),
    ]
    for step, payload in steps:
        move_to(clock, next(v for k, v in payload.items() if k.endswith("_on")))
        response = client.post(
            f"/api/v1/applications/{app_id}/{step}", json=payload, headers=headers
        )
        assert response.status_code == 201, (step, response.text)
    return app_id


REGISTRATION = {
    "office": "东街社区劳动保障服务站",
    "hours_per_week": 40,
    "shifts": ["day"],
    "max_commute_km": 10,
    "physical_limit": "none",
    "reservation_wage": "1500.00",
    "skills": ["保洁", "收银"],
    "desired_occupations": ["4-09-08-01"],
}


def register_obligated(
    client: TestClient, counsellor: dict[str, str], household_id: int, **registration: Any
) -> list[int]:
    """Register every member whose duty applies (report 4: approval waits for them)."""
    officer_view = client.get(f"/api/v1/households/{household_id}", headers=counsellor).json()
    registered = []
    for person in officer_view["members"]:
        duty = client.get(f"/api/v1/activation/people/{person['id']}", headers=counsellor).json()[
            "duty"
        ]
        if duty["obligated"]:
            response = client.post(
                f"/api/v1/activation/people/{person['id']}/registration",
                json={**REGISTRATION, **registration},
                headers=counsellor,
            )
            assert response.status_code == 201, response.text
            registered.append(person["id"])
    return registered


def approve(
    client: TestClient,
    headers: dict[str, str],
    app_id: int,
    clock: FixedClock | None = None,
    on: date = date(2026, 3, 2),
    counsellor: dict[str, str] | None = None,
    **body: Any,
) -> dict[str, Any]:
    """Approve on ``on`` (default 2 March, after the notice that ended 28 Feb), registering
    obligated members first when a counsellor's headers are given."""
    move_to(clock, on)
    if counsellor is not None:
        household_id = client.get(f"/api/v1/applications/{app_id}", headers=headers).json()[
            "household_id"
        ]
        register_obligated(client, counsellor, household_id)
    response = client.post(
        f"/api/v1/applications/{app_id}/decision", json={"approve": True, **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


VACANCY = {
    "employer": "定远县城东物业公司",
    "title": "小区保洁员",
    "occupation_code": "4-09-08-01",
    "monthly_wage": "1600.00",
    "hours_per_week": 40,
    "shift": "day",
    "community": "东街社区",
    "physical_demand": "light",
    "openings": 5,
    "valid_until": "2026-12-31",
    "skills": ["保洁"],
}


class Desk:
    """The people at the offices, as tests drive them: a counsellor, two benefit officers."""

    def __init__(self, client: TestClient, tokens: Any, clock: FixedClock) -> None:
        self.client, self.clock = client, clock
        self.counsellor = tokens.headers("counsellor")
        self.officer = tokens.headers("benefit_officer")
        self.officer2 = tokens.headers("benefit_officer_2")

    def on(self, day: str) -> Desk:
        move_to(self.clock, day)
        return self

    def call(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
        status: int | None = None,
    ) -> Any:
        response = self.client.request(method, f"/api/v1{path}", json=body, headers=headers)
        expected = status or (201 if method == "POST" else 200)
        assert response.status_code == expected, (path, response.status_code, response.text)
        return response.json()

    def household_with_case(
        self, *members: dict[str, Any], category: str = "C", **extra: Any
    ) -> dict[str, Any]:
        """Register, apply and approve on 2 March 2026; returns the household and its case."""
        self.on("2026-02-20")
        created = create_household(self.client, self.officer, household(*members, **extra))
        app_id = walk_to_notice(
            self.client, self.officer, created["id"], self.clock, category=category
        )
        decided = approve(self.client, self.officer, app_id, self.clock, counsellor=self.counsellor)
        return {**created, "case_id": decided["case_id"]}

    def vacancy(self, **fields: Any) -> dict[str, Any]:
        return self.call("POST", "/matching/vacancies", self.counsellor, {**VACANCY, **fields})

    def refer(self, member_id: int, day: str, **vacancy: Any) -> dict[str, Any]:
        """Post a vacancy (the default cleaning job, or with changes) and refer the person."""
        self.on(day)
        vacancy_id = self.vacancy(**vacancy)["id"]
        body = {"member_id": member_id, "vacancy_id": vacancy_id, "channel": "in_person"}
        return self.call("POST", "/activation/referrals", self.counsellor, body)

    def answer(
        self,
        referral_id: int,
        day: str,
        answer: str,
        reason: str = "不想去",
        status: int | None = None,
    ) -> Any:
        self.on(day)
        return self.call(
            "POST",
            f"/activation/referrals/{referral_id}/answer",
            self.counsellor,
            {"answer": answer, "reason": reason},
            status,
        )

    def review(
        self,
        referral_id: int,
        day: str,
        good_reason: bool = False,
        headers: dict[str, str] | None = None,
        reason_code: str | None = None,
        status: int | None = None,
    ) -> Any:
        self.on(day)
        body = {
            "good_reason": good_reason,
            "reason_code": reason_code or ("other" if good_reason else "none"),
            "notes": "面谈核实" if not good_reason else "理由成立",
        }
        return self.call(
            "POST",
            f"/activation/referrals/{referral_id}/good-reason",
            headers or self.counsellor,
            body,
            status,
        )

    def decline(self, member_id: int, day: str, review_day: str, **offer: Any) -> dict[str, Any]:
        referral = self.refer(member_id, day, **offer)
        self.answer(referral["id"], day, "declined")
        return self.review(referral["id"], review_day)

    def sweep(self, day: str) -> dict[str, int]:
        self.on(day)
        return self.call("POST", "/activation/sweeps/daily", self.officer)["results"]

    def person(self, member_id: int) -> dict[str, Any]:
        return self.call("GET", f"/activation/people/{member_id}", self.counsellor)

    def case(self, case_id: int) -> dict[str, Any]:
        return self.call("GET", f"/cases/{case_id}", self.officer)


class LiveServer:
    """The app served by uvicorn on a loopback port in a thread: real HTTP, real concurrency."""

    def __init__(self, app: Any) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def new_member(client: TestClient, headers: dict[str, str], **member_fields: Any) -> int:
    """Register a one-person household and return the member's id."""
    body = household(member(**member_fields))
    return create_household(client, headers, body)["members"][0]["id"]


# --- pages ---------------------------------------------------------------------------------

PASSWORD = "correct horse battery"


def make_account(engine: Any, username: str, role: str, **fields: Any) -> int:
    """An account that signs in to the pages with ``PASSWORD``."""
    from datetime import UTC
    from datetime import datetime as _datetime

    from kernel.accounts import create_account
    from kernel.auth import Role
    from kernel.db import session_scope

    with session_scope(engine) as session:
        account = create_account(
            session,
            username=username,
            password=fields.pop("password", PASSWORD),
            role=Role(role),
            now=_datetime.now(UTC),
            **fields,
        )
        return account.id or 0


class PageClient:
    """A person at a browser without the browser: signs in through the form, keeps the
    session cookie, and sends each form with the CSRF token the page gave it."""

    TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def sign_in(self, username: str, password: str = PASSWORD) -> Any:
        page = self.client.get("/app/login")
        token = self.TOKEN.search(page.text)
        assert token, page.text
        response = self.client.post(
            "/app/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        if response.status_code == 303:
            landing = self.client.get(response.headers["location"])
            found = self.TOKEN.search(landing.text)
            self.csrf = found.group(1) if found else ""
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.client.get(path, **kwargs)
        if found := self.TOKEN.search(response.text):
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any], *, csrf: bool = True, **kwargs: Any) -> Any:
        body = {**data, "csrf_token": self.csrf} if csrf else dict(data)
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data=body, **kwargs)


def signed_in(
    client: TestClient, engine: Any, username: str, role: str, **fields: Any
) -> PageClient:
    """A new account of ``role`` signed in through the form."""
    make_account(engine, username, role, **fields)
    pages = PageClient(client)
    assert pages.sign_in(username).status_code == 303
    return pages


def settled(pages: PageClient, path: str, seconds: float = 60) -> str:
    """A page that refreshes itself while work goes on (a replay), once it has stopped."""
    deadline = timer.monotonic() + seconds
    while True:
        page = pages.get(path)
        assert page.status_code == 200
        if 'http-equiv="refresh"' not in page.text:
            return page.text
        assert timer.monotonic() < deadline, path
        timer.sleep(0.1)


def followed(client: TestClient, headers: dict[str, str], run: dict[str, Any]) -> dict[str, Any]:
    """A replay run asked for through the API, once it has left ``running``."""
    deadline = timer.monotonic() + 60
    while run["state"] == "running":
        assert timer.monotonic() < deadline, run
        timer.sleep(0.05)
        run = client.get(f"/api/v1/replays/{run['id']}", headers=headers).json()
    return run


def pay_month(client: TestClient, headers: dict[str, str], period: str) -> dict[str, Any]:
    """Start the period's payment run through the API and wait until it has finished."""
    import time

    response = client.post("/api/v1/payments/runs", json={"period": period}, headers=headers)
    assert response.status_code in (200, 202), response.text
    run = response.json()
    deadline = time.monotonic() + 60
    while run["state"] != "finished":
        assert time.monotonic() < deadline, f"the {period} run did not finish: {run}"
        time.sleep(0.05)
        run = client.get(f"/api/v1/payments/runs/{run['id']}", headers=headers).json()
    return run


MIGRATIONS = Path(__file__).resolve().parents[1] / "alembic" / "versions"


def migration_module(filename: str) -> ModuleType:
    """A migration of ``alembic/versions`` as a module, to test what it does with old rows."""
    spec = importlib.util.spec_from_file_location(
        filename.removesuffix(".py"), MIGRATIONS / filename
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class CommandProcess:
    """A ``workbridge`` command in a process of its own, its output read as it comes (a thread
    keeps the pipe drained), stopped with SIGTERM or killed with SIGKILL."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        import os
        import subprocess
        import sys
        import threading

        self.process = subprocess.Popen(
            [sys.executable, "-m", "workbridge.cli", *args],
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self, seconds: float = 60) -> int | None:
        """SIGTERM, then the exit code (killed if it does not stop in ``seconds``)."""
        from workbridge.child_process import stop_or_kill

        return stop_or_kill(self.process, seconds, self.kill)


def refusal_story(
    desk: Desk, *, confirm: bool = True, upheld_on: str | None = None
) -> dict[str, Any]:
    """The refusal story: a mother declines two suitable offers (5 and 9 March, 1 and 3 April),
    a second officer confirms the stop on 6 April, it starts on 16 April, she accepts an offer
    on 4 May and is paid again from 16 May. Returns her household, its case and the sanction.
    ``confirm=False``: the second officer rejects the proposal on 6 April instead.
    ``upheld_on``: she appeals on 20 April and a third officer upholds it on that day, which
    restores payment from it and repays the days before (in place of her accepting an offer)."""
    home = desk.household_with_case(*mother_and_child())
    woman = home["members"][0]["id"]
    desk.decline(woman, "2026-03-05", "2026-03-09")
    desk.decline(woman, "2026-04-01", "2026-04-03")
    (sanction,) = desk.call("GET", "/activation/sanctions?state=proposed", desk.officer)
    desk.on("2026-04-06")
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/decision",
        desk.officer2,
        {"confirm": confirm, "reason": "两次无正当理由拒绝适当岗位" if confirm else "证据不足"},
    )
    if not confirm:
        return {**home, "sanction_id": sanction["id"]}
    assert desk.sweep("2026-04-16")["sanctions_started"] == 1
    if upheld_on:
        desk.on("2026-04-20")
        lodged = desk.call(
            "POST",
            f"/activation/sanctions/{sanction['id']}/appeals",
            desk.counsellor,
            {"grounds": "第二个岗位实为夜班, 本人需照顾孩子"},
        )
        desk.on(upheld_on)
        desk.call(
            "POST",
            f"/activation/appeals/{lodged['appeals'][0]['id']}/decision",
            desk.officer,
            {"upheld": True, "reasons": "岗位与照护义务冲突, 非适当岗位"},
        )
        return {**home, "sanction_id": sanction["id"]}
    accepted = desk.refer(woman, "2026-05-04")
    desk.answer(accepted["id"], "2026-05-04", "accepted", reason="")
    assert desk.sweep("2026-05-16")["sanctions_ended"] == 1
    return {**home, "sanction_id": sanction["id"]}


def replayed(engine: Any, book: Any, first: Any, last: Any, today: date, *changes: str, **kw: Any):
    """``run_replay`` of ``key=value`` changes read as the command reads them (none refused)."""
    from activation.replay.engine import run_replay
    from activation.replay.reform import parse_reform

    reform, problems = parse_reform(changes, book)
    assert problems == []
    return run_replay(engine, book, first=first, last=last, reform=reform, today=today, **kw)
