"""A service that shuts down pauses the payment run it carries, frees the lock, and the run resumes.

The API answers 202 and goes on paying in a thread. If the process stops (SIGTERM, a test
client closing) that thread must neither keep writing to an engine being disposed nor keep the
run lock from the next process; each batch commits on its own, so a paused run resumes.
"""

from __future__ import annotations

import time

from sqlalchemy import text

from benefits import payments
from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.auth import SYSTEM
from kernel.locks import try_lock


def _runner(app, engine, clock, **extra) -> payments.Runner:
    return payments.Runner(
        engine=engine,
        policy=app.state.policy,
        clock=clock,
        zone=app.state.settings.zone,
        actor=SYSTEM,
        **extra,
    )


def _state(engine, run_id: int) -> tuple[str, int, int]:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT state, done_through_case_id, last_case_id FROM payment_run WHERE id = :i"),
            {"i": run_id},
        ).one()
    return row.state, row.done_through_case_id, row.last_case_id


def test_pausing_background_runs_stops_after_a_batch_and_the_run_resumes(app, engine, clock):
    month = Month.parse("2026-03")
    generate(engine, 12, month, app.state.policy.at(month.first).version_id, seed=3)
    slow = _runner(app, engine, clock, batch_size=1, pause_after_batch=0.05)
    started = payments.begin(slow, "2026-03")
    assert started.lock is not None and started.run.id is not None
    thread = payments.run_in_background(slow, started)
    time.sleep(0.15)

    assert payments.background_runs.pause_all(timeout=10)
    assert not thread.is_alive()
    state, done, last = _state(engine, started.run.id)
    assert state == "running" and done < last  # paused part-way, not finished
    freed = try_lock(engine, payments.RUN_LOCK)
    assert freed is not None  # the next process can take the period on
    freed.release()

    again = payments.begin(_runner(app, engine, clock), "2026-03")
    assert again.run.id == started.run.id and again.lock is not None
    finished = payments.execute(_runner(app, engine, clock), again.run.id, again.lock)
    assert finished.state == "finished"
    with engine.connect() as connection:
        lines, cases = connection.execute(
            text("SELECT count(*), count(DISTINCT case_id) FROM payment_line WHERE run_id = :i"),
            {"i": started.run.id},
        ).one()
    assert lines == cases  # every case paid once, the paused batch not repeated


def test_a_client_closing_pauses_the_run_it_started(app, engine, clock, tokens):
    from litestar.testing import TestClient

    month = Month.parse("2026-03")
    generate(engine, 12, month, app.state.policy.at(month.first).version_id, seed=4)
    slow = _runner(app, engine, clock, batch_size=1, pause_after_batch=0.05)
    with TestClient(app, raise_server_exceptions=False):
        started = payments.begin(slow, "2026-03")
        assert started.lock is not None and started.run.id is not None
        thread = payments.run_in_background(slow, started)
        time.sleep(0.1)
    assert not thread.is_alive()  # the app's shutdown waited for it
    assert _state(engine, started.run.id)[0] == "running"
    freed = try_lock(engine, payments.RUN_LOCK)
    assert freed is not None
    freed.release()
