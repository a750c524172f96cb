"""The scheduler: claims make repeated jobs no-ops, one leader per database, office time zone.

Everything here runs on SQLite and on PostgreSQL alike: on PostgreSQL leadership is an advisory
lock, on SQLite a lock on a file beside the database, and both are tested the same way (two
holders in one process, and a holder in another process killed with SIGKILL).
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from activation import services as activation
from benefits.bench import generate
from benefits.payment_rules import Month
from kernel import audit
from kernel.auth import SYSTEM
from kernel.db import make_engine
from kernel.locks import try_lock
from kernel.settings import Settings
from tests.support import CommandProcess
from workbridge import jobs
from workbridge.app import create_app
from workbridge.cli import main
from workbridge.scheduler import LEADER_LOCK


@pytest.fixture
def env(engine, app, clock) -> jobs.JobEnv:
    return jobs.JobEnv(engine, app.state.policy, clock, app.state.settings.zone)


@pytest.fixture
def sweeps(monkeypatch) -> list[date]:
    """Record every day the real daily sweep is actually run for."""
    calls: list[date] = []
    real = activation.daily_sweep

    def counted(ctx):
        calls.append(ctx.today)
        time.sleep(0.2)  # widen the window in which a second caller could slip in
        return real(ctx)

    monkeypatch.setattr(activation, "daily_sweep", counted)
    return calls


def claims(engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT job, period FROM job_claim ORDER BY job, period")
            )
        ]


def test_a_second_run_for_the_same_day_does_nothing(env, engine, sweeps) -> None:
    assert env.today() == date(2026, 2, 20)
    first = jobs.daily_sweep(env)
    assert first is not None and set(first) >= {"sanctions_started", "reminders"}
    assert jobs.daily_sweep(env) is None
    assert jobs.daily_sweep(env, date(2026, 2, 20)) is None
    assert sweeps == [date(2026, 2, 20)]
    assert jobs.daily_sweep(env, date(2026, 2, 19)) is not None  # a missed day, once
    assert sweeps == [date(2026, 2, 20), date(2026, 2, 19)]
    assert claims(engine) == [("daily-sweep", "2026-02-19"), ("daily-sweep", "2026-02-20")]
    with pytest.raises(ValueError, match="has not come yet"):
        jobs.daily_sweep(env, date(2026, 2, 21))


def test_the_claim_commits_or_rolls_back_with_the_jobs_effects(env, engine, monkeypatch) -> None:
    def half_done(ctx):
        audit.record(
            ctx.session, actor=SYSTEM, at=ctx.now, entity="sweep", entity_id=0, action="began"
        )
        ctx.session.flush()
        raise RuntimeError("the database went away")

    monkeypatch.setattr(activation, "daily_sweep", half_done)
    with pytest.raises(RuntimeError):
        jobs.daily_sweep(env)
    with engine.connect() as connection:
        began = connection.execute(
            text("SELECT count(*) FROM audit_record WHERE entity = 'sweep'")
        ).scalar_one()
    assert (claims(engine), began) == ([], 0)
    monkeypatch.undo()
    assert jobs.daily_sweep(env) is not None  # nothing claimed it, so it runs now
    assert claims(engine) == [("daily-sweep", "2026-02-20")]


def test_two_callers_at_the_same_moment_sweep_once(env, engine, sweeps) -> None:
    barrier = threading.Barrier(2)
    results: list[object] = []

    def call() -> None:
        barrier.wait()
        results.append(jobs.daily_sweep(env))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2 and results.count(None) == 1
    assert sweeps == [date(2026, 2, 20)]
    assert claims(engine) == [("daily-sweep", "2026-02-20")]


def test_one_leader_per_database(database_url, engine) -> None:
    other = make_engine(database_url)  # a second pool: another connection, as another process
    try:
        leader = try_lock(engine, LEADER_LOCK)
        assert leader is not None and leader.alive()
        assert try_lock(other, LEADER_LOCK) is None
        assert try_lock(engine, LEADER_LOCK) is None  # not even from the same pool
        unrelated = try_lock(other, "payment-run")
        assert unrelated is not None  # other names are other locks
        unrelated.release()
        leader.release()
        assert not leader.alive()
        successor = try_lock(other, LEADER_LOCK)
        assert successor is not None
        successor.release()
    finally:
        other.dispose()


def test_a_lock_dropped_without_release_is_freed(database_url, engine) -> None:
    """A holder that forgets to release (an error path, a test) must not leave the lock held
    by an idle pooled connection for the rest of the process's life."""
    other = make_engine(database_url)
    try:
        held = try_lock(engine, "payment-run")
        assert held is not None
        assert try_lock(other, "payment-run") is None
        del held
        gc.collect()
        taken = try_lock(other, "payment-run")
        assert taken is not None
        taken.release()
    finally:
        other.dispose()


