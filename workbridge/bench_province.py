"""``workbridge bench province``: a province on one machine, each figure beside one database.

What runs, all real processes on loopback (issue 15; docs/DEPLOYMENT.md *A province*):

- a PostgreSQL primary with the durability of ``deploy/postgresql`` (fsync, synchronous commit,
  full-page writes) and its memory scaled to this machine, and a streaming hot standby of it,
  started before the county is generated so it replicates the generation too;
- PgBouncer in transaction pooling with ``deploy/pgbouncer/pgbouncer.ini`` in front of the
  primary;
- two ``workbridge serve`` processes, then an SMS worker sending to a Kannel-compatible gateway
  and two ``workbridge scheduler run`` processes (one leads).

The county (``workbridge.bench_load.build_county``: households, cases, job seekers, offers to
answer, registrations due) is generated once, then copied on the same server
(``CREATE DATABASE … TEMPLATE``): the copy is served the way a county is, one database and no
replica, and the original the province's way. Both copies get the same work in the same order
— a mixed office day from the load generator at both serve processes, the month's payment run
(``workbridge payments run``, the operator's command), the daily sweep — so each province figure
stands beside the same figure on one database, measured minutes apart on the same server.

Then the fault step, on the province only: job offers queued for the SMS worker, next month's
payment run started through the first serve process, and a mixed day running — and, mid-work,
SIGKILL to that serve process, the SMS worker and the leading scheduler. The run is resumed
through the other serve process, a new worker is started, the standby scheduler takes the
lead; then the ledger must hold one line per case and month, the gateway one delivery per
message, and the outbox every message sent.

Figures are printed, never asserted: they depend on the machine. The machine, the servers'
versions and settings, and the load average are printed beside them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from benefits.payment_rules import Month
from kernel.clock import SystemClock, office_today
from kernel.db import make_engine
from kernel.memory import peak_memory_mib, reset_peak_memory
from kernel.policy import load_profile
from kernel.settings import Settings
from notifications.services import SendingRules
from workbridge import bench_sms_support as sms_support
from workbridge import migrations
from workbridge.bench_load import (
    LoadOptions,
    Office,
    Served,
    build_county,
    database_version,
    describe_machine,
    drive,
    mixed_kinds,
)
from workbridge.bench_sweep import sweep_day
from workbridge.child_process import ChildProcess
from workbridge.loopback_cluster import Cluster, start_pgbouncer, start_primary
from workbridge.loopback_cluster import start_replica as start_standby

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SINGLE = "one database"
PROVINCE = "province"
# deploy/postgresql/workbridge.conf's durability, its memory scaled to a 24 GiB machine that
# also runs the standby, both serve processes and the load generator.
SERVER_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "shared_buffers": "3GB",
    "effective_cache_size": "12GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "15min",
    "wal_keep_size": "4GB",
    "hot_standby_feedback": "on",
    "max_connections": "200",
}
SMS_MESSAGES = 5_000
DAY_ROWS = (
    ("mixed office day", "requests/s"),
    ("mixed office day", "p50 ms (the slower process)"),
    ("mixed office day", "p95 ms (the slower process)"),
    ("mixed office day", "p99 ms (the slower process)"),
    ("mixed office day", "5xx answers"),
    ("mixed office day", "transport errors"),
    ("payment run", "seconds"),
    ("payment run", "households/s"),
    ("payment run", "lines"),
    ("daily sweep", "seconds"),
    ("daily sweep", "SQL statements"),
)
# the mixed day's slices of offers and registrations: each copy's day gets the same two, the
# fault step two more
DAY_PARTS = 4


@dataclass(frozen=True)
class ProvinceOptions:
    households: int = 2_000_000
    seconds: float = 20.0
    connections: int = 32  # over both serve processes
    seed: int = 2026
    keep: bool = False


@dataclass(frozen=True)
class Figure:
    step: str
    measure: str
    single: str
    province: str


@dataclass
class ProvinceReport:
    machine: str
    database: str
    settings: dict[str, str]
    households: int
    seconds: float
    connections: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    figures: list[Figure] = field(default_factory=list)
    fault: list[str] = field(default_factory=list)
    fault_held: bool = False
    notes: list[str] = field(default_factory=list)
    peak_memory_mib: float = 0.0
    serve_peak_mib: dict[str, float] = field(default_factory=dict)

    def add(self, step: str, measure: str, single: Any, province: Any) -> None:
        self.figures.append(Figure(step, measure, _cell(single), _cell(province)))

    def as_json(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "database": self.database,
            "settings": self.settings,
            "households": self.households,
            "seconds": self.seconds,
            "connections": self.connections,
            "load_before": self.load_before,
            "load_after": self.load_after,
            "figures": [vars(f) for f in self.figures],
            "fault": self.fault,
            "fault_held": self.fault_held,
            "notes": self.notes,
            "peak_memory_mib": self.peak_memory_mib,
            "serve_peak_mib": self.serve_peak_mib,
        }


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class Background(ChildProcess):
    """A ``workbridge`` command in its own process group, its output kept in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        super().__init__(name, [sys.executable, "-m", "workbridge.cli", *args], env, folder)


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise RuntimeError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - started


