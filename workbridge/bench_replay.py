"""Benchmark of the policy replay (``workbridge bench replay --households N --months 12``).

A county of N synthetic households (``benefits.bench.generate``: cases in every state, part
months, adjustments) is paid for the current month, then replayed over the twelve months that
end with it: once with no change (the gate, against the ledger), once under a reform of the
continuation. Each replay is timed, with its statements counted and its peak memory.

The floor beside it is what the database does for the same replay with no rules: the same
chunked reads of periods, ledger lines and corrections, and nothing computed.

The synthetic county's continuations are backed by the facts the service records when a
person takes a job (``workbridge.bench_replay_county``), so the reform — a higher line and a
longer continuation — rebuilds their histories as it would a real county's: the figures count
the households it changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from activation.replay import engine as replay_engine
from activation.replay import reads as replay_reads
from activation.replay.grid import parse_grid
from activation.replay.money import months_between
from activation.replay.reform import Reform
from benefits import payments
from benefits.bench import BENCH_ACTOR, generate_elsewhere
from benefits.payment_rules import Month
from kernel.clock import SystemClock, office_today
from kernel.memory import peak_memory_mib, reset_peak_memory
from kernel.policy import PolicyBook
from workbridge.bench_replay_county import back_elsewhere
from workbridge.bench_sweep import StatementCounter

# The national measures' three refusals, with a longer continuation above a higher line: all
# three rebuilds of a case's history (lifted sanctions, the continuation, its reassessment).
REFORM = Reform(
    {
        "activation.refusal.threshold": 3,
        "continuation.months": 12,
        "continuation.income_threshold": "1000",
    }
)
# The surface: the 800-yuan line from 600 to 1,000 × refusals 1–3 × months 3–12.
GRID = (
    "continuation.income_threshold=600,700,800,900,1000",
    "activation.refusal.threshold=1,2,3",
    "continuation.months=3,6,12",
)

ONE_PROCESS = "no change, one process (no workers)"


@dataclass(frozen=True)
class ReplayFigure:
    label: str
    seconds: float
    statements: int  # this process's: with workers, the decisions and the parts' bounds
    peak_memory_mib: float
    gate_passed: bool
    worker_peak_mib: float = 0.0  # the largest of the workers' peaks, with workers
    households_affected: int = 0  # the first reform's: households that gain or lose


@dataclass(frozen=True)
class ReplayBenchReport:
    database: str
    households: int
    months: int
    generate_seconds: float
    payment_seconds: float
    replays: tuple[ReplayFigure, ...]
    floor_seconds: float
    workers: int = 1
    continuations: int = 0  # synthetic continuations backed by a job and its decision
    sanctions: int = 0  # synthetic cuts backed by a count at the threshold and its terms
    warned: int = 0  # members with one counted refusal

    def case_months_per_second(self, figure: ReplayFigure) -> float:
        return self.households * self.months / figure.seconds if figure.seconds else 0.0

    def workers_gain(self) -> float | None:
        """How many times faster the no-change replay ran on the workers than in one process."""
        alone = [figure for figure in self.replays if figure.label == ONE_PROCESS]
        if not alone or not self.replays[0].seconds:
            return None
        return alone[0].seconds / self.replays[0].seconds


def read_floor(engine: Engine, months: list[Month], chunk: int) -> float:
    """The replay's reads, chunk by chunk, with nothing computed."""
    started = time.perf_counter()
    with Session(engine) as session:
        replay_reads.plan_for_chunks(session)
        for ids in replay_reads.case_chunks(session, chunk):
            replay_reads.load_chunk(session, ids, months)
    return time.perf_counter() - started


def _measured(
    label: str,
    engine: Engine,
    policy: PolicyBook,
    first: Month,
    last: Month,
    today: date,
    reforms: list[Reform],
    workers: int,
) -> ReplayFigure:
    counter = StatementCounter(engine)
    measured = reset_peak_memory()
    peaks: list[float] = []
    with counter.counting():
        started = time.perf_counter()
        reports = replay_engine.run_replays(
            engine,
            policy,
            first=first,
            last=last,
            reforms=reforms,
            today=today,
            workers=workers,
            peaks=peaks,
        )
        seconds = time.perf_counter() - started
    return ReplayFigure(
        label,
        seconds,
        counter.count,
        peak_memory_mib(measured),
        all(bool(report["gate"]["passed"]) for report in reports),
        max(peaks, default=0.0),
        int(reports[0].get("households_affected", 0)) if reports else 0,
    )


def run_replay_bench(
    engine: Engine,
    policy: PolicyBook,
    zone: ZoneInfo,
    households: int,
    *,
    months: int = 12,
    seed: int = 11,
    grid: bool = False,
    workers: int = 1,
) -> ReplayBenchReport:
    clock = SystemClock()
    today = office_today(clock, zone)
    last = Month.of(today)
    first = last.plus(1 - months)
    started = time.perf_counter()
    generate_elsewhere(
        engine.url.render_as_string(hide_password=False),
        households,
        last,
        policy.at(last.first).version_id,
        seed=seed,
    )
    continuations, sanctions, warned = back_elsewhere(
        engine.url.render_as_string(hide_password=False), policy, today, seed=seed
    )
    generate_seconds = time.perf_counter() - started
    runner = payments.Runner(
        engine=engine, policy=policy, clock=clock, zone=zone, actor=BENCH_ACTOR
    )
    started = time.perf_counter()
    begun = payments.begin(runner, last.label)
    assert begun.lock is not None and begun.run.id is not None, "the month was paid already"
    payments.execute(runner, begun.run.id, begun.lock)
    payment_seconds = time.perf_counter() - started
    figures = [
        _measured(label, engine, policy, first, last, today, [reform], workers)
        for label, reform in (("no change (the gate)", Reform({})), ("a reform", REFORM))
    ]
    if grid:
        reforms, problems = parse_grid(list(GRID), [], policy)
        assert not problems, problems
        label = f"a grid of {len(reforms)} points, one pass"
        figures.append(_measured(label, engine, policy, first, last, today, reforms, workers))
    if workers > 1:
        # The same no-change replay in this process alone, in the same run on the same
        # database, so the workers' gain is read off one table and not two machines' moods.
        figures.append(
            _measured(ONE_PROCESS, engine, policy, first, last, today, [Reform({})], workers=1)
        )
    floor = read_floor(engine, months_between(first, last), replay_engine.CHUNK)
    return ReplayBenchReport(
        database=engine.dialect.name,
        households=households,
        months=months,
        generate_seconds=generate_seconds,
        payment_seconds=payment_seconds,
        replays=tuple(figures),
        floor_seconds=floor,
        workers=workers,
        continuations=continuations,
        sanctions=sanctions,
        warned=warned,
    )
