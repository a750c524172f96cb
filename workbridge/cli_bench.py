"""``workbridge bench …``: the benchmarks on synthetic data, each printing its figures beside
its floor."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import Progress
from rich.table import Table

from kernel.clock import SystemClock, office_today
from kernel.db import make_engine
from kernel.policy import load_profile
from workbridge.cli_common import Commands, command_settings, console
from workbridge.cli_replay import default_workers, workers_count


def _machine() -> str:
    from workbridge.bench_all import machine

    return machine()


def _bench_engine(folder: str) -> tuple[Any, str] | None:
    """The database a benchmark writes its synthetic county into: WORKBRIDGE_DATABASE_URL, or a
    SQLite file in ``folder``; migrated, and refused (None) unless it holds no household."""
    import os

    from benefits.bench import household_count
    from kernel.settings import normalise_database_url
    from workbridge import migrations

    url = os.environ.get("WORKBRIDGE_DATABASE_URL")
    url = normalise_database_url(url) if url else f"sqlite:///{folder}/bench.db"
    migrations.upgrade(url, quiet=True)
    engine = make_engine(url)
    if household_count(engine):
        engine.dispose()
        console.print(
            "[red]the benchmark writes synthetic households: point WORKBRIDGE_DATABASE_URL "
            "at an empty database (or unset it for a temporary SQLite file)[/red]"
        )
        return None
    return engine, url


@contextmanager
def _bench_database(prefix: str, doing: str) -> Iterator[tuple[Any, str] | None]:
    """The benchmark's database (``_bench_engine``) in a scratch folder removed afterwards,
    with the line saying what runs where; None when the database is refused."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        opened = _bench_engine(folder)
        if opened is not None:
            engine, url = opened
            console.print(f"{doing} on {engine.dialect.name} ({url.split('@')[-1]}); {_machine()}")
        yield opened
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cmd_bench_matching(args: argparse.Namespace) -> int:
    import os
    import platform

    from matching.bench import run_bench

    if args.seekers < 1 or args.vacancies < 1:
        console.print("[red]--seekers and --vacancies must be at least 1[/red]")
        return 2
    console.print(
        f"Ranking top-10 for {args.seekers:,} synthetic seekers against {args.vacancies:,} "
        f"vacancies on {platform.machine()} with {os.cpu_count()} CPUs"
    )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Batch top-10", total=args.seekers)
        report = run_bench(
            args.seekers,
            args.vacancies,
            queries=args.queries,
            block=args.block,
            seed=args.seed,
            progress=lambda n: progress.update(task, completed=n),
        )
    table = Table(title="workbridge bench matching")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in (
        ("seekers × vacancies", f"{report.seekers:,} × {report.vacancies:,}"),
        ("open vacancies (after vacancy-only checks)", f"{report.open_vacancies:,}"),
        ("index build (both sides)", f"{report.build_seconds:.1f} s"),
        ("batch top-10 for every seeker", f"{report.batch_seconds:.1f} s"),
        ("batch throughput", f"{report.seekers_per_second:,.0f} seekers/s"),
        (
            "floor: every pair scored by one product, top-10 kept",
            f"{report.floor_seconds:.2f} s; batch / floor {report.ratio:.1f}×",
        ),
        ("seekers with at least one suitable job", f"{report.with_any_match:,}"),
        (
            "top-10 compared with scoring every vacancy",
            f"{report.checked:,} seekers, {report.differing:,} differ",
        ),
        (f"single-person query, p50 ({report.queries} queries)", f"{report.query_p50_ms:.1f} ms"),
        ("single-person query, p95", f"{report.query_p95_ms:.1f} ms"),
        ("peak memory (max RSS)", f"{report.peak_rss_mib:,.0f} MiB"),
    ):
        table.add_row(label, value)
    console.print(table)
    return 0


