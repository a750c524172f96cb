"""``workbridge replay``: the stored caseload month by month under a reform, or a grid of
reforms with a budget (issue 16)."""

from __future__ import annotations

import argparse
import json
import os
from decimal import Decimal
from typing import Any

from rich.table import Table

from activation.replay.engine import run_replays
from activation.replay.grid import budget_problems, parse_grid
from activation.replay.reads import office_problems
from activation.replay.reform import parse_range
from activation.replay.runs import ReplayAsk, report_of
from activation.replay.stacking import with_steps
from activation.replay.workbook import Sheet, report_sheets, write_workbook
from kernel.db import settings_engine
from kernel.errors import InvalidInput, Problem
from kernel.messages import render, say
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
    ask = ReplayAsk(
        args.start, args.end, args.set or [], args.grid or [], args.budget, args.office, args.whole
    )
    report = report_of(ask, reports)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0 if gate_passed else 3
    from workbridge.pages.i18n import load_translators

    gettext = load_translators(settings.zone)[settings.default_locale].gettext
    if args.format == "xlsx":
        write_workbook(args.output, report, gettext)
        written = say(
            "%(file)s: the replay of %(first)s – %(last)s written",
            file=args.output,
            first=report["from"],
            last=report["to"],
        )
        console.print(render(written, gettext))
    else:
        print_sheets(report_sheets(report, gettext))
    return 0 if gate_passed else 3


def print_sheets(sheets: list[Sheet]) -> None:
    """The workbook's sheets as tables on the console: the same words and figures."""
    for title, headings, rows in sheets:
        table = Table(title=title)
        for index, heading in enumerate(headings):
            table.add_column(heading, justify="left" if index == 0 else "right")
        for row in rows:
            table.add_row(*(_cell(value) for value in row))
        console.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


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
