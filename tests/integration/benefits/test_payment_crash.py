"""A payment run killed with SIGKILL in the middle of a batch resumes and pays each case once.

``workbridge payments run`` runs as a real subprocess; the hidden ``--pause-after-batch``
makes each batch wait inside its transaction, and the test kills the process once two batches
are committed, so the third batch dies uncommitted. The expected amounts are computed here
case by case from the tables, apart from the batch machinery under test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Engine, text

from benefits.bench import generate
from benefits.payment_rules import (
    Month,
    Owed,
    Rounding,
    StatusSlice,
    in_ledger,
    regular_fen,
    settle,
)

PERIOD = "2026-03"
HOUSEHOLDS = 60
BATCH = 10
ROOT = Path(__file__).resolve().parents[3]


def read(engine: Engine, sql: str) -> list:
    """A read that never takes SQLite's write lock (the run under test holds it)."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        return connection.execute(text(sql)).all()


def expected_payments(engine: Engine, policy) -> tuple[dict[int, tuple[int, int]], int, int]:
    """case → (amount, carried), from the tables one case at a time; and how many adjustments
    the month settles and how many recoveries it deducts only in part."""
    month = Month.parse(PERIOD)
    rounding = Rounding.from_policy(policy.at(month.first))
    periods = defaultdict(list)
    for row in read(
        engine,
        "SELECT id, case_id, status, effective_from, effective_to, monthly_amount_fen "
        "FROM case_status_period ORDER BY case_id, effective_from",
    ):
        start = _day(row.effective_from)
        end = _day(row.effective_to) if row.effective_to else None
        if start <= month.last and (end is None or end >= month.first):
            periods[row.case_id].append(
                StatusSlice(row.id, row.status, start, end, row.monthly_amount_fen, "", "")
            )
    owed = defaultdict(list)
    for row in read(
        engine,
        "SELECT id, case_id, kind, amount_fen FROM payment_adjustment "
        "WHERE settled_period IS NULL ORDER BY case_id, created_at, id",
    ):
        owed[row.case_id].append(Owed(row.id, row.kind, row.amount_fen, "", ""))
    expected, settled, partial = {}, 0, 0
    for case_id in periods.keys() | owed.keys():
        if in_ledger(periods[case_id], owed[case_id]):
            result = settle(regular_fen(periods[case_id], month, rounding), owed[case_id])
            expected[case_id] = (result.amount_fen, result.carried_fen)
            settled += len(result.applied)
            partial += result.carry_rest_of is not None
    return expected, settled, partial


def _day(value):
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(value)


def command(*extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "workbridge.cli",
        "payments",
        "run",
        "--period",
        PERIOD,
        "--batch-size",
        str(BATCH),
        *extra,
    ]


def test_kill_9_in_the_middle_of_a_batch_then_resume(database_url: str, engine, app) -> None:
    policy = app.state.policy
    month = Month.parse(PERIOD)
    generate(engine, HOUSEHOLDS, month, policy.at(month.first).version_id, seed=41)
    expected, settled, partial = expected_payments(engine, policy)
    assert len(expected) > 4 * BATCH and sum(a for a, _ in expected.values()) > 0
    assert settled > 0 and partial > 0  # back pay and a recovery larger than its month
    env = {**os.environ, "WORKBRIDGE_DATABASE_URL": database_url, "COLUMNS": "120"}

    doomed = subprocess.Popen(
        command("--pause-after-batch", "0.5"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while read(engine, "SELECT count(*) FROM payment_line")[0][0] < 2 * BATCH:
        assert doomed.poll() is None, doomed.stderr.read().decode() if doomed.stderr else ""
        assert time.monotonic() < deadline, "the run did not get through two batches"
        time.sleep(0.05)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    assert doomed.returncode == -signal.SIGKILL

    [(state, lines, batches, done_through, last)] = read(
        engine,
        "SELECT state, lines, batches_done, done_through_case_id, last_case_id FROM payment_run",
    )
    written = read(engine, "SELECT count(*) FROM payment_line")[0][0]
    assert state == "running" and done_through < last
    assert 2 * BATCH <= written == lines < len(expected)  # the batch it died in left nothing
    assert done_through == batches * BATCH

    # Resume. On PostgreSQL the dead client's session may take a moment to end and free the
    # run's advisory lock; until then the command answers "in progress" (exit status 3).
    deadline = time.monotonic() + 30
    while True:
        resumed = subprocess.run(command(), cwd=ROOT, env=env, capture_output=True, timeout=120)
        if resumed.returncode != 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert resumed.returncode == 0, resumed.stdout.decode() + resumed.stderr.decode()
    assert b"Payment run 2026-03 (finished)" in resumed.stdout

    paid = {
        row.case_id: (row.amount_fen, row.carried_fen)
        for row in read(engine, "SELECT case_id, amount_fen, carried_fen FROM payment_line")
    }
    assert paid == expected
    assert read(engine, "SELECT count(*) FROM payment_line")[0][0] == len(expected)
    [(state, lines, total, batches)] = read(
        engine, "SELECT state, lines, total_fen, batches_done FROM payment_run"
    )
    assert (state, lines, total) == (
        "finished",
        len(expected),
        sum(amount for amount, _ in expected.values()),
    )
    assert batches == -(-HOUSEHOLDS // BATCH)  # every ID range committed exactly once
    # Adjustments settled once and a rest carried once, though one batch ran twice.
    assert read(
        engine,
        "SELECT (SELECT count(*) FROM payment_adjustment WHERE settled_period = '2026-03'), "
        "(SELECT count(*) FROM payment_adjustment WHERE source LIKE 'carried:%')",
    )[0] == (settled, partial)

    again = subprocess.run(command(), cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert again.returncode == 0 and b"paid in full already" in again.stdout
    assert read(engine, "SELECT count(*), sum(amount_fen) FROM payment_line")[0] == (
        len(expected),
        total,
    )
