"""``workbridge replay``: the stored caseload month by month under a reform, or a grid of
reforms with a budget (issue 16)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from rich.table import Table

from activation.replay.engine import run_replays
from activation.replay.grid import budget_problems, parse_grid
from activation.replay.reads import office_problems
from activation.replay.reform import parse_range
from activation.replay.runs import ReplayAsk, report_of
from activation.replay.stacking import with_steps
from kernel.db import settings_engine
from kernel.errors import InvalidInput, Problem
from kernel.messages import say
from kernel.parameter_versions import live_book
from workbridge.cli_common import Commands, command_clock, command_settings, console, print_problems


def cmd_replay(args: argparse.Namespace) -> int:
    settings = command_settings()
    engine = settings_engine(settings)
    book = live_book(engine, settings.policy_profile)
    reforms, problems = parse_grid(args.grid or [], args.set or [], book)
    months, range_problems = parse_range(args.start, args.end)
    budget, more = budget_problems(args.budget)
    if args.format == "xlsx" and not (args.output or "").endswith(".xlsx"):
        more.append(Problem("output", "output-xlsx", say("an .xlsx file to write")))
    problems += range_problems + more
    problems += office_problems(engine, args.office)
    if months is None or problems:
        print_problems(InvalidInput(problems))
        return 2
    today = command_clock(settings, engine).now().astimezone(settings.zone).date()
    grid = bool(args.grid) or budget is not None
    if not grid and not args.whole:
        reforms = with_steps(reforms)  # each change's own effect, in the same pass
    reports = run_replays(
        engine,
        book,
        first=months[0],
        last=months[1],
        reforms=reforms,
        today=today,
        office=args.office,
        workers=args.workers,
    )
    gate_passed = bool(reports[0]["gate"]["passed"])
    ask = ReplayAsk(args.start, args.end, args.set or [], args.grid or [], args.budget, args.office)
    report = report_of(ask, reports)
    if args.format == "xlsx":
        from activation.replay.workbook import write_workbook
        from workbridge.pages.i18n import load_translators

        gettext = load_translators(settings.zone)[settings.default_locale].gettext
        write_workbook(args.output, report, gettext)
        console.print(f"{args.output}: the replay {report['from']} – {report['to']}")
    elif args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif not gate_passed:
        _print_gate(report["gate"])
    elif grid:
        _print_grid(report)
    else:
        _print_table(report)
    return 0 if gate_passed else 3


def _print_gate(gate: dict[str, Any]) -> None:
    console.print("[red]The no-change replay differs from what was recorded:[/red]")
    console.print(gate["differences"])
    for example in gate["examples"]:
        console.print(f"  {example}")


def _print_grid(report: dict[str, Any]) -> None:
    table = Table(title=f"Replay {report['from']} – {report['to']}: actual {report['cost_actual']}")
    table.add_column("reform")
    for column in ("cost", "difference", "gain", "lose", "lifted", "need a person", "unresolved"):
        table.add_column(column, justify="right")
    for point in report["points"]:
        table.add_row(
            ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in point["reform"].items()),
            point["cost_reform"],
            point["difference"],
            f"{point['households_gain']:,}",
            f"{point['households_lose']:,}",
            f"{point['sanctions_lifted']:,}",
            f"{point['persons_newly_proposed']:,}",
            f"{sum(point['unresolved'].values()):,}",
        )
    console.print(table)
    if "budget" in report:
        console.print(f"budget {report['budget']}: {report['within_budget'] or 'no point fits'}")


def _print_table(report: dict[str, Any]) -> None:
    table = Table(title=f"Replay {report['from']} – {report['to']}: {report['reform']}")
    for column in ("month", "paid", "actual (yuan)", "reform (yuan)"):
        table.add_column(column, justify="right")
    for row in report["by_month"]:
        table.add_row(
            row["month"], "yes" if row["paid"] else "no", row["cost_actual"], row["cost_reform"]
        )
    table.add_row("total", "", report["cost_actual"], report["cost_reform"])
    console.print(table)
    console.print(
        f"cases {report['cases']:,}; households affected {report['households_affected']:,} "
        f"(gain {report['households_gain']:,}, lose {report['households_lose']:,}); "
        f"sanctions lifted {report['sanctions_lifted']:,}; newly needing a person "
        f"{report['persons_newly_proposed']:,}; approximated {report['approximated']:,}; "
        f"unresolved {report['unresolved']}"
    )
    if report.get("stacking"):
        steps = Table(title="each change in turn, in the order given")
        for column in ("change", "cost after it", "its own effect", "gain", "lose"):
            steps.add_column(column, justify="right")
        for step in report["stacking"]:
            ((key, value),) = step["change"].items()
            steps.add_row(
                f"{key}={value}",
                step["cost_reform"],
                step["effect"],
                f"{step['households_gain']:,}",
                f"{step['households_lose']:,}",
            )
        console.print(steps)
    for dimension, groups in report["by_group"].items():
        by = Table(title=f"by {dimension}")
        for column in ("group", "cases", "actual", "reform", "gain", "lose"):
            by.add_column(column, justify="right")
        for group in groups:
            by.add_row(
                group["group"],
                f"{group['cases']:,}",
                group["cost_actual"],
                group["cost_reform"],
                f"{group['households_gain']:,}",
                f"{group['households_lose']:,}",
            )
        console.print(by)


MAX_WORKERS = 4  # past the cores, and past what one database serves, more only wait


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def workers_count(text: str) -> int:
    """``--workers``: 1 to 16 processes (argparse answers anything else with exit 2)."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of processes: {text!r}") from None
    if not 1 <= count <= 16:
        raise argparse.ArgumentTypeError("from 1 to 16 processes")
    return count


def add_replay(sub: Commands) -> None:
    parser = sub.add_parser(
        "replay", help="replay the caseload month by month under other parameters"
    )
    parser.add_argument("--from", dest="start", required=True, help="first month, YYYY-MM")
    parser.add_argument("--to", dest="end", required=True, help="last month, YYYY-MM")
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a parameter change (repeatable)"
    )
    parser.add_argument(
        "--grid",
        action="append",
        metavar="KEY=V1,V2,...",
        help="an axis of a grid of reforms (repeatable: every combination is replayed)",
    )
    parser.add_argument(
        "--budget", metavar="YUAN", help="with a grid: the point closest to it, not over"
    )
    parser.add_argument(
        "--whole",
        action="store_true",
        help="price a reform of several changes whole, without the steps that show each "
        "change's own effect (one reform priced instead of one a change)",
    )
    parser.add_argument("--office", help="only this township or community")
    parser.add_argument(
        "--workers",
        type=workers_count,
        default=default_workers(),
        help="processes pricing parts of the caseload (default: the machine's cores, at most 4)",
    )
    parser.add_argument("--format", choices=("table", "json", "xlsx"), default="table")
    parser.add_argument("--output", help="with --format xlsx: the workbook to write")
    parser.set_defaults(func=cmd_replay)
