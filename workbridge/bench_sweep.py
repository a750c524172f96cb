"""Benchmark of the daily sweep (``workbridge bench sweep --cases N``).

A county of N synthetic households (``benefits.bench.generate``: cases in every state of a
month) is swept twice, as the scheduler would: the first day opens a registration duty, a
decision and a task for every working-age member of a live household (what the first sweep after
bringing a roll in does), and the next day finds what fell due since (the steady state). Each
sweep is timed, and every statement the service sends to the database is counted (an
``executemany`` counts once), so a sweep that asks once per case shows as a count that grows
with N; the figure that matters is statements per 1,000 cases, which must stay flat as N grows.

The floor beside it is what the database does for the same volume with no rules: one
``INSERT … SELECT`` of a row per member of a live household into a table of the duty's shape.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    event,
    func,
    literal,
    select,
)

from benefits.bench import generate_elsewhere
from benefits.models import BenefitCase, Member
from benefits.payment_rules import Month
from kernel.clock import FixedClock
from kernel.memory import peak_memory_mib, reset_peak_memory
from kernel.policy import PolicyBook
from workbridge import jobs


@dataclass(frozen=True)
class SweepFigure:
    day: date
    seconds: float
    statements: int
    counts: dict[str, int]
    peak_memory_mib: float  # this sweep's own peak (the high-water mark reset before it)


@dataclass(frozen=True)
class SweepReport:
    database: str
    cases: int
    rows_generated: int
    generate_seconds: float
    sweeps: tuple[SweepFigure, ...]
    floor_rows: int
    floor_seconds: float
    peak_memory_mib: float

    def cases_per_second(self, sweep: SweepFigure) -> float:
        return self.cases / sweep.seconds if sweep.seconds else 0.0

    def statements_per_thousand(self, sweep: SweepFigure) -> float:
        return sweep.statements * 1000 / self.cases if self.cases else 0.0


class StatementCounter:
    """Counts the statements an engine sends (each ``execute`` or ``executemany`` once)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _seen(self, *_: Any) -> None:
        self.count += 1

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._seen)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._seen)


def sweep_day(engine: Engine, policy: PolicyBook, zone: ZoneInfo, day: date) -> SweepFigure:
    """Sweep ``day`` as the scheduler would (its claim included), counting statements."""
    noon = datetime.combine(day, clock_time(12), tzinfo=zone).astimezone(UTC)
    env = jobs.JobEnv(engine=engine, policy=policy, clock=FixedClock(noon), zone=zone)
    counter = StatementCounter(engine)
    measured = reset_peak_memory()
    with counter.counting():
        started = time.perf_counter()
        counts = jobs.daily_sweep(env, day) or {}
        seconds = time.perf_counter() - started
    return SweepFigure(day, seconds, counter.count, dict(counts), peak_memory_mib(measured))


def floor_insert(engine: Engine, day: date) -> tuple[int, float]:
    """One INSERT … SELECT of a duty-shaped row per member of a case's household."""
    table = Table(
        "bench_floor_duty",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("member_id", Integer, nullable=False),
        Column("obligated_since", Date, nullable=False),
        Column("parameter_version", String(64), nullable=False),
    )
    member = Member.__table__  # type: ignore[attr-defined]
    case = BenefitCase.__table__  # type: ignore[attr-defined]
    table.create(engine)
    try:
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                table.insert().from_select(
                    ["member_id", "obligated_since", "parameter_version"],
                    select(member.c.id, literal(day), literal("floor")).select_from(
                        member.join(case, case.c.household_id == member.c.household_id)
                    ),
                )
            )
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            rows = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        return rows, seconds
    finally:
        table.drop(engine)


def run_sweep_bench(
    engine: Engine, policy: PolicyBook, zone: ZoneInfo, cases: int, *, today: date, seed: int = 7
) -> SweepReport:
    """Generate ``cases`` households, sweep the day before ``today`` and ``today``, time the
    floor."""
    month = Month.of(today)
    started = time.perf_counter()
    rows = generate_elsewhere(
        engine.url.render_as_string(hide_password=False),
        cases,
        month,
        policy.at(month.first).version_id,
        seed=seed,
    )
    generate_seconds = time.perf_counter() - started
    sweeps = tuple(
        sweep_day(engine, policy, zone, day) for day in (today - timedelta(days=1), today)
    )
    floor_rows, floor_seconds = floor_insert(engine, today)
    return SweepReport(
        database=engine.dialect.name,
        cases=cases,
        rows_generated=rows,
        generate_seconds=generate_seconds,
        sweeps=sweeps,
        floor_rows=floor_rows,
        floor_seconds=floor_seconds,
        peak_memory_mib=max(sweep.peak_memory_mib for sweep in sweeps),
    )