def cmd_bench_payments(args: argparse.Namespace) -> int:
    from benefits.bench import run_bench

    if args.households < 1 or args.batch_size < 1:
        console.print("[red]--households and --batch-size must be at least 1[/red]")
        return 2
    settings = command_settings()
    doing = f"Paying {args.households:,} synthetic households"
    with _bench_database("workbridge-bench-", doing) as opened:
        if opened is None:
            return 2
        engine, _ = opened
        with Progress(console=console, transient=True) as progress:
            made = progress.add_task("Generating households", total=args.households)
            paid = progress.add_task("Payment run", total=None, visible=False)
            report = run_bench(
                engine,
                load_profile(settings.policy_profile),
                settings.zone,
                args.households,
                batch_size=args.batch_size,
                seed=args.seed,
                on_generated=lambda n: progress.update(made, completed=n),
                on_paid=lambda done, total: progress.update(
                    paid, completed=done, total=total, visible=True
                ),
            )
        engine.dispose()
    table = Table(title=f"workbridge bench payments ({report.database})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in (
        ("households / ledger lines", f"{report.households:,} / {report.lines:,}"),
        (
            "synthetic rows written (bulk)",
            f"{report.rows_generated:,} in {report.generate_seconds:.1f} s",
        ),
        (
            f"payment run {report.period}, batches of {report.batch_size:,}",
            f"{report.run_seconds:.1f} s",
        ),
        ("throughput", f"{report.households_per_second:,.0f} households/s"),
        ("paid lines / total", f"{report.paid_lines:,} / {report.total} yuan"),
        (
            "peak memory during the run (resident before it)",
            f"{report.peak_memory_mib:,.0f} MiB ({report.memory_before_mib:,.0f} MiB)",
        ),
        ("  measured as", report.peak_memory_method),
        (
            "  of which plain (one statement per batch)",
            f"{report.plain_lines:,} lines ({report.plain_lines / max(report.lines, 1):.0%})",
        ),
        (
            "  of which by the periods counted: part months, back pay (three statements)",
            f"{report.period_lines:,} lines ({report.period_lines / max(report.lines, 1):.0%})",
        ),
        *(
            (f"  time in {part}", f"{seconds:.2f} s ({seconds / report.run_seconds:.0%})")
            for part, seconds in report.time_spent
        ),
        (
            "bank file export (floor: the same rows read, not formatted)",
            f"{report.bank_file_bytes / 1e6:,.1f} MB in {report.bank_file_seconds:.1f} s "
            f"({report.bank_file_floor_seconds:.1f} s)",
        ),
        *(
            (
                f"floor {floor.variant}: one INSERT … SELECT",
                f"{floor.rows:,} rows in {floor.seconds:.1f} s; run / floor "
                f"{report.ratio(floor.variant):.1f}×",
            )
            for floor in report.floors
        ),
        ("database", report.database_settings),
    ):
        table.add_row(label, value)
    console.print(table)
    return 0


