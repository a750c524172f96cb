"""Every batch benchmark in sequence, one table (``workbridge bench all --scale small|large``).

Each benchmark already times a floor in the same run — what the database, numpy or the SMS
gateway does for the same volume with none of the rules — so every row below is a figure, its
floor and the ratio, with the target from the performance issue beside it. The table is written
as Markdown (for the README) and as JSON (for comparing runs), with the machine, the database's
version and settings, and each benchmark's peak memory.

Benchmarks that write synthetic data each get an empty database: a fresh SQLite file, or on
PostgreSQL (``WORKBRIDGE_DATABASE_URL``) the same database emptied and migrated again between
benchmarks — which is why it must hold no household and no account when the run starts.

``workbridge bench load`` (served worker processes under many connections) is not part of it:
it runs for many minutes with its own rounds and floors and is quoted on its own.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text

from benefits.bench import household_count
from benefits.payment_floor import database_settings
from kernel.clock import SystemClock, office_today
from kernel.db import make_engine
from kernel.models import UserAccount
from kernel.settings import Settings, normalise_database_url
from workbridge import migrations


@dataclass(frozen=True)
class Scale:
    payments: int  # households paid
    sweep: int  # households swept
    seekers: int
    vacancies: int
    sms: int  # messages sent
    roll_rows: int  # member rows brought in


SCALES = {
    "small": Scale(
        payments=20_000, sweep=5_000, seekers=5_000, vacancies=1_000, sms=1_000, roll_rows=5_000
    ),
    "large": Scale(
        payments=1_000_000,
        sweep=1_000_000,
        seekers=100_000,
        vacancies=20_000,
        sms=20_000,
        roll_rows=100_000,
    ),
}


@dataclass(frozen=True)
class Row:
    work: str
    figure: str
    seconds: float
    floor: str
    floor_seconds: float
    target: str
    peak_memory_mib: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor_seconds if self.floor_seconds else None


@dataclass
class Results:
    scale: str
    database: str
    machine: str
    started_at: str
    rows: list[Row]

    def markdown(self) -> str:
        lines = [
            f"`workbridge bench all --scale {self.scale}` on {self.database}; {self.machine}; "
            f"{self.started_at}",
            "",
            "| work | figure | floor, same run | ratio | target | peak memory |",
            "|---|---|---|---|---|---|",
        ]
        for row in self.rows:
            ratio = f"{row.ratio:.1f}×" if row.ratio is not None else "—"
            memory = f"{row.peak_memory_mib:,.0f} MiB" if row.peak_memory_mib else "—"
            lines.append(
                f"| {row.work} | {row.figure} | {row.floor} | {ratio} | {row.target} | {memory} |"
            )
        return "\n".join(lines) + "\n"

    def as_json(self) -> str:
        data = asdict(self)
        for row, raw in zip(self.rows, data["rows"], strict=True):
            raw["ratio"] = row.ratio
        return json.dumps(data, ensure_ascii=False, indent=2)


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs{memory}, Python {platform.python_version()}"
    )


class Databases:
    """An empty, migrated database for each benchmark that writes."""

    def __init__(self, url: str | None, folder: Path) -> None:
        self.url = normalise_database_url(url) if url else None
        self.folder = folder
        self.count = 0

    def refuse_unless_empty(self) -> str | None:
        """Why the run may not start, if it may not."""
        if self.url is None:
            return None
        migrations.upgrade(self.url, quiet=True)
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                accounts = conn.execute(select(func.count()).select_from(UserAccount)).scalar()
            if household_count(engine) or accounts:
                return (
                    "bench all empties the database between benchmarks: point "
                    "WORKBRIDGE_DATABASE_URL at a database with no household and no account"
                )
        finally:
            engine.dispose()
        return None

    @contextmanager
    def fresh(self) -> Iterator[Engine]:
        self.count += 1
        if self.url is None:
            url = f"sqlite:///{self.folder}/bench-{self.count}.db"
        else:
            url = self.url
            raw = create_engine(url, isolation_level="AUTOCOMMIT")
            with raw.connect() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            raw.dispose()
        migrations.upgrade(url, quiet=True)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def run_all(
    settings: Settings,
    policy: Any,
    scale_name: str,
    database_url: str | None,
    say: Callable[[str], None],
) -> Results:
    scale = SCALES[scale_name]
    folder = Path(tempfile.mkdtemp(prefix="workbridge-bench-all-"))
    databases = Databases(database_url, folder)
    if problem := databases.refuse_unless_empty():
        raise ValueError(problem)
    rows: list[Row] = []
    about = ""
    try:
        with databases.fresh() as engine:
            about = database_settings(engine)
            say(f"payments: {scale.payments:,} households")
            rows.extend(_payments(engine, policy, settings, scale))
        with databases.fresh() as engine:
            say(f"daily sweep: {scale.sweep:,} households")
            rows.extend(_sweep(engine, policy, settings, scale))
        say(f"matching: {scale.seekers:,} seekers × {scale.vacancies:,} vacancies")
        rows.extend(_matching(scale))
        with databases.fresh() as engine:
            say(f"roll import: {scale.roll_rows:,} member rows")
            rows.extend(_roll_import(engine, policy, settings, folder, scale))
        say(f"SMS: {scale.sms:,} messages")
        rows.extend(_sms(databases, scale))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Results(
        scale=scale_name,
        database=about,
        machine=machine(),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        rows=rows,
    )


def _payments(engine: Engine, policy: Any, settings: Settings, scale: Scale) -> list[Row]:
    from benefits.bench import run_bench

    report = run_bench(engine, policy, settings.zone, scale.payments)
    ledger, plain = report.floor("ledger"), report.floor("plain")
    return [
        Row(
            f"payment run, {report.households:,} households",
            f"{report.run_seconds:.1f} s ({report.households_per_second:,.0f} households/s; "
            f"{(report.plain_lines + report.period_lines) / max(report.lines, 1):.0%} "
            "of lines set-based); " + _time_spent(report.time_spent, report.run_seconds),
            report.run_seconds,
            f"{ledger.seconds:.1f} s into the ledger ({plain.seconds:.1f} s into a plain table)",
            ledger.seconds,
            "≤ 3×",
            report.peak_memory_mib,
        ),
        Row(
            f"bank file, {report.paid_lines:,} lines",
            f"{report.bank_file_seconds:.2f} s ({report.bank_file_bytes / 1e6:,.1f} MB)",
            report.bank_file_seconds,
            f"{report.bank_file_floor_seconds:.2f} s reading the same rows",
            report.bank_file_floor_seconds,
            "≤ 3 s for 1,000,000 lines",
        ),
    ]


def _time_spent(parts: tuple[tuple[str, float], ...], total: float) -> str:
    """The run's time by part, for a missed target: where it goes is what would close it."""
    shown = ", ".join(f"{part} {seconds:.1f} s" for part, seconds in parts if seconds >= 0.05)
    return f"time in {shown}" if total else ""


