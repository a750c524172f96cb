"""``workbridge replay``: the stored caseload month by month under a reform (issue 16)."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from activation.replay.engine import office_problems, run_replay
from activation.replay.reform import parse_range, parse_reform
from kernel.db import settings_engine
from kernel.errors import InvalidInput
from kernel.policy import load_profile
from workbridge.cli_common import Commands, command_clock, command_settings, console, print_problems


def cmd_replay(args: argparse.Namespace) -> int:
    settings = command_settings()
    book = load_profile(settings.policy_profile)
    reform, problems = parse_reform(args.set or [], book)
    months, range_problems = parse_range(args.start, args.end)
    problems += range_problems
    engine = settings_engine(settings)
    problems += office_problems(engine, args.office)
    if months is None or problems:
        print_problems(InvalidInput(problems))
        return 2
    today = command_clock(settings, engine).now().astimezone(settings.zone).date()
    report = run_replay(
        engine,
        book,
        first=months[0],
        last=months[1],
        reform=reform,
        today=today,
        office=args.office,
    )
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_table(report)
    return 0 if report["gate"]["passed"] else 3


def _print_table(report: dict) -> None:
    gate = report["gate"]
    if not gate["passed"]:
        console.print("[red]The no-change replay differs from what was recorded:[/red]")
        console.print(gate["differences"])
        for example in gate["examples"]:
            console.print(f"  {example}")
        return
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
        f"approximated {report['approximated']:,}; unresolved {report['unresolved']}"
    )
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


def add_replay(sub: Commands) -> None:
    parser = sub.add_parser(
        "replay", help="replay the caseload month by month under other parameters"
    )
    parser.add_argument("--from", dest="start", required=True, help="first month, YYYY-MM")
    parser.add_argument("--to", dest="end", required=True, help="last month, YYYY-MM")
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a parameter change (repeatable)"
    )
    parser.add_argument("--office", help="only this township or community")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(func=cmd_replay)
