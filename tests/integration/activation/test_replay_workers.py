"""The replay priced in parts on worker processes gives what one pass gives: the same figures,
the same gate and the same examples, in the same order — on a county with continuations,
sanctions, appeals and re-entries, under a grid of reforms; and the caseload's parts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session
from test_replay import PAID, pay

from activation.replay.engine import run_replays
from activation.replay.grid import parse_grid
from activation.replay.reads import parts_of
from benefits.payment_rules import Month
from support import move_to
from workbridge.demo import load_demo

TODAY = date(2026, 10, 20)
FIRST, LAST = Month(2026, 1), Month(2026, 10)
GRID = (
    "activation.refusal.threshold=1,3",
    "continuation.months=3,12",
    "benefits.urban.standard=500,900",
)


@pytest.fixture
def county(engine, app, clock):
    move_to(clock, TODAY)
    load_demo(engine, app.state.policy, households=120, today=TODAY, seed=11)
    for period in PAID:
        pay(engine, app, clock, period)
    return engine


def replays(county, app, workers: int, peaks=None, chunk: int = 17):
    reforms, problems = parse_grid(list(GRID), ["reentry.window_months=1"], app.state.policy)
    assert problems == []
    return run_replays(
        county,
        app.state.policy,
        first=FIRST,
        last=LAST,
        reforms=reforms,
        today=TODAY,
        chunk=chunk,
        workers=workers,
        peaks=peaks,
    )


def test_two_and_three_workers_give_what_one_pass_gives(county, app) -> None:
    alone = replays(county, app, 1)
    assert len(alone) == 8 and alone[0]["gate"]["passed"] is True
    assert any(r["difference"] != "0.00" for r in alone)  # the reforms move money here
    peaks: list[float] = []
    assert replays(county, app, 2, peaks) == alone
    assert len(peaks) == 2 and all(p > 0 for p in peaks)
    assert replays(county, app, 3) == alone


def test_a_failing_gate_lists_the_same_examples_in_parts(county, app) -> None:
    from sqlalchemy import text

    with county.begin() as connection:  # every ledger line of September a fen out
        connection.execute(
            text("UPDATE payment_line SET regular_fen = regular_fen + 1 WHERE period = '2026-09'")
        )
    alone = replays(county, app, 1)
    gate = alone[0]["gate"]
    assert gate["passed"] is False and gate["differences"]["ledger"] > 20
    assert len(gate["examples"]) == 20
    assert replays(county, app, 2, chunk=5) == alone


def test_the_caseload_in_parts(county) -> None:
    with Session(county) as session:
        ids = [r[0] for r in session.execute(text_ids()).all()]
        two = parts_of(session, 2)
        assert two[0][0] == ids[0] and two[-1][1] == ids[-1]
        assert two[0][1] < two[1][0]  # contiguous, in order, no case in two parts
        sizes = [sum(1 for i in ids if low <= i <= high) for low, high in two]
        assert abs(sizes[0] - sizes[1]) <= 1 and sum(sizes) == len(ids)
        assert len(parts_of(session, len(ids) + 5)) == len(ids)  # never an empty part
        township = parts_of(session, 2, "定城镇")
        assert township and all(low <= high for low, high in township)
        assert parts_of(session, 2, "no such office") == []


def text_ids():
    from sqlalchemy import text

    return text("SELECT id FROM benefit_case ORDER BY id")


def test_the_command_with_workers(county, database_url, monkeypatch, capsys) -> None:
    import json

    from workbridge.cli import main

    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    args = ["replay", "--from", "2026-01", "--to", "2026-10", "--format", "json"]
    args += ["--set", "continuation.months=3"]
    assert main([*args, "--workers", "1"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main([*args, "--workers", "2"]) == 0
    assert json.loads(capsys.readouterr().out) == alone
    for bad in ("0", "17", "two"):
        with pytest.raises(SystemExit) as exited:
            main([*args, "--workers", bad])
        assert exited.value.code == 2
        assert "--workers" in capsys.readouterr().err