def cmd_bench_replay(args: argparse.Namespace) -> int:
    """Replay a synthetic county over ``--months`` months, with no change and under a reform;
    print case-months/s, statements, peak memory and the read floor (workbridge.bench_replay)."""
    from benefits.payment_floor import database_settings
    from workbridge.bench_replay import GRID, REFORM, run_replay_bench

    if args.households < 1 or not 1 <= args.months <= 120:
        console.print("[red]--households must be at least 1 and --months 1 to 120[/red]")
        return 2
    settings = command_settings()
    doing = f"Replaying {args.households:,} synthetic households over {args.months} months"
    with _bench_database("workbridge-bench-replay-", doing) as opened:
        if opened is None:
            return 2
        engine, _ = opened
        report = run_replay_bench(
            engine,
            load_profile(settings.policy_profile),
            settings.zone,
            args.households,
            months=args.months,
            grid=args.grid,
            workers=args.workers,
        )
        about = database_settings(engine)
        engine.dispose()
    table = Table(title=f"workbridge bench replay ({report.database})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(
        "households × months",
        f"{report.households:,} × {report.months} (generated in {report.generate_seconds:.1f} s,"
        f" the last month paid in {report.payment_seconds:.1f} s)",
    )
    table.add_row("continuations (a job, its wage and its decision)", f"{report.continuations:,}")
    table.add_row(
        "sanctions (a count at the threshold, its terms) / members warned once",
        f"{report.sanctions:,} / {report.warned:,}",
    )
    table.add_row("processes pricing", f"{report.workers}")
    for figure in report.replays:
        workers = (
            f" (here; each worker at most {figure.worker_peak_mib:,.0f} MiB)"
            if figure.worker_peak_mib
            else ""
        )
        table.add_row(
            figure.label,
            f"{figure.seconds:.2f} s, {report.case_months_per_second(figure):,.0f} case-months/s,"
            f" {figure.statements:,} statements{' here' if figure.worker_peak_mib else ''}, peak "
            f"{figure.peak_memory_mib:,.0f} MiB{workers}, gate "
            f"{'passed' if figure.gate_passed else 'FAILED'}, "
            f"{figure.households_affected:,} households changed",
        )
    slowest = max(figure.seconds for figure in report.replays[:2])  # a grid is many replays
    table.add_row(
        "floor: the same reads, nothing computed",
        f"{report.floor_seconds:.2f} s; slowest single replay / floor "
        f"{slowest / max(report.floor_seconds, 1e-9):.1f}×",
    )
    gain = report.workers_gain()
    if gain is not None:
        table.add_row(
            f"{report.workers} workers against one process (no change)", f"{gain:.2f}× faster"
        )
    table.add_row("reform", str(REFORM.as_dict()))
    if args.grid:
        table.add_row("grid", " × ".join(GRID))
    table.add_row("database", about)
    console.print(table)
    return 0 if all(figure.gate_passed for figure in report.replays) else 3


def cmd_bench_sweep(args: argparse.Namespace) -> int:
    """Sweep a synthetic county of ``--cases`` households on two days; print cases/s, the
    statements sent and the floor (workbridge.bench_sweep)."""
    from benefits.payment_floor import database_settings
    from workbridge.bench_sweep import run_sweep_bench

    if args.cases < 1:
        console.print("[red]--cases must be at least 1[/red]")
        return 2
    settings = command_settings()
    doing = f"Sweeping {args.cases:,} synthetic households"
    with _bench_database("workbridge-bench-sweep-", doing) as opened:
        if opened is None:
            return 2
        engine, _ = opened
        report = run_sweep_bench(
            engine,
            load_profile(settings.policy_profile),
            settings.zone,
            args.cases,
            today=office_today(SystemClock(), settings.zone),
        )
        about = database_settings(engine)
        engine.dispose()
    table = Table(title=f"workbridge bench sweep ({report.database})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(
        "households (rows generated)",
        f"{report.cases:,} ({report.rows_generated:,} in {report.generate_seconds:.1f} s)",
    )
    for sweep, name in zip(report.sweeps, ("first sweep", "next day"), strict=True):
        opened = sweep.counts.get("duties_opened", 0)
        table.add_row(
            f"{name} {sweep.day.isoformat()}",
            f"{sweep.seconds:.1f} s, {report.cases_per_second(sweep):,.0f} cases/s; "
            f"{sweep.statements:,} statements ({report.statements_per_thousand(sweep):.2f} "
            f"per 1,000 cases); {opened:,} duties opened",
        )
    table.add_row(
        "floor: one INSERT … SELECT of a row per member",
        f"{report.floor_rows:,} rows in {report.floor_seconds:.2f} s; first sweep / floor "
        f"{report.sweeps[0].seconds / max(report.floor_seconds, 1e-9):.0f}×",
    )
    table.add_row("peak memory during the sweeps", f"{report.peak_memory_mib:,.0f} MiB")
    table.add_row("database", about)
    console.print(table)
    return 0


