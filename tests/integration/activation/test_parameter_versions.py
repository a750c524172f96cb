"""Change control for parameters (issue 16): a version proposed in the service goes live only
after its replay against the current caseload has run, passed its gate and been signed off by a
second person; then every request's book has it from its day, and it is kept as it is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from kernel.parameter_versions import ParameterVersion
from support import followed, move_to
from workbridge.cli import main
from workbridge.demo import load_demo

TODAY = date(2026, 10, 20)
URL = "/api/v1/parameter-versions"
THRESHOLD = "activation.refusal.threshold"
NOTICE_DAYS = "benefits.public_notice.days"


@pytest.fixture
def county(engine, app, clock):
    move_to(clock, TODAY)
    load_demo(engine, app.state.policy, households=40, today=TODAY, seed=7)
    return engine


def proposal(**overrides) -> dict:
    body = {
        "version": "2026.11",
        "effective_from": "2026-11-01",
        "note": "县民政局要求三次拒绝才停发",
        "changes": [
            {"key": THRESHOLD, "value": "3", "basis": "县民政局 2026年第9号文"},
            {"key": NOTICE_DAYS, "value": "5", "basis": "县民政局 2026年第9号文 第二条"},
        ],
    }
    return body | overrides


def rows(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM parameter_version")).scalar_one()


def rules(blocking: list[dict]) -> list[str]:
    return [problem["rule"] for problem in blocking]


def test_a_version_goes_live_only_after_its_replay_is_signed_off_by_a_second_person(
    client, tokens, county, clock, app
) -> None:
    first, second = tokens.headers("benefit_officer"), tokens.headers("benefit_officer_2")
    proposed = client.post(URL, json=proposal(), headers=first)
    assert proposed.status_code == 201, proposed.text
    version = proposed.json()
    assert version["state"] == "proposed" and version["version_id"] == "county-pilot@2026.11"
    assert version["changes"][THRESHOLD] == {"value": 3, "basis": "县民政局 2026年第9号文"}
    assert version["replayed_changes"] == [f"{THRESHOLD}=3"]
    assert version["not_replayed"] == [NOTICE_DAYS]
    assert rules(version["blocking"]) == ["version-no-replay"]
    url = f"{URL}/{version['id']}"

    early = client.post(f"{url}/sign-off", json={}, headers=second)
    assert early.status_code == 409 and early.json()["problems"][0]["rule"] == "version-no-replay"

    started = client.post(f"{url}/replay", headers=first)
    assert started.status_code == 202, started.text
    run = followed(client, first, started.json())
    assert run["state"] == "finished" and run["gate_passed"] is True
    assert run["changes"] == [f"{THRESHOLD}=3"] and run["office"] is None
    assert (run["first_month"], run["last_month"]) == ("2025-11", "2026-10")
    version = client.get(url, headers=first).json()
    assert version["replay_id"] == run["id"] and version["replay"]["gate_passed"] is True
    assert version["blocking"] == []

    own = client.post(f"{url}/sign-off", json={}, headers=first)
    assert own.status_code == 403 and own.json()["problems"][0]["rule"] == "four-eyes"

    before = client.get("/api/v1/policy/", params={"on": "2026-11-01"}, headers=first).json()
    assert before["version_id"] == "county-pilot@2020.1"

    signed = client.post(f"{url}/sign-off", json={"note": "读过重演结果"}, headers=second)
    assert signed.status_code == 200, signed.text
    live = signed.json()
    assert (
        live["state"] == "live" and live["decided_by"] and live["decision_note"] == "读过重演结果"
    )
    assert live["replay_id"] == run["id"]

    on_day = client.get("/api/v1/policy/", params={"on": "2026-11-01"}, headers=first).json()
    assert on_day["version_id"] == "county-pilot@2026.11"
    values = {p["key"]: p for p in on_day["parameters"]}
    assert values[THRESHOLD]["value"] == 3 and values[NOTICE_DAYS]["value"] == 5
    assert values[THRESHOLD]["basis"] == "县民政局 2026年第9号文"
    day_before = client.get("/api/v1/policy/", params={"on": "2026-10-31"}, headers=first).json()
    assert day_before["version_id"] == "county-pilot@2020.1"
    assert app.state.policy.at(date(2026, 11, 1)).int(THRESHOLD) == 3

    again = client.post(f"{url}/sign-off", json={}, headers=second)
    assert again.status_code == 409 and again.json()["problems"][0]["rule"] == "version-decided"
    with pytest.raises((DBAPIError, IntegrityError)), county.begin() as connection:
        connection.execute(text("DELETE FROM parameter_version"))
    with pytest.raises((DBAPIError, IntegrityError)), county.begin() as connection:
        connection.execute(text("UPDATE parameter_version SET effective_from = '2026-12-01'"))

    # The next version starts after this one, and its replay is taken against the new book.
    later = client.post(URL, json=proposal(version="2026.12"), headers=first)
    problems = {p["field"]: p["rule"] for p in later.json()["problems"]}
    assert later.status_code == 422
    assert problems["changes.0.value"] == "version-value"  # the threshold is 3 already
    assert problems["effective_from"] == "version-before-last"


def test_a_stale_replay_a_replay_of_other_changes_and_a_late_day_block_the_sign_off(
    client, tokens, county, clock
) -> None:
    first, second = tokens.headers("admin"), tokens.headers("benefit_officer_2")
    version = client.post(URL, json=proposal(), headers=first).json()
    url = f"{URL}/{version['id']}"
    run = followed(client, first, client.post(f"{url}/replay", headers=first).json())
    assert run["gate_passed"] is True

    move_to(clock, TODAY + timedelta(days=8))
    stale = client.post(f"{url}/sign-off", json={}, headers=second)
    assert stale.status_code == 409
    assert rules(stale.json()["problems"]) == ["version-replay-old"]

    move_to(clock, TODAY + timedelta(days=7))  # seven days old is still current
    assert client.get(url, headers=first).json()["blocking"] == []

    move_to(clock, date(2026, 11, 1))  # the version's own day: too late to sign it off
    late = client.post(f"{url}/sign-off", json={}, headers=second)
    assert rules(late.json()["problems"]) == ["version-replay-old", "version-not-ahead"]

    move_to(clock, TODAY)
    with county.begin() as connection:  # a run of other changes named as the version's replay
        other = connection.execute(
            text(
                "INSERT INTO policy_replay (requested_at, requested_by, first_month, last_month,"
                " changes, grid, state, gate_passed, finished_at) VALUES (:at, 'x', '2025-11',"
                " '2026-10', :changes, '[]', 'finished', :passed, :at) RETURNING id"
            ),
            {"at": clock.now(), "changes": '["activation.refusal.threshold=4"]', "passed": True},
        ).scalar_one()
        connection.execute(text("UPDATE parameter_version SET replay_id = :run"), {"run": other})
    mismatched = client.post(f"{url}/sign-off", json={}, headers=second)
    assert rules(mismatched.json()["problems"]) == ["version-replay-other"]


def test_refusing_needs_a_second_person_and_a_reason_and_withdrawing_the_proposer(
    client, tokens, county
) -> None:
    first, second = tokens.headers("benefit_officer"), tokens.headers("admin")
    one = client.post(URL, json=proposal(), headers=first).json()
    two = client.post(URL, json=proposal(version="2026.11b"), headers=first).json()

    assert (
        client.post(f"{URL}/{one['id']}/refuse", json={"note": "no"}, headers=first).status_code
        == 403
    )
    reasonless = client.post(f"{URL}/{one['id']}/refuse", json={"note": " "}, headers=second)
    assert reasonless.status_code == 422
    refused = client.post(f"{URL}/{one['id']}/refuse", json={"note": "依据不足"}, headers=second)
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    assert refused.json()["blocking"] == []
    replay = client.post(f"{URL}/{one['id']}/replay", headers=first)
    assert replay.status_code == 409

    assert client.post(f"{URL}/{two['id']}/withdraw", json={}, headers=second).status_code == 403
    withdrawn = client.post(f"{URL}/{two['id']}/withdraw", json={}, headers=first)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    listed = client.get(URL, headers=second).json()
    assert [(v["version"], v["state"]) for v in listed] == [
        ("2026.11b", "withdrawn"),
        ("2026.11", "refused"),
    ]
    assert client.get(f"{URL}/999", headers=second).status_code == 404


def test_a_bad_proposal_lists_every_problem_and_records_nothing(client, tokens, county) -> None:
    officer = tokens.headers("benefit_officer")
    bad = proposal(
        version="not a label!",
        effective_from=TODAY.isoformat(),
        note="  ",
        changes=[
            {"key": "no.such.parameter", "value": "1", "basis": "x"},
            {"key": THRESHOLD, "value": "three", "basis": "x"},
            {"key": NOTICE_DAYS, "value": "5", "basis": " "},
            {"key": NOTICE_DAYS, "value": "6", "basis": "x"},
            {"key": "benefits.urban.categories", "value": '[{"code": "A"}]', "basis": "x"},
            {"key": "continuation.month_basis", "value": "weeks", "basis": "x"},
        ],
    )
    answer = client.post(URL, json=bad, headers=officer)
    assert answer.status_code == 422, answer.text
    found = {(p["field"], p["rule"]) for p in answer.json()["problems"]}
    assert found == {
        ("version", "version-label"),
        ("effective_from", "version-not-ahead"),
        ("note", "version-note"),
        ("changes.0.key", "reform-unknown-parameter"),
        ("changes.1.value", "version-value"),
        ("changes.2.basis", "version-basis"),
        ("changes.3.key", "reform-repeated"),
        ("changes.4.value", "version-value"),
        ("changes.5.value", "version-value"),
    }
    taken = client.post(URL, json=proposal(version="2020.1", changes=[]), headers=officer)
    assert {(p["field"], p["rule"]) for p in taken.json()["problems"]} == {
        ("version", "version-taken"),
        ("changes", "version-empty"),
    }
    unread = proposal(
        changes=[{"key": "benefits.rounding.mode", "value": "ROUND_SOMETIMES", "basis": "x"}]
    )
    refused = client.post(URL, json=unread, headers=officer)
    assert [p["rule"] for p in refused.json()["problems"]] == ["version-unreadable"]
    assert rows(county) == 0

    chinese = client.post(
        URL, json=proposal(note=""), headers=officer | {"Accept-Language": "zh-CN"}
    )
    message = chinese.json()["problems"][0]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_office_accounts_and_counsellors_may_not_touch_versions(client, tokens, county) -> None:
    counsellor = client.post(URL, json=proposal(), headers=tokens.headers("counsellor"))
    assert counsellor.status_code == 403
    assert rows(county) == 0


PROFILE_FILE = """
profile = "county-pilot"