def _sweep(engine: Engine, policy: Any, settings: Settings, scale: Scale) -> list[Row]:
    from workbridge.bench_sweep import run_sweep_bench

    today = office_today(SystemClock(), settings.zone)
    report = run_sweep_bench(engine, policy, settings.zone, scale.sweep, today=today)
    rows = []
    # The target is the day's sweep (issue 14); the first sweep happens once, on a county's
    # first day or after its roll is brought in, and opens every obliged member's duty.
    targets = (
        "none (once: every duty opened); statements not growing with N",
        "≤ 60 s for 1,000,000 cases; statements not growing with N",
    )
    kinds = zip(report.sweeps, ("first sweep", "daily sweep"), targets, strict=True)
    for sweep, name, target in kinds:
        rows.append(
            Row(
                f"{name}, {report.cases:,} households",
                f"{sweep.seconds:.1f} s ({report.cases_per_second(sweep):,.0f} cases/s; "
                f"{sweep.statements:,} statements)",
                sweep.seconds,
                f"{report.floor_seconds:.2f} s: a row per member, one INSERT … SELECT",
                report.floor_seconds,
                target,
                sweep.peak_memory_mib,
            )
        )
    return rows


def _matching(scale: Scale) -> list[Row]:
    from matching.bench import run_bench

    report = run_bench(scale.seekers, scale.vacancies, queries=200)
    return [
        Row(
            f"matching, top-10 for {scale.seekers:,} × {scale.vacancies:,}",
            f"{report.batch_seconds:.1f} s ({report.differing} of {report.checked:,} sampled"
            f" differ from scoring every vacancy); one person's query p95"
            f" {report.query_p95_ms:.1f} ms",
            report.batch_seconds,
            f"{report.floor_seconds:.2f} s: every pair one product, top-10 kept",
            report.floor_seconds,
            "≤ 20 s for 100,000 × 20,000; p95 ≤ 20 ms",
            report.peak_rss_mib,
        )
    ]


def _roll_import(
    engine: Engine, policy: Any, settings: Settings, folder: Path, scale: Scale
) -> list[Row]:
    from benefits import roll_write
    from benefits.roll_bench import run_import_bench
    from kernel.auth import SYSTEM

    clock = SystemClock()
    writer = roll_write.Writer(
        actor=SYSTEM, now=clock.now(), today=office_today(clock, settings.zone), policy=policy
    )
    report = run_import_bench(engine, folder, writer, scale.roll_rows)
    return [
        Row(
            f"roll import, {report.rows:,} member rows",
            f"{report.import_seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)",
            report.import_seconds,
            f"{report.floor_seconds:.2f} s loading the same rows",
            report.floor_seconds,
            "(issue 13)",
            report.peak_memory_mib,
        )
    ]


def _sms(databases: Databases, scale: Scale) -> list[Row]:
    from workbridge.bench import bench_sms

    url = None
    if databases.url is not None:
        with databases.fresh():
            url = databases.url
    report = bench_sms(scale.sms, database_url=url, echo=False)
    once = "exactly once" if report["exactly_once"] else "NOT exactly once"
    return [
        Row(
            f"SMS dispatch, {scale.sms:,} messages, Kannel-compatible gateway",
            f"{report['seconds']:.1f} s ({report['messages_per_second']:,} msg/s, {once})",
            float(report["seconds"]),
            f"{report['floor_seconds']:.1f} s ({report['floor_messages_per_second']:,} msg/s) "
            "straight to the gateway",
            float(report["floor_seconds"]),
            "≥ 1,000 msg/s, exactly once",
        )
    ]