def cmd_bench_oversight(args: argparse.Namespace) -> int:
    """Report on a synthetic county of ``--people`` people under the duty: the month's oversight
    report county-wide and for one township, and the tasks raised; print people/s, statements,
    peak memory and the read floor (workbridge.bench_oversight)."""
    from activation.oversight.alerts import Limits
    from benefits.payment_floor import database_settings
    from benefits.payment_rules import Month
    from workbridge.bench_oversight import run_oversight_bench

    if args.people < 1 or not 1 <= args.months <= 12:
        console.print("[red]--people must be at least 1 and --months 1 to 12[/red]")
        return 2
    settings = command_settings()
    month = Month.of(office_today(SystemClock(), settings.zone))
    doing = f"Reporting on {args.people:,} synthetic people under the duty, {month.label}"
    with _bench_database("workbridge-bench-oversight-", doing) as opened:
        if opened is None:
            return 2
        engine, _ = opened
        report = run_oversight_bench(
            engine,
            load_profile(settings.policy_profile),
            settings.zone,
            args.people,
            month=month,
            months=args.months,
            seed=args.seed,
            limits=Limits.from_settings(settings),
        )
        about = database_settings(engine)
        engine.dispose()
    table = Table(title=f"workbridge bench oversight ({report.database})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(
        "people (rows generated)",
        f"{report.people:,} ({report.rows_generated:,} in {report.generate_seconds:.1f} s)",
    )
    table.add_row(
        f"subject in {report.months[-1]} / under a stop on its last day",
        f"{report.subject:,} / {report.under_stop:,} "
        f"({report.under_stop / max(report.subject, 1):.1%})",
    )
    table.add_row(
        f"alerts in {report.months[-1]}", f"{len(report.alerts)}: " + "; ".join(report.alerts)
    )
    rate = "people/s" if len(report.months) == 1 else "person-months/s"
    for figure in report.figures:
        counted = "tasks" if figure.label.startswith("tasks") else "alerts"
        table.add_row(
            figure.label,
            f"{figure.seconds:.2f} s, {report.people_per_second(figure):,.0f} {rate}, "
            f"{figure.statements:,} statements, peak {figure.peak_memory_mib:,.0f} MiB, "
            f"{figure.alerts} {counted}; / floor {report.ratio(figure):.1f}×",
        )
    table.add_row(
        "floor: the same rows read once, plain SELECTs",
        f"{report.floor_rows:,} rows in {report.floor_seconds:.3f} s",
    )
    table.add_row("database", about)
    console.print(table)
    return 0


