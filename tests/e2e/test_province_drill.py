"""A province on one machine (issue 15's drill, scaled down): a PostgreSQL primary and a
streaming replica, PgBouncer from deploy/ in front of the primary, two `workbridge serve`
processes, an SMS worker and two schedulers — all real processes on loopback. The office's
reads and writes go through both serve processes; a month's payment run is killed half-way with
SIGKILL and resumed through the service; then the leading scheduler and one serve process are
killed: the other scheduler leads, the other serve process answers, and the ledger holds one
line per case — nothing lost, nothing doubled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.db import make_engine
from kernel.policy import load_profile
from kernel.replica import READ_AFTER_HEADER
from tests.conftest import Tokens
from tests.support import CommandProcess, household, mother_and_child
from workbridge import migrations
from workbridge.loopback_cluster import free_port, start_pgbouncer, start_primary, start_replica

# Measures or loads real servers, or kills their processes: run alone (`-m alone`), never beside
# another test on a shared machine's two cores.
pytestmark = pytest.mark.alone

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
HOUSEHOLDS = 300
MONTH = Month(2026, 3)


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).is_success
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def province() -> Iterator[dict[str, object]]:
    primary = start_primary()
    replica = bouncer = None
    try:
        direct = primary.create_database("workbridge")
        migrations.upgrade(direct, quiet=True)
        engine = make_engine(direct)
        version = load_profile("county-pilot").at(MONTH.first).version_id
        generate(engine, HOUSEHOLDS, MONTH, version, seed=15)
        now = datetime.now(UTC)
        tokens = Tokens(engine, now)
        replica = start_replica(primary)
        bouncer = start_pgbouncer(primary, DEPLOY / "pgbouncer" / "pgbouncer.ini")
        env = {
            "WORKBRIDGE_DATABASE_URL": bouncer.url(),
            "WORKBRIDGE_DATABASE_POOLER": "transaction",
            "WORKBRIDGE_DIRECT_DATABASE_URL": direct,
            "WORKBRIDGE_READ_DATABASE_URL": replica.url("workbridge"),
            "WORKBRIDGE_SCHEDULER_CHECK_SECONDS": "1",
            "WORKBRIDGE_LOG_FORMAT": "json",
            "WORKBRIDGE_THREADS": "4",
        }
        yield {
            "primary": primary,
            "engine": engine,
            "tokens": tokens,
            "env": env,
        }
        engine.dispose()
    finally:
        if bouncer is not None:
            bouncer.stop()
        if replica is not None:
            replica.remove()
        primary.remove()


def test_a_province_on_loopback_pays_and_survives_its_processes_killed(province) -> None:
    env = province["env"]
    tokens = province["tokens"]
    engine = province["engine"]
    assert isinstance(env, dict) and isinstance(tokens, Tokens)
    officer = tokens.headers("benefit_officer")
    counsellor = tokens.headers("counsellor")
    ports = [free_port(), free_port()]
    serves = [CommandProcess(env, "serve", "--port", str(port)) for port in ports]
    schedulers: list[CommandProcess] = []
    worker = None
    try:
        for port in ports:
            wait_for(lambda port=port: _up(port), 90, f"serve on {port}")
        schedulers = [CommandProcess(env, "scheduler", "run") for _ in range(2)]
        worker = CommandProcess(env, "sms", "worker")
        wait_for(
            lambda: sum(s.said("this process leads the scheduler") for s in schedulers) == 1,
            60,
            "one scheduler to lead",
        )
        health = httpx.get(f"http://127.0.0.1:{ports[0]}/health").json()
        assert health["replica"] == "ok"

        # The office's day, spread over both processes: writes on one, the writer's reads on
        # the other carrying the position it was handed.
        failures: list[str] = []

        def office(turn: int) -> None:
            with httpx.Client(timeout=30) as client:
                for round_ in range(8):
                    write, read = ports[(turn + round_) % 2], ports[(turn + round_ + 1) % 2]
                    made = client.post(
                        f"http://127.0.0.1:{write}/api/v1/households",
                        json=household(*mother_and_child()),
                        headers=officer,
                    )
                    if made.status_code != 201:
                        failures.append(f"create {made.status_code}")
                        continue
                    seen = client.get(
                        f"http://127.0.0.1:{read}/api/v1/households/{made.json()['id']}",
                        headers={**officer, READ_AFTER_HEADER: made.headers[READ_AFTER_HEADER]},
                    )
                    if seen.status_code != 200:
                        failures.append(f"read own write {seen.status_code}")
                    listed = client.get(
                        f"http://127.0.0.1:{read}/api/v1/payments/runs", headers=counsellor
                    )
                    if listed.status_code not in (200, 403):
                        failures.append(f"list {listed.status_code}")

        clerks = [threading.Thread(target=office, args=(turn,)) for turn in range(4)]
        for clerk in clerks:
            clerk.start()
        for clerk in clerks:
            clerk.join()
        assert failures == []

        # The month's payment run, begun by an operator in small batches and killed half-way
        # with SIGKILL: its batches done stay done, and its lock dies with it.
        paying = CommandProcess(
            env, "payments", "run", "--period", MONTH.label, "--batch-size", "1"
        )

        def half_way() -> bool:
            with engine.connect() as connection:
                done = connection.execute(
                    text("SELECT batches_done FROM payment_run WHERE period = :p"),
                    {"p": MONTH.label},
                ).scalar()
            return bool(done) and paying.process.poll() is None

        wait_for(half_way, 60, "the run to be half-way")
        paying.kill()
        with engine.connect() as connection:
            state, done = connection.execute(
                text("SELECT state, batches_done FROM payment_run WHERE period = :p"),
                {"p": MONTH.label},
            ).one()
        assert state == "running" and done > 0

        # Resumed through one serve process and followed on the other.
        with httpx.Client(timeout=60) as client:
            started = client.post(
                f"http://127.0.0.1:{ports[0]}/api/v1/payments/runs",
                json={"period": MONTH.label},
                headers=officer,
            )
            assert started.status_code in (200, 202), started.text
            run_id = started.json()["id"]

            seen: dict[str, object] = {}

            answers: list[str] = []

            def finished() -> bool:
                answer = client.get(
                    f"http://127.0.0.1:{ports[1]}/api/v1/payments/runs/{run_id}",
                    headers=officer,
                )
                if answer.status_code != 200:
                    answers.append(f"{answer.status_code} {answer.text[:200]}")
                    return False
                seen.update(answer.json())
                return seen["state"] == "finished"

            try:
                wait_for(finished, 120, "the payment run")
            except AssertionError as timed_out:
                raise AssertionError(f"{timed_out}; other answers: {answers[-5:]}") from None
            assert isinstance(seen["lines"], int) and seen["lines"] > HOUSEHOLDS // 2

        # Faults: the leading scheduler and the first serve process die without warning.
        leader = next(s for s in schedulers if s.said("this process leads the scheduler"))
        standby = next(s for s in schedulers if s is not leader)
        leader.kill()
        serves[0].kill()
        wait_for(
            lambda: standby.said("this process leads the scheduler"), 30, "the standby to lead"
        )
        with httpx.Client(timeout=30) as client:
            for _ in range(10):
                made = client.post(
                    f"http://127.0.0.1:{ports[1]}/api/v1/households",
                    json=household(*mother_and_child()),
                    headers=officer,
                )
                assert made.status_code == 201, made.text
            again = client.post(
                f"http://127.0.0.1:{ports[1]}/api/v1/payments/runs",
                json={"period": MONTH.label},
                headers=officer,
            )
            assert again.status_code in (200, 202, 409), again.text

        with engine.connect() as connection:
            lines, cases = connection.execute(
                text(
                    "SELECT count(*), count(DISTINCT case_id) FROM payment_line "
                    "WHERE period = :period"
                ),
                {"period": MONTH.label},
            ).one()
        # One line per case, as many as the run counted: the second start, after the faults,
        # added none.
        assert lines == cases == seen["lines"]
    finally:
        for process in [*serves, *schedulers, *([worker] if worker else [])]:
            process.stop()