def test_a_leader_killed_with_sigkill_frees_leadership(database_url, engine) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from kernel.db import make_engine\n"
            "from kernel.locks import try_lock\n"
            f"lock = try_lock(make_engine({database_url!r}), {LEADER_LOCK!r})\n"
            "print('held' if lock else 'refused', flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        env=dict(os.environ),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        assert try_lock(engine, LEADER_LOCK) is None
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    deadline = time.monotonic() + 20
    taken = try_lock(engine, LEADER_LOCK)
    while taken is None and time.monotonic() < deadline:
        time.sleep(0.1)
        taken = try_lock(engine, LEADER_LOCK)
    assert taken is not None
    taken.release()


def wait_for(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_service_runs_the_scheduler_when_asked(database_url, clock) -> None:
    settings = Settings(
        database_url=database_url,
        timezone="Asia/Urumqi",
        scheduler=True,
        sweep_at="02:15",
        payment_run_day=3,
    )
    first, second = create_app(settings, clock=clock), create_app(settings, clock=clock)
    with TestClient(first), TestClient(second):
        both = (first.state.scheduler, second.state.scheduler)
        wait_for(lambda: any(s.is_leader for s in both))  # whichever started first leads
        leader, standby = both if both[0].is_leader else both[::-1]
        assert standby.check_leadership() is False and not standby.is_leader
        assert {j.id for j in standby.scheduler.get_jobs()} == {"leadership"}

        zone = ZoneInfo("Asia/Urumqi")
        assert leader.scheduler.timezone == zone
        scheduled = {job.id: job for job in leader.scheduler.get_jobs()}
        assert {"leadership", "daily-sweep", "payment-run"} <= set(scheduled)
        for job in scheduled.values():
            assert job.trigger.timezone == zone, job.id
        sweep = {f.name: str(f) for f in scheduled["daily-sweep"].trigger.fields}
        assert (sweep["hour"], sweep["minute"]) == ("2", "15")
        pay = {f.name: str(f) for f in scheduled["payment-run"].trigger.fields}
        assert (pay["day"], pay["hour"]) == ("3", "2")
        # The new leader sweeps today at once (Urumqi is two hours behind Shanghai).
        engine = first.state.engine
        wait_for(lambda: ("daily-sweep", "2026-02-20") in claims(engine))
    assert first.state.scheduler is None and second.state.scheduler is None
    assert not leader.is_leader
    assert not leader.scheduler.running
    freed = try_lock(make_engine(database_url), LEADER_LOCK)
    assert freed is not None
    freed.release()


def test_closing_the_service_waits_for_the_scheduler_job_in_hand(
    database_url, clock, monkeypatch
) -> None:
    """A job left running after the service let its database go went on writing while the
    next user of the tables (a restore, a test's cleanup) already worked on them: CI once saw
    the partitions made ahead deadlock with the next test's TRUNCATE."""
    started, finished = threading.Event(), []

    def slow_partitions(env: jobs.JobEnv) -> tuple[list[str], list[str]]:
        started.set()
        time.sleep(0.5)
        finished.append(time.monotonic())
        return [], []

    monkeypatch.setattr(jobs, "partitions_ahead", slow_partitions)
    app = create_app(Settings(database_url=database_url, scheduler=True), clock=clock)
    with TestClient(app):
        assert started.wait(30), "the new leader's catch-up never reached the partitions"
    closed = time.monotonic()
    assert finished and finished[0] <= closed


def test_a_stopping_scheduler_ends_its_payment_run_after_the_batch_in_hand(
    database_url, clock, monkeypatch
) -> None:
    handed: list[threading.Event | None] = []
    monkeypatch.setattr(
        jobs, "payment_run", lambda env, period=None, stop=None: handed.append(stop)
    )
    app = create_app(Settings(database_url=database_url, scheduler=True), clock=clock)
    with TestClient(app):
        scheduler = app.state.scheduler
        wait_for(lambda: scheduler.is_leader)
        scheduler._pay()
        assert handed == [scheduler.stopping] and not scheduler.stopping.is_set()
    assert scheduler.stopping.is_set()  # the service stopped: a run in hand ends after its batch


def test_operators_run_a_job_once(database_url, engine, app, monkeypatch, capsys) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "120")
    once = ["scheduler", "run-once", "--job"]
    assert main([*once, "daily-sweep", "--day", "2026-02-01"]) == 0
    assert "daily-sweep for 2026-02-01: {" in capsys.readouterr().out
    assert main([*once, "daily-sweep", "--day", "2026-02-01"]) == 0
    assert "was done already; nothing ran" in capsys.readouterr().out
    assert main([*once, "daily-sweep", "--day", "2026-02-30"]) == 2
    assert main([*once, "daily-sweep", "--day", "2999-01-01"]) == 2
    assert main([*once, "payment-run", "--day", "2026-02-01"]) == 2

    month = Month.parse("2026-03")
    generate(engine, 12, month, app.state.policy.at(month.first).version_id, seed=1)
    assert main([*once, "payment-run", "--period", "2026-03"]) == 0
    assert "Payment run 2026-03 (finished)" in capsys.readouterr().out
    assert main([*once, "payment-run", "--period", "2026-03"]) == 0
    assert "done already" in capsys.readouterr().out
    assert claims(engine) == [("daily-sweep", "2026-02-01"), ("payment-run", "2026-03")]


