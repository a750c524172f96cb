"""The replay reads set-based: its statements depend on the number of chunks, never on the
cases or their histories; and its benchmark's figures (``workbridge bench replay``)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import event, text

from activation.replay import engine as replay_engine
from activation.replay import reads as replay_reads
from activation.replay.engine import run_replay
from activation.replay.reads import INDEX_PAGE_COST
from activation.replay.reform import Reform
from benefits.bench import generate
from benefits.payment_rules import Month
from workbridge.bench_replay import ONE_PROCESS, run_replay_bench
from workbridge.bench_sweep import StatementCounter

TODAY = date(2026, 3, 20)


def statements(engine, policy, chunk: int, **changes) -> tuple[int, bool]:
    counter = StatementCounter(engine)
    with counter.counting():
        report = run_replay(
            engine,
            policy,
            first=Month(2025, 4),
            last=Month(2026, 3),
            reform=Reform(changes or {"continuation.months": 12}),
            today=TODAY,
            chunk=chunk,
        )
    return counter.count, report["gate"]["passed"]


def test_statements_grow_with_chunks_not_with_cases(engine, app) -> None:
    policy = app.state.policy
    version = policy.at(TODAY).version_id
    generate(engine, 40, Month.of(TODAY), version, seed=3)
    small, passed = statements(engine, policy, chunk=1000)
    assert passed  # nothing paid yet: the histories alone, and the decisions
    generate(engine, 160, Month.of(TODAY), version, seed=4)
    large, _ = statements(engine, policy, chunk=1000)
    assert large == small
    # Chunks of 50: four chunks instead of one, each the same nine reads (its case ids,
    # periods, continuations, ledger lines, corrections, appeals' back pay, the households' ids
    # and the households with their members summed, incomes).
    chunked, _ = statements(engine, policy, chunk=50)
    assert chunked - large == 3 * 9
    # A reform of the standard reads the periods' assessments and each household's next case
    # as well: eleven reads a chunk, still none per case.
    standard = {"benefits.urban.standard": "180"}
    one, _ = statements(engine, policy, chunk=1000, **standard)
    four, _ = statements(engine, policy, chunk=50, **standard)
    assert (one - small, four - one) == (2, 3 * 11)


def test_the_benchmark_replays_and_passes_the_gate(engine, app) -> None:
    report = run_replay_bench(engine, app.state.policy, app.state.settings.zone, 30, months=12)
    assert report.households == 30 and report.months == 12
    assert [figure.gate_passed for figure in report.replays] == [True, True]
    # One chunk: the reform reads the incomes too, for reassessments after a continuation,
    # and the sanctions and refusal counts, for its threshold of refusals.
    assert report.replays[1].statements == report.replays[0].statements + 3 > 3
    assert report.floor_seconds > 0


def test_the_benchmark_with_workers_times_one_process_beside_them(engine, app) -> None:
    report = run_replay_bench(
        engine, app.state.policy, app.state.settings.zone, 30, months=12, workers=2
    )
    gate, reform, alone = report.replays
    assert alone.label == ONE_PROCESS and report.workers == 2
    assert gate.gate_passed and reform.gate_passed and alone.gate_passed
    # The workers' peaks are theirs; the run in one process has none.
    assert gate.worker_peak_mib > 0 and alone.worker_peak_mib == 0
    assert report.workers_gain() == alone.seconds / gate.seconds


def test_the_benchmark_prices_the_45_point_grid_in_one_pass(engine, app) -> None:
    report = run_replay_bench(
        engine, app.state.policy, app.state.settings.zone, 20, months=12, grid=True
    )
    _, reform, grid = report.replays
    assert grid.label == "a grid of 45 points, one pass" and grid.gate_passed
    # One pass: the reads of one chunk once, with sanctions, refusal counts and incomes —
    # what the bench's one reform (refusals, line and months) reads for itself.
    assert grid.statements == reform.statements


def reading_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "replay-reads" and t.is_alive()]


def test_chunks_are_read_ahead_on_a_thread_that_ends_with_the_replay(
    engine, app, monkeypatch
) -> None:
    policy = app.state.policy
    generate(engine, 60, Month.of(TODAY), policy.at(TODAY).version_id, seed=5)
    read_by: set[str] = set()
    real = replay_reads.load_chunk

    def load(session, ids, *args, **kwargs):
        read_by.add(threading.current_thread().name)
        if ids[0] > 40:
            raise RuntimeError("the database went away")
        return real(session, ids, *args, **kwargs)

    monkeypatch.setattr(replay_reads, "load_chunk", load)
    with pytest.raises(RuntimeError, match="went away"):
        run_replay(
            engine,
            policy,
            first=Month(2025, 4),
            last=Month(2026, 3),
            reform=Reform(),
            today=TODAY,
            chunk=10,
        )
    assert read_by == {"replay-reads"} and reading_threads() == []

    monkeypatch.setattr(replay_reads, "load_chunk", real)
    stop = threading.Event()
    stop.set()
    with pytest.raises(replay_engine.Stopped):
        replay_engine.run_replays(
            engine,
            policy,
            first=Month(2025, 4),
            last=Month(2026, 3),
            reforms=[Reform()],
            today=TODAY,
            chunk=10,
            stop=stop,
        )
    assert reading_threads() == []


def test_the_chunk_reads_cost_a_page_as_on_ssd_in_their_own_transaction_only(engine, app) -> None:
    policy = app.state.policy
    generate(engine, 30, Month.of(TODAY), policy.at(TODAY).version_id, seed=8)
    seen: list[str] = []
    show = "SHOW random_page_cost" if engine.dialect.name == "postgresql" else "SELECT 1"
    with engine.connect() as conn:
        before = conn.execute(text(show)).scalar_one()

    def note(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        report = run_replay(
            engine,
            policy,
            first=Month(2025, 4),
            last=Month(2026, 3),
            reform=Reform({"continuation.months": 12}),
            today=TODAY,
        )
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert report["gate"]["passed"]
    settings = [s for s in seen if s.startswith("SET")]
    if engine.dialect.name == "postgresql":
        assert settings == [
            f"SET LOCAL random_page_cost = {INDEX_PAGE_COST}",
            "SET LOCAL plan_cache_mode = force_custom_plan",  # each chunk planned for its bounds
            "SET LOCAL max_parallel_workers_per_gather = 0",  # no helpers for a chunk's read
        ]
        with engine.connect() as conn:  # the pool's connections keep the server's own settings
            assert conn.execute(text(show)).scalar_one() == before != INDEX_PAGE_COST
            parallel = conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one()
            assert parallel != "0"
    else:
        assert settings == []  # SQLite plans without it