def cmd_bench_all(args: argparse.Namespace) -> int:
    """Every batch benchmark in sequence at one scale; one table, as Markdown and JSON
    (workbridge.bench_all)."""
    import os
    from pathlib import Path

    from workbridge.bench_all import run_all

    settings = command_settings()
    try:
        results = run_all(
            settings,
            load_profile(settings.policy_profile),
            args.scale,
            os.environ.get("WORKBRIDGE_DATABASE_URL"),
            lambda line: console.print(f"[dim]{line}[/dim]"),
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kind = results.database.split(" ", 1)[0].lower()
    stem = out / f"bench-all-{args.scale}-{kind}"
    stem.with_suffix(".md").write_text(results.markdown(), encoding="utf-8")
    stem.with_suffix(".json").write_text(results.as_json(), encoding="utf-8")
    table = Table(title=f"workbridge bench all --scale {args.scale}")
    for column in ("work", "figure", "floor, same run", "ratio", "target"):
        table.add_column(column)
    for row in results.rows:
        ratio = f"{row.ratio:.1f}×" if row.ratio is not None else "—"
        table.add_row(row.work, row.figure, row.floor, ratio, row.target)
    console.print(table)
    console.print(f"{results.database}; {results.machine}")
    console.print(f"written: {stem}.md, {stem}.json")
    return 0


def cmd_bench_import(args: argparse.Namespace) -> int:
    """Bring a synthetic roll of ``--rows`` member lines in, then again; print rows/s, peak
    memory and the floor (benefits.roll_bench)."""
    import shutil
    import tempfile
    from pathlib import Path

    from benefits import roll_write
    from benefits.roll_bench import run_import_bench
    from kernel.auth import SYSTEM

    if args.rows < 1 or args.batch < 1:
        console.print("[red]--rows and --batch must be at least 1[/red]")
        return 2
    settings = command_settings()
    folder = Path(tempfile.mkdtemp(prefix="workbridge-bench-import-"))
    try:
        opened = _bench_engine(str(folder))
        if opened is None:
            return 2
        engine, url = opened
        console.print(
            f"Importing a synthetic roll of {args.rows:,} member rows on {engine.dialect.name} "
            f"({url.split('@')[-1]}); {_machine()}"
        )
        clock = SystemClock()
        writer = roll_write.Writer(
            actor=SYSTEM,
            now=clock.now(),
            today=office_today(clock, settings.zone),
            policy=load_profile(settings.policy_profile),
        )
        report = run_import_bench(engine, folder, writer, args.rows, batch=args.batch)
        database = engine.dialect.name
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    table = Table(title=f"workbridge bench import ({database})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in (
        ("member rows / households", f"{report.rows:,} / {report.households:,}"),
        (
            "synthetic roll written (CSV)",
            f"{report.file_mib:,.1f} MiB in {report.generate_seconds:.1f} s",
        ),
        ("check alone (every row, nothing written)", f"{report.check_seconds:.1f} s"),
        (
            f"import: check, plan, commit in batches of {args.batch:,}",
            f"{report.import_seconds:.1f} s",
        ),
        ("throughput", f"{report.rows_per_second:,.0f} rows/s"),
        ("households created", f"{report.created:,}"),
        (
            "peak memory during the import (resident before it)",
            f"{report.peak_memory_mib:,.0f} MiB ({report.memory_before_mib:,.0f} MiB)",
        ),
        ("  measured as", report.peak_memory_method),
        (
            "re-import of the same file",
            f"{report.reimport_seconds:.1f} s, {report.unchanged_on_reimport:,} unchanged",
        ),
        (
            "floor: the CSV read and bulk-inserted, no rules",
            f"{report.floor_rows:,} rows in {report.floor_seconds:.1f} s "
            f"({report.floor_rows_per_second:,.0f} rows/s)",
        ),
        ("import / floor", f"{report.ratio:.1f}×"),
    ):
        table.add_row(label, value)
    console.print(table)
    return 0


def cmd_bench_province(args: argparse.Namespace) -> int:
    """A province on loopback — primary, standby, PgBouncer, two serve processes, an SMS worker
    and two schedulers — each figure beside one database, then a fault step
    (``workbridge.bench_province`` says what is measured and how)."""
    from workbridge.bench_province import ProvinceOptions, render, run_province, write_json
    from workbridge.loopback_cluster import ClusterError

    if args.households < 100 or args.seconds <= 0 or args.connections < 2:
        console.print(
            "[red]--households at least 100, --connections at least 2 (one per serve "
            "process), --seconds above 0[/red]"
        )
        return 2
    options = ProvinceOptions(
        households=args.households,
        seconds=args.seconds,
        connections=args.connections,
        seed=args.seed,
        keep=args.keep,
    )
    try:
        report = run_province(
            options, progress=lambda line: print(f"... {line}", file=sys.stderr, flush=True)
        )
    except (ClusterError, RuntimeError) as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    print(render(report))
    if args.json:
        from pathlib import Path

        write_json(report, Path(args.json))
    return 0 if report.fault_held else 1


def cmd_bench_load(args: argparse.Namespace) -> int:
    """Serve a synthetic county with real worker processes and drive it from another process
    (``workbridge.bench_load`` says what is measured and beside what)."""
    import importlib.util
    import os

    from workbridge.bench_load import ALCHEMY, MIXED, STATUS, LoadOptions, render, run_load

    try:
        connections = tuple(int(c) for c in args.connections.split(","))
    except ValueError:
        console.print(f"[red]--connections {args.connections!r}: whole numbers, e.g. 1,16,64[/red]")
        return 2
    if (
        args.households < 1
        or args.workers < 1
        or args.seconds <= 0
        or args.warmup < 0
        or args.rounds < 1
        or not connections
        or min(connections) < 1
    ):
        console.print(
            "[red]--households, --workers, --rounds and each of --connections must be at "
            "least 1, --seconds above 0[/red]"
        )
        return 2
    compare = tuple(args.compare or ())
    if ALCHEMY in compare and importlib.util.find_spec("advanced_alchemy") is None:
        console.print(
            "[red]--compare advanced-alchemy needs the bench extra: "
            "pip install -e '.\\[bench]'[/red]"
        )
        return 2
    options = LoadOptions(
        households=args.households,
        workers=args.workers,
        seconds=args.seconds,
        warmup=args.warmup,
        connections=connections,
        compare=compare,
        workloads={"status": (STATUS,), "mixed": (MIXED,), "both": (STATUS, MIXED)}[args.workload],
        seed=args.seed,
        keep=args.keep,
        rounds=args.rounds,
    )
    try:
        report = run_load(
            options,
            os.environ.get("WORKBRIDGE_DATABASE_URL"),
            progress=lambda line: print(f"... {line}", file=sys.stderr, flush=True),
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    print(render(report))
    return 0


def cmd_bench_sms(args: argparse.Namespace) -> int:
    from workbridge.bench import bench_sms

    if args.workers < 1 or (args.workers > 1 and args.crash):
        console.print("[red]--workers must be at least 1, and 1 with --crash[/red]")
        return 2
    if args.workers > 1 and not (args.database_url or "").startswith("postgresql"):
        console.print(
            "[red]several SMS workers need PostgreSQL (SQLite allows one at a time): "
            "give --database-url postgresql://…[/red]"
        )
        return 2
    report = bench_sms(
        args.messages,
        concurrency=args.concurrency,
        rate=args.rate,
        crash=args.crash,
        database_url=args.database_url,
        workers=args.workers,
    )
    return 0 if report["exactly_once"] else 1


def add_bench(sub: Commands) -> None:
    bench = sub.add_parser("bench", help="benchmarks on synthetic data")
    bench_sub = bench.add_subparsers(dest="what", required=True)
    matching = bench_sub.add_parser("matching", help="batch top-10 and single-query latency")
    matching.add_argument("--seekers", type=int, default=10_000)
    matching.add_argument("--vacancies", type=int, default=2_000)
    matching.add_argument("--queries", type=int, default=200, help="single-person queries")
    matching.add_argument("--block", type=int, default=256, help="seekers per array block")
    matching.add_argument("--seed", type=int, default=7)
    matching.set_defaults(func=cmd_bench_matching)
    pay_bench = bench_sub.add_parser(
        "payments", help="one monthly payment run over N synthetic households, and its floor"
    )
    pay_bench.add_argument("--households", type=int, default=100_000)
    pay_bench.add_argument("--batch-size", type=int, default=5_000)
    pay_bench.add_argument("--seed", type=int, default=2026)
    pay_bench.set_defaults(func=cmd_bench_payments)
    all_bench = bench_sub.add_parser(
        "all", help="every batch benchmark in sequence; one table as Markdown and JSON"
    )
    all_bench.add_argument("--scale", choices=["small", "large"], default="small")
    all_bench.add_argument("--out", default="bench-results", help="folder for the table")
    all_bench.set_defaults(func=cmd_bench_all)
    sweep_bench = bench_sub.add_parser(
        "sweep", help="the daily sweep over N synthetic households: cases/s, statements, floor"
    )
    sweep_bench.add_argument("--cases", type=int, default=100_000, help="households")
    sweep_bench.set_defaults(func=cmd_bench_sweep)
    replay_bench = bench_sub.add_parser(
        "replay", help="the policy replay over N synthetic households: case-months/s, floor"
    )
    replay_bench.add_argument("--households", type=int, default=100_000)
    replay_bench.add_argument("--months", type=int, default=12)
    replay_bench.add_argument(
        "--grid",
        action="store_true",
        help="also price the 45-point grid (the 800-yuan line × refusals × months) in one pass",
    )
    replay_bench.add_argument(
        "--workers",
        type=workers_count,
        default=default_workers(),
        help="processes pricing parts of the caseload, as `workbridge replay --workers`",
    )
    replay_bench.set_defaults(func=cmd_bench_replay)
    oversight_bench = bench_sub.add_parser(
        "oversight",
        help="the monthly oversight report over N synthetic people under the duty: people/s, "
        "statements, floor",
    )
    oversight_bench.add_argument("--people", type=int, default=100_000)
    oversight_bench.add_argument(
        "--months", type=int, default=1, help="months reported on, ending with this one"
    )
    oversight_bench.add_argument("--seed", type=int, default=2026)
    oversight_bench.set_defaults(func=cmd_bench_oversight)
    import_bench = bench_sub.add_parser(
        "import", help="a synthetic roll brought in and again: rows/s, peak memory, the floor"
    )
    import_bench.add_argument("--rows", type=int, default=100_000, help="member rows")
    import_bench.add_argument("--batch", type=int, default=500, help="households per batch")
    import_bench.set_defaults(func=cmd_bench_import)
    load_bench = bench_sub.add_parser(
        "load",
        help="requests/s and latency of served worker processes under 1-256 connections, "
        "beside a floor app",
    )
    load_bench.add_argument("--households", type=int, default=100_000)
    load_bench.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    load_bench.add_argument(
        "--connections", default="1,16,64,256", help="comma-separated concurrencies"
    )
    load_bench.add_argument("--seconds", type=float, default=10.0, help="measured per run")
    load_bench.add_argument("--warmup", type=float, default=2.0, help="unmeasured, per run")
    load_bench.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds of service and floor per concurrency (status checks)",
    )
    load_bench.add_argument("--workload", choices=["status", "mixed", "both"], default="both")
    load_bench.add_argument(
        "--compare",
        action="append",
        choices=["advanced-alchemy"],
        help="also serve the status check through Litestar's advanced-alchemy plugin",
    )
    load_bench.add_argument("--seed", type=int, default=2026)
    load_bench.add_argument(
        "--keep", action="store_true", help="keep the scratch folder (server logs, database)"
    )
    load_bench.set_defaults(func=cmd_bench_load)
    province_bench = bench_sub.add_parser(
        "province",
        help="primary + standby + PgBouncer + two serve processes + SMS worker + schedulers on "
        "loopback, beside one database, and a fault step",
    )
    province_bench.add_argument("--households", type=int, default=2_000_000)
    province_bench.add_argument("--seconds", type=float, default=20.0, help="each office day")
    province_bench.add_argument(
        "--connections", type=int, default=32, help="over both serve processes"
    )
    province_bench.add_argument("--seed", type=int, default=2026)
    province_bench.add_argument("--json", help="also write the figures to this file")
    province_bench.add_argument(
        "--keep", action="store_true", help="keep the scratch folder (process logs)"
    )
    province_bench.set_defaults(func=cmd_bench_province)
    bench_sms = bench_sub.add_parser(
        "sms", help="send N queued SMS through the worker to a local fake gateway"
    )
    bench_sms.add_argument("--messages", type=int, default=10_000)
    bench_sms.add_argument("--concurrency", type=int, default=8)
    bench_sms.add_argument("--rate", type=float, default=0.0, help="messages/s cap (0: none)")
    bench_sms.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes side by side (more than one needs PostgreSQL)",
    )
    bench_sms.add_argument(
        "--crash",
        action="store_true",
        help="kill the worker process half-way, restart it, count sends per dedupe key",
    )
    bench_sms.add_argument(
        "--database-url", help="a scratch database (default: a new SQLite file in a temp dir)"
    )
    bench_sms.set_defaults(func=cmd_bench_sms)