def test_standing_scheduler_processes_take_over_from_a_leader_killed(database_url, engine) -> None:
    env = {"WORKBRIDGE_DATABASE_URL": database_url, "WORKBRIDGE_SCHEDULER_CHECK_SECONDS": "1"}
    first = CommandProcess(env, "scheduler", "run")
    second = None
    try:
        wait_for(lambda: first.said("this process leads the scheduler"), 30)
        assert try_lock(engine, LEADER_LOCK) is None
        second = CommandProcess(env, "scheduler", "run")
        wait_for(lambda: second.said("checked every 1 s"), 30)
        time.sleep(2.5)  # two chances to take the lead, while the first holds it
        assert not second.said("leads")
        first.kill()
        wait_for(lambda: second.said("this process leads the scheduler"), 15)
        assert second.stop(30) == 0
        freed = try_lock(engine, LEADER_LOCK)  # stopping gave the lead up
        assert freed is not None
        freed.release()
    finally:
        for standing in (first, second):
            if standing is not None:
                standing.kill()


def test_operators_raise_the_oversight_tasks_by_hand(
    database_url, engine, monkeypatch, capsys
) -> None:
    """On the known county (stops running since May), this month's and last month's alerts
    become tasks with the settings of the environment: at a ratio limit of 1.3 the women's
    1.2752 does not fire, 北街社区 does, in both months."""
    from oversight_support import build, known_county

    build(engine, known_county(), date(2026, 5, 1))
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKBRIDGE_OVERSIGHT_RATIO_HIGH", "1.3")
    once = ["scheduler", "run-once", "--job", "oversight-tasks"]
    assert main(once) == 0
    assert "oversight-tasks: 2 new" in capsys.readouterr().out
    assert main(once) == 0
    assert "oversight-tasks: 0 new" in capsys.readouterr().out
    assert main([*once, "--day", "2026-05-01"]) == 2
    with engine.connect() as conn:
        raised = conn.execute(text("SELECT alert, subject, owner FROM oversight_task")).all()
    assert sorted(set(raised)) == [("office-above-median", "community:北街社区", "supervisor")]