def _caught_up(primary: Cluster, standby: Cluster) -> bool:
    written = primary.scalar("SELECT pg_current_wal_lsn()")
    return bool(
        standby.scalar(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn", "postgres")
    )


def _peak_mib(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def _scratch(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="workbridge-bench-province-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def run_province(
    options: ProvinceOptions, progress: Callable[[str], None] = lambda _: None
) -> ProvinceReport:
    """Build the province, measure both ways, then kill its processes mid-work."""
    measuring = reset_peak_memory()
    settings = Settings.from_env()
    with _scratch(options.keep) as folder, contextlib.ExitStack() as servers:
        progress("starting the primary and its streaming standby")
        primary = start_primary(SERVER_SETTINGS)
        servers.callback(primary.remove)
        province_url = primary.create_database("workbridge")
        migrations.upgrade(province_url, quiet=True)
        standby = start_standby(primary)
        servers.callback(standby.remove)
        engine = make_engine(province_url)
        report = ProvinceReport(
            machine=describe_machine(),
            database=database_version(engine),
            settings=SERVER_SETTINGS,
            households=options.households,
            seconds=options.seconds,
            connections=options.connections,
            load_before=os.getloadavg(),
        )
        started = time.perf_counter()
        office = build_county(engine, settings, options.households, options.seed, progress)
        generated = time.perf_counter() - started
        engine.dispose()
        report.add("generate the county", "households/s", None, options.households / generated)
        replayed = _wait(lambda: _caught_up(primary, standby), 3600, "the standby")
        report.add("standby replays the generation", "s after it ended", None, replayed)

        # A county's first sweep opens every obliged member's duty at once; every day after,
        # only what changed. Made once, before the copy, so both copies sweep a usual day.
        progress("the county's first sweep (yesterday: every duty opened)")
        first = _sweep({"WORKBRIDGE_DATABASE_URL": province_url}, settings, days_back=1)
        report.add("first sweep, before the copy", "seconds", None, first[SWEEP_SECONDS])
        report.notes.append(f"the first sweep did: {first[SWEEP_DONE]}")
        progress("copying the county for the one-database run")
        started = time.perf_counter()
        with primary.connect() as connection:
            connection.execute('CREATE DATABASE "single" TEMPLATE "workbridge" STRATEGY FILE_COPY')
        copied = time.perf_counter() - started
        report.add("copy the county (CREATE DATABASE … TEMPLATE)", "s", copied, None)
        bouncer = start_pgbouncer(primary, DEPLOY / "pgbouncer" / "pgbouncer.ini")
        servers.callback(bouncer.stop)
        base = {
            **os.environ,
            "WORKBRIDGE_LOG_LEVEL": "WARNING",
            "WORKBRIDGE_SMS_CALLBACK_TOKEN": office.callback,
            "WORKBRIDGE_SMS_GATEWAY": "console",
            "WORKBRIDGE_SCHEDULER": "off",
            "WORKBRIDGE_SMS_WORKER_IN_APP": "false",
            "WORKBRIDGE_SCHEDULER_CHECK_SECONDS": "1",
        }
        for name in ("WORKBRIDGE_READ_DATABASE_URL", "WORKBRIDGE_DATABASE_POOLER"):
            base.pop(name, None)
        envs = {
            SINGLE: {**base, "WORKBRIDGE_DATABASE_URL": primary.url("single")},
            PROVINCE: {
                **base,
                "WORKBRIDGE_DATABASE_URL": bouncer.url("workbridge"),
                "WORKBRIDGE_DATABASE_POOLER": "transaction",
                "WORKBRIDGE_DIRECT_DATABASE_URL": province_url,
                "WORKBRIDGE_READ_DATABASE_URL": standby.url("workbridge"),
            },
        }
        engines = {SINGLE: make_engine(primary.url("single")), PROVINCE: make_engine(province_url)}
        servers.callback(lambda: [e.dispose() for e in engines.values()])
        month = Month.of(date.today())
        day_figures: dict[str, dict[tuple[str, str], Any]] = {}
        serves: dict[str, list[Served]] = {}
        for way in (SINGLE, PROVINCE):
            progress(f"{way}: two serve processes")
            serves[way] = [
                Served(
                    f"{way.replace(' ', '-')}-serve-{n + 1}",
                    [sys.executable, "-m", "workbridge.cli", "serve"],
                    envs[way],
                    folder,
                )
                for n in range(2)
            ]
            for served in serves[way]:
                served.wait_ready(1)
            progress(f"{way}: a mixed office day, {options.connections} connections")
            day_figures[way] = _office_day(folder, serves[way], office, options, (0, 1), way)
            progress(f"{way}: the month's payment run")
            day_figures[way].update(_pay(envs[way], engines[way], month, folder))
            progress(f"{way}: the daily sweep")
            day_figures[way].update(_sweep(envs[way], settings))
            report.notes.append(f"{way}: the daily sweep did: {day_figures[way][SWEEP_DONE]}")
            if way == SINGLE:
                for served in serves[way]:
                    report.serve_peak_mib[served.name] = max(map(_peak_mib, served.processes()))
                    served.stop()
        for step, key in DAY_ROWS:
            row = (step, key)
            report.add(step, key, day_figures[SINGLE][row], day_figures[PROVINCE][row])
        progress("province: the fault step")
        report.fault, report.fault_held = _fault_step(
            folder,
            envs[PROVINCE],
            engines[PROVINCE],
            serves[PROVINCE],
            office,
            options,
            month,
            settings,
            progress,
        )
        for served in serves[PROVINCE]:
            if served.process.poll() is None:  # the first was killed in the fault step
                report.serve_peak_mib[served.name] = max(map(_peak_mib, served.processes()))
            served.stop()
        report.load_after = os.getloadavg()
        report.peak_memory_mib = peak_memory_mib(measuring)
        return report


# --- the steps --------------------------------------------------------------------------------


def _office_day(
    folder: Path,
    serves: list[Served],
    office: Office,
    options: ProvinceOptions,
    parts: tuple[int, int],
    nonce: str,
) -> dict[str, Any]:
    """The load generator at both serve processes at once, half the connections each."""
    load = LoadOptions(seconds=options.seconds, warmup=2.0, seed=options.seed)
    results: list[dict[str, Any]] = [{}, {}]

    def one(index: int) -> None:
        driven = drive(
            folder,
            serves[index].port,
            mixed_kinds(office, parts[index], DAY_PARTS),
            max(1, options.connections // 2),
            load,
            f"{nonce}-{index}".replace(" ", "-"),
            serving=serves[index].processes,
        )
        results[index] = driven.result

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _day_figures(results)


def _day_figures(results: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    answered = [r for r in results if r]
    day = "mixed office day"
    return {
        (day, "requests/s"): sum(float(r["per_second"]) for r in answered),
        (day, "p50 ms (the slower process)"): max(r["latency_ms"]["p50"] for r in answered),
        (day, "p95 ms (the slower process)"): max(r["latency_ms"]["p95"] for r in answered),
        (day, "p99 ms (the slower process)"): max(r["latency_ms"]["p99"] for r in answered),
        (day, "5xx answers"): sum(int(r["server_errors"]) for r in answered),
        (day, "transport errors"): sum(sum(r["transport_errors"].values()) for r in answered),
    }


def _lines(engine: Engine, month: Month) -> tuple[int, int]:
    with engine.connect() as connection:
        lines, cases = connection.execute(
            text("SELECT count(*), count(DISTINCT case_id) FROM payment_line WHERE period = :p"),
            {"p": month.label},
        ).one()
    return int(lines), int(cases)


def _pay(env: dict[str, str], engine: Engine, month: Month, folder: Path) -> dict[str, Any]:
    """The month's run as an operator starts it: ``workbridge payments run``."""
    started = time.perf_counter()
    paid = subprocess.run(
        [sys.executable, "-m", "workbridge.cli", "payments", "run", "--period", month.label],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=7200,
        check=False,
    )
    seconds = time.perf_counter() - started
    if paid.returncode != 0:
        raise RuntimeError(f"the payment run failed:\n{paid.stdout[-2000:]}{paid.stderr[-2000:]}")
    lines, _ = _lines(engine, month)
    households = _households(engine)
    return {
        ("payment run", "seconds"): seconds,
        ("payment run", "households/s"): households / seconds if seconds else 0.0,
        ("payment run", "lines"): lines,
    }


def _households(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM household")).scalar_one())


SWEEP_SECONDS = ("daily sweep", "seconds")
SWEEP_DONE = ("daily sweep", "what it did")


def _sweep(env: dict[str, str], settings: Settings, days_back: int = 0) -> dict[str, Any]:
    """A day's sweep (today's, or ``days_back`` before) as the scheduler's leader runs it,
    through the same pooler."""
    engine = make_engine(
        env["WORKBRIDGE_DATABASE_URL"],
        pooler=env.get("WORKBRIDGE_DATABASE_POOLER", "none"),
        direct=env.get("WORKBRIDGE_DIRECT_DATABASE_URL"),
    )
    try:
        zone = settings.zone
        day = office_today(SystemClock(), zone) - timedelta(days=days_back)
        figure = sweep_day(engine, load_profile(settings.policy_profile), zone, day)
    finally:
        engine.dispose()
    done = ", ".join(f"{what} {count:,}" for what, count in sorted(figure.counts.items()))
    return {
        SWEEP_SECONDS: figure.seconds,
        ("daily sweep", "SQL statements"): figure.statements,
        SWEEP_DONE: done or "nothing",
    }


def _fault_step(
    folder: Path,
    env: dict[str, str],
    engine: Engine,
    serves: list[Served],
    office: Office,
    options: ProvinceOptions,
    month: Month,
    settings: Settings,
    progress: Callable[[str], None],
) -> tuple[list[str], bool]:
    """Kill the first serve process, the SMS worker and the leading scheduler mid-work; resume;
    count. Returns what was seen, line by line, and whether nothing was lost or doubled."""
    seen: list[str] = []
    officer = {"Authorization": f"Bearer {office.officer}"}
    after = Month.of(month.last + timedelta(days=1))
    gateway, url = sms_support.start_fake_gateway()
    processes: list[Background] = []
    try:
        profile = sms_support.bench_profile(folder)
        # paced to take about one office day, so the worker is killed half-way through
        sms = sms_support.sms_settings(
            url, concurrency=8, rate=max(50.0, SMS_MESSAGES / options.seconds), lease=3.0
        )
        rules = SendingRules(
            zone=settings.zone, policy=load_profile(str(profile)), signature=sms.signature
        )
        batch = f"province-{int(time.time())}"
        sms_support.queue(engine, rules, SMS_MESSAGES, batch)
        worker_env = {
            **sms_support.worker_env(env["WORKBRIDGE_DATABASE_URL"], profile, sms),
            "WORKBRIDGE_DATABASE_POOLER": env["WORKBRIDGE_DATABASE_POOLER"],
            "WORKBRIDGE_DIRECT_DATABASE_URL": env["WORKBRIDGE_DIRECT_DATABASE_URL"],
        }
        leading = {**env, "WORKBRIDGE_LOG_LEVEL": "INFO"}
        leading.pop("WORKBRIDGE_SCHEDULER", None)
        schedulers = [
            Background(f"scheduler-{n}", ["scheduler", "run"], leading, folder) for n in range(2)
        ]
        processes.extend(schedulers)
        _wait(lambda: sum(s.said(LEADS) for s in schedulers) == 1, 120, "a scheduler to lead")
        leader = next(s for s in schedulers if s.said(LEADS))
        standby = next(s for s in schedulers if s is not leader)

        with httpx.Client(timeout=60) as client:
            started = client.post(
                f"http://127.0.0.1:{serves[0].port}/api/v1/payments/runs",
                json={"period": after.label},
                headers=officer,
            )
            if started.status_code not in (200, 202):
                raise RuntimeError(f"the run did not start: {started.status_code} {started.text}")
            run_id = started.json()["id"]
        _wait(lambda: _batches(engine, after) > 0, 1800, "the payment run to be under way")
        day: list[dict[tuple[str, str], Any]] = []
        day_began = time.monotonic()
        office_day = threading.Thread(
            target=lambda: day.append(_office_day(folder, serves, office, options, (2, 3), "fault"))
        )
        office_day.start()
        worker = Background("sms-worker", ["sms", "worker"], worker_env, folder)
        processes.append(worker)

        _wait(lambda: sms_support.stats(url)["delivered"] > 0, 120, "the SMS worker to send")
        # half-way through the office day's measured window (after its two seconds' warm-up)
        time.sleep(max(0.0, day_began + 2.0 + options.seconds / 2 - time.monotonic()))
        killed_at = time.monotonic() - day_began - 2.0
        delivered, batches = sms_support.stats(url)["delivered"], _batches(engine, after)
        serves[0].kill()
        worker.kill()
        leader.kill()
        state = _run_state(engine, after)
        seen.append(
            f"SIGKILL to serve process 1 (running next month's payment run: {batches} batches "
            f"done, state {state}), the SMS worker ({delivered:,} messages delivered so far, "
            f"{SMS_MESSAGES:,} job offers queued) "
            f"and the leading scheduler, {killed_at:.1f} s into the measured window of a mixed "
            "office day at both serve processes"
        )
        took_over = _wait(lambda: standby.said(LEADS), 120, "the standby scheduler to lead")
        seen.append(f"the standby scheduler led {took_over:.1f} s after the kill")
        restarted = Background("sms-worker-2", ["sms", "worker"], worker_env, folder)
        processes.append(restarted)
        with httpx.Client(timeout=60) as client:
            resumed = client.post(
                f"http://127.0.0.1:{serves[1].port}/api/v1/payments/runs",
                json={"period": after.label},
                headers=officer,
            )
            seen.append(f"the run resumed through serve process 2: {resumed.status_code}")
            finished = _wait(
                lambda: _run_state(engine, after) == "finished", 7200, "the resumed run"
            )
            seen.append(f"the resumed run finished {finished:.1f} s later")
        office_day.join()
        figures = {key: value for (_, key), value in (day[0] if day else {}).items()}
        seen.append(
            f"the office day meanwhile: {figures.get('requests/s', 0):,.0f} requests/s, "
            f"{figures.get('5xx answers', 0)} 5xx, {figures.get('transport errors', 0)} "
            "transport errors (the killed process's connections)"
        )
        _wait(
            lambda: sms_support.statuses(engine, batch) == {"sent": SMS_MESSAGES},
            600,
            "every queued message sent",
        )
        stats, outbox = sms_support.stats(url), sms_support.statuses(engine, batch)
        lines, cases = _lines(engine, after)
        run_lines = _run_lines(engine, run_id)
        before_lines, before_cases = _lines(engine, month)
        seen.append(
            f"ledger, next month: {lines:,} lines for {cases:,} cases, the run counted "
            f"{run_lines:,}; this month still {before_lines:,} lines for {before_cases:,} cases"
        )
        seen.append(
            f"SMS: {SMS_MESSAGES:,} job offers queued; the gateway delivered "
            f"{stats['delivered']:,} messages (with the office day's own texts), at most "
            f"{stats['max_deliveries_per_key']} per message, "
            f"{stats['keys_requested_more_than_once']} sent again with the same key after the "
            f"kill (in flight; dropped by the gateway's key); outbox {outbox}"
        )
        held = (
            lines == cases == run_lines > 0
            and before_lines == before_cases
            and stats["delivered"] >= SMS_MESSAGES
            and stats["max_deliveries_per_key"] == 1
            and outbox == {"sent": SMS_MESSAGES}
            and figures.get("5xx answers", 1) == 0
        )
        seen.append("nothing lost, nothing doubled" if held else "SOMETHING WAS LOST OR DOUBLED")
        return seen, held
    finally:
        for process in processes:
            process.stop()
        gateway.terminate()
        gateway.wait(timeout=10)


LEADS = "this process leads the scheduler"


def _batches(engine: Engine, month: Month) -> int:
    with engine.connect() as connection:
        done = connection.execute(
            text("SELECT batches_done FROM payment_run WHERE period = :p"), {"p": month.label}
        ).scalar()
    return int(done or 0)


def _run_state(engine: Engine, month: Month) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT state FROM payment_run WHERE period = :p"), {"p": month.label}
        ).scalar()


def _run_lines(engine: Engine, run_id: int) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM payment_line WHERE run_id = :r"), {"r": run_id}
            ).scalar_one()
        )


# --- printing ---------------------------------------------------------------------------------


def render(report: ProvinceReport) -> str:
    """The table the README and the closing note quote, as Markdown."""
    out = [
        f"workbridge bench province --households {report.households}",
        "",
        f"machine: {report.machine}",
        f"database: {report.database}; "
        + ", ".join(f"{k}={v}" for k, v in report.settings.items()),
        f"mixed office day: {report.connections} connections over two serve processes, "
        f"{report.seconds:g} s; load average before {report.load_before[0]:.2f}, "
        f"after {report.load_after[0]:.2f}",
        "",
        f"| step | figure | {SINGLE} | {PROVINCE} |",
        "|---|---|---:|---:|",
    ]
    out += [f"| {f.step} | {f.measure} | {f.single} | {f.province} |" for f in report.figures]
    out += ["", *report.notes, "", "fault step (province):"]
    out += [f"- {line}" for line in report.fault]
    peaks = ", ".join(f"{name} {mib:,.0f} MiB" for name, mib in report.serve_peak_mib.items())
    out += ["", f"peak memory: this process {report.peak_memory_mib:,.0f} MiB; {peaks}"]
    return "\n".join(out)


def write_json(report: ProvinceReport, path: Path) -> None:
    path.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=2), "utf-8")
