"""``/api/v1/replays`` (issue 16): a run is checked, recorded, carried on in the service and
kept — it cannot be deleted nor changed once finished — and can be asked for again."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from support import followed, move_to
from workbridge.demo import load_demo

TODAY = date(2026, 10, 20)


@pytest.fixture
def county(engine, app, clock):
    move_to(clock, TODAY)
    load_demo(engine, app.state.policy, households=60, today=TODAY, seed=5)
    return engine


def count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM policy_replay")).scalar_one()


def test_a_replay_asked_for_runs_and_is_kept(client, tokens, county) -> None:
    officer = tokens.headers("benefit_officer")
    asked = client.post(
        "/api/v1/replays",
        json={"from": "2026-01", "to": "2026-10", "set": ["continuation.income_threshold=100000"]},
        headers=officer,
    )
    assert asked.status_code == 202, asked.text
    run = followed(client, officer, asked.json())
    assert run["state"] == "finished" and run["gate_passed"] is True
    assert run["changes"] == ["continuation.income_threshold=100000"]
    report = run["report"]
    assert report["reform"] == {"continuation.income_threshold": "100000"}
    assert float(report["cost_reform"]) >= float(report["cost_actual"])
    assert run["requested_by"]

    again = client.post(f"/api/v1/replays/{run['id']}/rerun", headers=officer)
    assert again.status_code == 202
    second = followed(client, officer, again.json())
    assert second["rerun_of"] == run["id"] and second["report"] == report
    listed = client.get("/api/v1/replays", headers=officer).json()
    assert [r["id"] for r in listed] == [second["id"], run["id"]]

    with pytest.raises((DBAPIError, IntegrityError)), county.begin() as connection:
        connection.execute(text("DELETE FROM policy_replay WHERE id = :id"), {"id": run["id"]})
    with pytest.raises((DBAPIError, IntegrityError)), county.begin() as connection:
        connection.execute(
            text("UPDATE policy_replay SET report = NULL WHERE id = :id"), {"id": run["id"]}
        )
    assert count(county) == 2


def test_a_reform_asked_for_whole_is_priced_once_and_re_run_alike(client, tokens, county) -> None:
    """Two changes are priced with a step for each unless asked for whole; the run keeps the
    choice, so a re-run prices it alike, and the figures are the stepped report's."""
    officer = tokens.headers("benefit_officer")
    changes = ["continuation.income_threshold=100000", "activation.refusal.threshold=3"]
    ask = {"from": "2026-01", "to": "2026-10", "set": changes}
    stepped = followed(
        client, officer, client.post("/api/v1/replays", json=ask, headers=officer).json()
    )
    asked = client.post("/api/v1/replays", json={**ask, "whole": True}, headers=officer)
    assert asked.status_code == 202 and asked.json()["whole"] is True
    whole = followed(client, officer, asked.json())
    assert stepped["whole"] is False and len(stepped["report"]["stacking"]) == 2
    assert "stacking" not in whole["report"]
    assert whole["report"] == {k: v for k, v in stepped["report"].items() if k != "stacking"}

    again = followed(
        client,
        officer,
        client.post(f"/api/v1/replays/{whole['id']}/rerun", headers=officer).json(),
    )
    assert again["whole"] is True and again["report"] == whole["report"]

    for bad in ("perhaps", 1, "yes", None):
        wrong = client.post("/api/v1/replays", json={**ask, "whole": bad}, headers=officer)
        assert wrong.status_code == 422, bad
        assert [p["field"] for p in wrong.json()["problems"]] == ["whole"]
    assert count(county) == 3


def test_a_grid_with_a_budget_through_the_api(client, tokens, county) -> None:
    admin = tokens.headers("admin")
    asked = client.post(
        "/api/v1/replays",
        json={
            "from": "2026-01",
            "to": "2026-10",
            "grid": ["activation.refusal.threshold=1,2,3", "continuation.months=6,12"],
            "budget": "100000000",
        },
        headers=admin,
    )
    run = followed(client, admin, asked.json())
    assert len(run["report"]["points"]) == 6
    assert run["report"]["within_budget"] is not None


def test_every_problem_is_listed_and_nothing_is_recorded(client, tokens, county) -> None:
    answer = client.post(
        "/api/v1/replays",
        json={
            "from": "2026-13",
            "to": "2026-01",
            "set": ["continuation.months=0", "nope=1"],
            "grid": ["continuation.months=3,x"],
            "budget": "-1",
            "office": "无此镇",
        },
        headers=tokens.headers("benefit_officer"),
    )
    assert answer.status_code == 422
    fields = sorted(p["field"] for p in answer.json()["problems"])
    assert fields == sorted(
        [
            "set.continuation.months",
            "set.nope",
            "grid.continuation.months",
            "from",
            "budget",
            "office",
        ]
    ), answer.json()
    assert count(county) == 0
    assert client.get("/api/v1/replays/99", headers=tokens.headers("admin")).status_code == 404


@pytest.mark.parametrize("role", ["counsellor", "training_provider"])
def test_only_officers_and_admins(client, tokens, county, role) -> None:
    answer = client.post(
        "/api/v1/replays", json={"from": "2026-01", "to": "2026-02"}, headers=tokens.headers(role)
    )
    assert answer.status_code == 403
    assert count(county) == 0


def test_one_replay_at_a_time_in_a_process(client, tokens, county) -> None:
    from activation.replay import runs

    officer = tokens.headers("benefit_officer")
    ask = {"from": "2026-01", "to": "2026-10"}
    assert runs._slots.acquire(blocking=False)  # a replay running in this process
    try:
        busy = client.post("/api/v1/replays", json=ask, headers=officer)
        assert busy.status_code == 409
        assert busy.json()["problems"][0]["rule"] == "replay-running"
        assert count(county) == 0
    finally:
        runs._slots.release()
    first = followed(
        client, officer, client.post("/api/v1/replays", json=ask, headers=officer).json()
    )
    assert first["state"] == "finished"
    # the slot is free again once a run has finished, failed or not
    again = client.post("/api/v1/replays", json=ask, headers=officer)
    assert again.status_code == 202
    followed(client, officer, again.json())
