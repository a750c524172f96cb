"""Three months of payments through the API, on SQLite and PostgreSQL (issue 4).

Five households approved on 2 March 2026 (one approved late, in May, with effect from 20 March):
A active throughout (no bank account on record), B suspended by an officer from 16 April, C
sanctioned from 16 April after two refusals and restored on 5 May by an upheld appeal (back
pay), E terminated in May with effect from 16 April (an overpayment found after April was
paid), D approved in May with effect from 20 March (months it was never paid for).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from kernel.messages import uncarry
from support import (
    Desk,
    approve,
    create_household,
    household,
    member,
    pay_month,
    walk_to_notice,
)

ELDER = {"birth": date(1955, 1, 1), "sex": "male"}  # 71: no job-seeker duty


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def case_for(desk: Desk, *members: dict[str, Any], approve_on: date | None = None, **extra: Any):
    """Register and walk a household to its public notice; approve on 2 March unless told."""
    desk.on("2026-02-20")
    created = create_household(desk.client, desk.officer, household(*members, **extra))
    app_id = walk_to_notice(desk.client, desk.officer, created["id"], desk.clock)
    if approve_on is None:
        decided = approve(desk.client, desk.officer, app_id, desk.clock, counsellor=desk.counsellor)
        return created["members"], decided["case_id"]
    return created["members"], app_id


def lines_of(desk: Desk, case_id: int) -> dict[str, dict[str, Any]]:
    rows = desk.call("GET", f"/payments/lines?case_id={case_id}", desk.officer)
    return {row["period"]: row for row in rows}


def test_three_months_active_suspended_sanctioned_appealed_terminated_late(
    desk: Desk, engine
) -> None:
    _, a = case_for(desk, member("周建国", **ELDER), bank_account=None)  # A
    _, b = case_for(desk, member("吴国强", **ELDER))
    c_members, c = case_for(
        desk,
        member("刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100.00")]),
        member("刘小宝", birth=date(2016, 4, 1), sex="male", relation="child", student=True),
    )
    _, e = case_for(desk, member("郑志刚", **ELDER))
    _, d_application = case_for(
        desk, member("孙玉梅", birth=date(1950, 6, 1), sex="female"), approve_on=date(2026, 5, 12)
    )
    woman = c_members[0]["id"]
    desk.decline(woman, "2026-03-05", "2026-03-09")

    desk.on("2026-03-25")
    march = pay_month(desk.client, desk.officer, "2026-03")
    # Approved on 2 March: 30 of 31 days. 150 × 30/31 = 145.16; 200 × 30/31 = 193.55.
    assert (march["lines"], march["paid_lines"], march["total"]) == (4, 4, "629.03")
    # Four eyes: the finished month waits for a second officer before its bank file goes out.
    assert march["bank_file"] is None and march["signed_off_by"] is None
    held = desk.client.get(f"/api/v1/payments/runs/{march['id']}/bank-file", headers=desk.officer)
    assert held.status_code == 409 and held.json()["problems"][0]["rule"] == "run-signed-off"
    sign = f"/api/v1/payments/runs/{march['id']}/sign-off"
    own = desk.client.post(sign, headers=desk.officer)  # the officer who started it
    assert own.status_code == 403 and own.json()["problems"][0]["rule"] == "four-eyes"
    march = desk.call("POST", f"/payments/runs/{march['id']}/sign-off", desk.officer2, status=200)
    assert march["signed_off_by"] and march["signed_off_by"] != march["started_by"]
    assert march["without_account"] == 1 and march["bank_file"].endswith("/bank-file")
    twice = desk.client.post(sign, headers=desk.officer2)
    assert twice.status_code == 409 and twice.json()["problems"][0]["rule"] == "run-signed-off"
    assert desk.client.post(sign, headers=desk.counsellor).status_code == 403  # not an officer
    assert (
        desk.client.post("/api/v1/payments/runs/999999/sign-off", headers=desk.officer2).status_code
        == 404
    )

    desk.decline(woman, "2026-04-01", "2026-04-03")
    sanction = desk.call("GET", "/activation/sanctions?state=proposed", desk.officer)[0]["id"]
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
        desk.officer,
        {"confirm": True, "reason": "两次无正当理由拒绝适当岗位"},
    )
    desk.on("2026-04-10")
    desk.call(
        "POST",
        f"/cases/{b}/status",
        desk.officer,
        {"status": "suspended", "effective_from": "2026-04-16", "reason": "外出务工, 待核实"},
    )
    assert desk.sweep("2026-04-16")["sanctions_started"] == 1
    desk.on("2026-04-20")
    appeal = desk.call(
        "POST",
        f"/activation/sanctions/{sanction}/appeals",
        desk.counsellor,
        {"grounds": "第二个岗位实为夜班, 本人需照顾孩子"},
    )["appeals"][0]["id"]

    desk.on("2026-04-25")
    april = pay_month(desk.client, desk.officer, "2026-04")
    # A 150; B and C suspended from the 16th: 15 of 30 days (75.00, 100.00); E 150.
    assert (april["lines"], april["total"], april["recomputed_months"]) == (4, "475.00", 0)
    assert lines_of(desk, b)["2026-04"]["amount"] == "75.00"
    assert lines_of(desk, c)["2026-04"]["amount"] == "100.00"

    desk.on("2026-05-05")
    desk.call(
        "POST",
        f"/activation/appeals/{appeal}/decision",
        desk.officer2,
        {"upheld": True, "reasons": "岗位与照护义务冲突, 非适当岗位"},
    )
    desk.on("2026-05-10")
    desk.call(
        "POST",
        f"/cases/{e}/status",
        desk.officer,
        {"status": "terminated", "effective_from": "2026-04-16", "reason": "迁出本县"},
    )
    d = approve(
        desk.client,
        desk.officer,
        d_application,
        desk.clock,
        on=date(2026, 5, 12),
        decided_on="2026-03-20",
    )["case_id"]

    desk.on("2026-05-25")
    may = pay_month(desk.client, desk.officer, "2026-05")
    # E's April recomputed: 75.00 overpaid. D never paid: March 12/31 × 150 = 58.06, April 150.
    assert may["recomputed_months"] == 3
    assert (may["recoveries_found"], may["back_pay_found"]) == ("-75.00", "208.06")
    # A 150; B 0 (suspended); C 27/31 × 200 = 174.19 + back pay 125.81; D 150 + 208.06; E 0.
    assert (may["lines"], may["paid_lines"], may["zero_lines"]) == (5, 3, 2)
    assert (may["total"], may["carried"], may["without_account"]) == ("808.06", "75.00", 1)

    # A is plain in April (active all month, nothing owed): paid by the set-based statement,
    # explained from its period when read, in the same words as any other line.
    a_april = lines_of(desk, a)["2026-04"]
    assert a_april["amount"] == "150.00"
    assert [(p["status"], p["from"], p["to"], p["days"]) for p in a_april["inputs"]["periods"]] == [
        ("active", "2026-04-01", "2026-04-30", 30)
    ]
    assert a_april["inputs"]["adjustments"] == [] and a_april["inputs"]["carried"] == "0.00"
    assert a_april["why"][0].startswith(
        "生效中 2026-04-01 至 2026-04-30：本月30天中的30天，按每月150.00元"
    )
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT inputs, paid_from_period_id FROM payment_line WHERE case_id = :a"),
            {"a": a},
        ).all()
    assert any(row.inputs is None and row.paid_from_period_id for row in stored)

    c_may = lines_of(desk, c)["2026-05"]
    assert (c_may["regular"], c_may["adjustments"], c_may["amount"]) == (
        "174.19",
        "125.81",
        "300.00",
    )
    assert [(p["status"], p["days"]) for p in c_may["inputs"]["periods"]] == [
        ("suspended", 4),
        ("active", 27),
    ]
    back_pay = c_may["inputs"]["adjustments"][0]
    assert (back_pay["kind"], back_pay["applied"]) == ("back_pay", "125.81")
    assert back_pay["source"].startswith("appeal:")

    b_may = lines_of(desk, b)["2026-05"]
    assert (b_may["amount"], b_may["in_bank_file"]) == ("0.00", False)
    assert b_may["why"][0].startswith("暂停发放 2026-05-01 至 2026-05-31：本月31天中的31天")
    in_english = desk.client.get(
        f"/api/v1/payments/lines?case_id={b}",
        headers={**desk.officer, "Accept-Language": "en"},
    ).json()
    b_may_en = next(row for row in in_english if row["period"] == "2026-05")
    assert b_may_en["why"][0].startswith("suspended 2026-05-01 to 2026-05-31: 31 of 31 days")

    e_lines = lines_of(desk, e)
    assert [e_lines[p]["amount"] for p in ("2026-03", "2026-04", "2026-05")] == [
        "145.16",
        "150.00",
        "0.00",
    ]
    assert e_lines["2026-05"]["carried"] == "75.00"
    assert any("结转至以后月份" in step for step in e_lines["2026-05"]["why"])

    d_may = lines_of(desk, d)["2026-05"]
    assert (d_may["regular"], d_may["adjustments"], d_may["amount"]) == (
        "150.00",
        "208.06",
        "358.06",
    )
    assert set(lines_of(desk, d)) == {"2026-05"}  # the months it missed came as back pay

    with engine.connect() as connection:
        adjustments = connection.execute(
            text(
                "SELECT case_id, kind, amount_fen, source, settled_period, reason "
                "FROM payment_adjustment WHERE source LIKE 'recompute:%' ORDER BY case_id, source"
            )
        ).all()
    assert [(r.case_id, r.kind, r.amount_fen, r.source, r.settled_period) for r in adjustments] == [
        (e, "recovery", -7500, "recompute:2026-04", None),  # recorded; nothing to deduct from
        (d, "back_pay", 5806, "recompute:2026-03", "2026-05"),
        (d, "back_pay", 15000, "recompute:2026-04", "2026-05"),
    ]
    kept = uncarry(adjustments[0].reason)  # kept as data, read in the reader's language
    assert "terminated from 2026-04-16" in str(kept) and "overpaid by 75.00" in str(kept)

    may = desk.call("POST", f"/payments/runs/{may['id']}/sign-off", desk.officer2, status=200)
    response = desk.client.get(f"/api/v1/payments/runs/{may['id']}/bank-file", headers=desk.officer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "workbridge-payments-2026-05.csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows == [
        ["account", "name", "amount", "reference"],
        ["6228480010012345678", "刘丽", "300.00", f"WB-2026-05-{c}"],
        ["6228480010012345678", "孙玉梅", "358.06", f"WB-2026-05-{d}"],
    ]
    assert b"\r\n" in response.content

    again = desk.client.post(
        "/api/v1/payments/runs", json={"period": "2026-05"}, headers=desk.officer
    )
    assert again.status_code == 200
    assert again.json() == {**may, "bank_file": may["bank_file"]}
    with engine.connect() as connection:
        counts = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM payment_line), "
                "(SELECT count(*) FROM payment_adjustment), "
                "(SELECT count(*) FROM payment_line WHERE period = '2026-05')"
            )
        ).one()
    assert tuple(counts) == (13, 4, 5)


def test_bad_periods_and_a_run_in_progress_get_problems_and_write_nothing(
    desk: Desk, engine, app
) -> None:
    from benefits import payments
    from kernel.locks import try_lock

    case_for(desk, member("周建国", **ELDER))  # approved 2 March
    desk.on("2026-03-10")
    cases = [
        ({"period": "2026-13"}, 422, "period-format"),
        ({"period": "2026-3"}, 422, "period-format"),
        ({"period": "2026-03-01"}, 422, "period-format"),
        ({"period": ""}, 422, "period-format"),
        ({"period": "2026-05"}, 422, "period-not-future"),  # today is 10 March
        ({"period": "1999-12"}, 422, "policy-in-force"),
        ({}, 422, "schema"),
        ({"period": 202603}, 422, "schema"),
    ]
    for body, status, rule in cases:
        response = desk.client.post("/api/v1/payments/runs", json=body, headers=desk.officer)
        assert response.status_code == status, (body, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        if rule:
            assert problem["problems"][0]["rule"] == rule, problem

    malformed = desk.client.post(
        "/api/v1/payments/runs",
        content=b"period=2026-03",
        headers={**desk.officer, "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    forbidden = desk.client.post(
        "/api/v1/payments/runs", json={"period": "2026-03"}, headers=desk.counsellor
    )
    assert forbidden.status_code == 403

    held = try_lock(engine, payments.RUN_LOCK)  # another process is paying
    assert held is not None
    try:
        busy = desk.client.post(
            "/api/v1/payments/runs", json={"period": "2026-04"}, headers=desk.officer
        )
        assert busy.status_code == 409
        assert busy.json()["problems"][0]["rule"] == "one-run-at-a-time"
    finally:
        held.release()

    with engine.connect() as connection:
        written = connection.execute(
            text("SELECT (SELECT count(*) FROM payment_run) + (SELECT count(*) FROM payment_line)")
        ).scalar_one()
    assert written == 0

    # A run that stopped before finishing must be completed before the next month is paid.
    runner = payments.Runner(
        engine=engine,
        policy=app.state.policy,
        clock=desk.clock,
        zone=app.state.settings.zone,
        actor=_officer(),
    )
    stopped = payments.begin(runner, "2026-03")
    assert stopped.lock is not None
    stopped.lock.release()  # as if its process had died before the first batch
    blocked = desk.client.post(
        "/api/v1/payments/runs", json={"period": "2026-04"}, headers=desk.officer
    )
    assert blocked.status_code == 409
    assert blocked.json()["problems"][0]["rule"] == "finish-earlier-run"
    unfinished = desk.client.get(f"/api/v1/payments/runs/{stopped.run.id}", headers=desk.officer)
    assert unfinished.json()["state"] == "running" and unfinished.json()["bank_file"] is None
    early = desk.client.post(
        f"/api/v1/payments/runs/{stopped.run.id}/sign-off", headers=desk.officer2
    )
    assert early.status_code == 409 and early.json()["problems"][0]["rule"] == "run-finished"
    early = desk.client.get(
        f"/api/v1/payments/runs/{stopped.run.id}/bank-file", headers=desk.officer
    )
    assert early.status_code == 409 and early.json()["problems"][0]["rule"] == "run-finished"

    resumed = pay_month(desk.client, desk.officer, "2026-03")
    assert resumed["id"] == stopped.run.id and resumed["lines"] == 1
    assert desk.client.get("/api/v1/payments/runs/999", headers=desk.officer).status_code == 404
    missing = desk.client.get("/api/v1/payments/lines?case_id=999", headers=desk.officer)
    assert missing.status_code == 404


def test_the_next_month_starts_while_the_last_run_is_giving_its_lock_back(
    desk: Desk, engine
) -> None:
    """A run shows itself finished an instant before its thread gives the run lock back; an
    officer who starts the next month on seeing "finished" must get the run, not "someone is
    paying". A lock still held after the hand-over moment is a run in hand: 409."""
    import threading
    import time

    from benefits import payments
    from kernel.locks import HANDOVER_SECONDS, try_lock

    case_for(desk, member("周建国", **ELDER))  # approved 2 March
    desk.on("2026-04-03")
    held = try_lock(engine, payments.RUN_LOCK)  # the last run, about to let go
    assert held is not None
    threading.Timer(0.3, held.release).start()
    started = time.monotonic()
    response = desk.client.post(
        "/api/v1/payments/runs", json={"period": "2026-03"}, headers=desk.officer
    )
    assert response.status_code in (200, 202), response.text
    assert time.monotonic() - started >= 0.3  # it waited for the lock rather than refusing
    pay_month(desk.client, desk.officer, "2026-03")

    held = try_lock(engine, payments.RUN_LOCK)
    assert held is not None
    try:
        started = time.monotonic()
        busy = desk.client.post(
            "/api/v1/payments/runs", json={"period": "2026-04"}, headers=desk.officer
        )
        waited = time.monotonic() - started
    finally:
        held.release()
    assert busy.status_code == 409
    assert busy.json()["problems"][0]["rule"] == "one-run-at-a-time"
    assert HANDOVER_SECONDS <= waited < HANDOVER_SECONDS + 5


def _officer():
    from kernel.auth import Principal, Role

    return Principal(kind="token", id=1, name="test officer", role=Role.BENEFIT_OFFICER)