[[version]]
id = "2020.1"
effective_from = 2020-01-01
[version.params."activation.refusal.threshold"]
value = 2
basis = "shipped"

[[version]]
id = "2099.1"
effective_from = 2099-01-01
note = "县民政局要求三次拒绝才停发"
[version.params."activation.refusal.threshold"]
value = 3
basis = "县民政局 2098年第1号文"
[version.params."continuation.follow_income_changes"]
value = false
basis = "县民政局 2098年第1号文"

[[version]]
id = "2099.2"
effective_from = 2099-02-01
note = "wrong"
[version.params."activation.refusal.threshold"]
value = "many"
basis = "x"
"""


def test_a_profile_files_new_versions_are_proposed_and_the_rest_left_alone(
    engine, database_url, monkeypatch, capsys, tmp_path
) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    source = tmp_path / "county.toml"
    source.write_text(PROFILE_FILE, encoding="utf-8")
    assert main(["policy", "--propose", str(source)]) == 2  # 2099.2's value is refused
    out = capsys.readouterr().out
    assert "2020.1: in the book or proposed already" in out and "version-value" in out
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT version, state, effective_from FROM parameter_version")
        ).all()
    assert [(v, s) for v, s, _ in stored] == [("2099.1", "proposed")]
    with Session(engine) as session:
        (row,) = session.exec(select(ParameterVersion)).all()
    assert row.changes == {
        "activation.refusal.threshold": {"value": 3, "basis": "县民政局 2098年第1号文"},
        "continuation.follow_income_changes": {"value": False, "basis": "县民政局 2098年第1号文"},
    }
    assert main(["policy", "--propose", str(source)]) == 2
    assert "2099.1: in the book or proposed already" in capsys.readouterr().out
    assert rows(engine) == 1
    assert main(["policy", "--propose", str(tmp_path / "missing.toml")]) == 2
