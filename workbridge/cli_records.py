"""``workbridge check``, ``import`` and ``export``: a county's roll checked and brought in, and
the roll and registers written out as the offices keep them."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from kernel.clock import SystemClock, office_today
from kernel.db import session_scope, settings_engine
from kernel.errors import DomainError
from kernel.parameter_versions import live_book
from kernel.policy import load_profile
from kernel.settings import Settings
from workbridge.cli_common import Commands, command_clock, command_settings, console, print_problems


def cmd_check_roll(args: argparse.Namespace) -> int:
    """Read a roll and list every problem of every row; nothing is written to the database."""
    from pathlib import Path

    from benefits.roll_check import RollFileError, check_whole
    from benefits.rules import EntitlementParams
    from kernel.messages import render
    from workbridge.pages.i18n import load_translators

    settings = command_settings()
    source = Path(args.file)
    if not source.is_file():
        console.print(f"[red]{source}: no such file[/red]")
        return 2
    today = office_today(SystemClock(), settings.zone)
    params = load_profile(settings.policy_profile).at(today)
    categories = {
        scheme: set(EntitlementParams.from_policy(params, scheme).categories)
        for scheme in ("urban", "rural")
    }
    gettext = load_translators(settings.zone)[settings.default_locale].gettext
    try:
        summary = check_whole(source, categories, today)
    except RollFileError as exc:
        for problem in exc.problems:
            console.print(f"[red]{render(problem.message, gettext)}[/red]  ({problem.rule})")
        return 2
    console.print(
        f"{source.name}: {summary.households:,} households, {summary.members:,} members, "
        f"{len(summary.problems):,} problems"
    )
    if not summary.problems:
        return 0
    _write_roll_problems(source, summary.problems, args.problems, gettext)
    return 1


def _write_roll_problems(
    source: Any, problems: list[Any], target: str | None, gettext: Any
) -> None:
    """Every problem of a roll into a CSV beside it (or ``target``), the first ones shown."""
    import csv
    from pathlib import Path

    from kernel.messages import render

    path = Path(target or f"{source.with_suffix('')}.problems.csv")
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["行", "列", "规则", "问题"])
        for p in problems:
            writer.writerow([p.row, p.field or "", p.rule, render(p.message, gettext)])
    for p in problems[:20]:
        console.print(f"  line {p.row}, {p.field or '-'}: {render(p.message, gettext)} ({p.rule})")
    console.print(f"every problem, row by row: {path}")


def cmd_import_roll(args: argparse.Namespace) -> int:
    """Bring a county's roll in (benefits.roll_import): a preview by default, ``--commit`` to
    write; either way a result file with a status per row."""
    from pathlib import Path

    from benefits import roll_import, roll_plan, roll_result, roll_write
    from benefits.roll_check import RollFileError
    from kernel.auth import SYSTEM
    from kernel.messages import render
    from workbridge.pages.i18n import load_translators

    settings = command_settings()
    source = Path(args.file)
    if not source.is_file():
        console.print(f"[red]{source}: no such file[/red]")
        return 2
    if args.batch < 1:
        console.print("[red]--batch must be at least 1[/red]")
        return 2
    result = Path(args.result or f"{source.with_suffix('')}.result.xlsx")
    if result.suffix.lower() != ".xlsx" or not result.parent.is_dir():
        console.print(f"[red]{result}: the result is an .xlsx file in an existing folder[/red]")
        return 2
    gettext = load_translators(settings.zone)[settings.default_locale].gettext
    engine = settings_engine(settings)
    try:
        clock = command_clock(settings, engine)
        writer = roll_write.Writer(
            actor=SYSTEM,
            now=clock.now(),
            today=office_today(clock, settings.zone),
            policy=live_book(engine, settings.policy_profile),
        )
        if args.commit:
            report = roll_import.commit(engine, source, writer, batch=args.batch)
            outcomes = (
                roll_result.outcomes_of_import(engine, report.import_id)
                if report.import_id is not None
                else iter(())
            )
        else:
            report, plans = roll_import.preview(engine, source, writer, batch=args.batch)
            outcomes = roll_result.outcomes_of_plans(plans)
        if report.refused_whole:
            console.print(
                f"{source.name}: {report.households:,} households, {report.members:,} members, "
                f"{len(report.problems):,} problems: nothing was written"
            )
            _write_roll_problems(source, report.problems, None, gettext)
            return 1
        rows = roll_result.write_result(result, outcomes, gettext)
    except RollFileError as exc:
        for problem in exc.problems:
            console.print(f"[red]{render(problem.message, gettext)}[/red]  ({problem.rule})")
        return 2
    except DomainError as exc:  # another import is writing
        print_problems(exc)
        return 3
    finally:
        engine.dispose()
    verb = "imported" if args.commit else "preview (nothing written; --commit to write)"
    console.print(f"{source.name}: {report.households:,} households, {verb}")
    if report.resumed_from_line:
        console.print(f"  resumed after line {report.resumed_from_line:,}")
    for action, words in roll_plan.ACTION_WORDS.items():
        console.print(f"  {render(words, gettext)}: {report.counts[action]:,}")
    console.print(f"  parameters compared with: {report.parameter_version}")
    console.print(f"a status per row ({rows:,} rows): {result}")
    return 0


WHY_THE_PRIMARY = {
    "unreachable": "the replica does not answer",
    "not-a-replica": "WORKBRIDGE_READ_DATABASE_URL is not a replica in recovery",
    "behind": "the replica had not replayed what the primary had written within %(seconds)s s",
}


@contextmanager
def read_through(settings: Settings, engine: Engine) -> Iterator[Engine]:
    """Where an export reads: the replica once it holds everything written before the export
    began (kernel.replica.command_reader), else the primary; said when a replica is named,
    because an export taken from one is the same file only if it was caught up."""
    from kernel.replica import command_reader

    with command_reader(
        engine,
        settings.read_database_url,
        max_lag_seconds=settings.replica_max_lag_seconds,
    ) as read:
        if read.on_replica:
            console.print("read from the replica, caught up with the primary")
        elif read.why != "no-replica":
            why = WHY_THE_PRIMARY[read.why] % {"seconds": settings.replica_max_lag_seconds}
            console.print(f"[yellow]read from the primary: {why}[/yellow]")
        yield read.engine


def cmd_export_roll(args: argparse.Namespace) -> int:
    """The roll as a sheet (benefits.roll): xlsx, or CSV when the file name says so."""
    from pathlib import Path

    from benefits import roll
    from kernel import audit
    from kernel.auth import SYSTEM

    target = Path(args.output)
    kind = target.suffix.lower()
    if kind not in (".xlsx", ".csv"):
        console.print(f"[red]{target}: the roll is written as .xlsx or .csv[/red]")
        return 2
    if not target.parent.is_dir():
        console.print(f"[red]{target.parent}: no such folder[/red]")
        return 2
    settings = command_settings()
    engine = settings_engine(settings)
    try:
        write = roll.write_xlsx if kind == ".xlsx" else roll.write_csv
        with read_through(settings, engine) as source:
            count = write(str(target), roll.rows(source))
        # A roll carries full ID numbers and bank accounts: who took one, and when, is kept.
        with session_scope(engine) as session:
            audit.record(
                session,
                actor=SYSTEM,
                at=SystemClock().now(),
                entity="roll",
                entity_id=target.name,
                action="exported",
                details={"rows": count, "format": kind.lstrip(".")},
            )
        console.print(f"{target}: {count:,} members")
        return 0
    finally:
        engine.dispose()


def cmd_export_register(args: argparse.Namespace) -> int:
    """A register offices report upward (benefits.registers), as an Excel workbook."""
    from pathlib import Path

    from benefits import registers
    from kernel import audit
    from kernel.auth import SYSTEM
    from kernel.db import reader

    target = Path(args.output)
    if target.suffix.lower() != ".xlsx" or not target.parent.is_dir():
        console.print(f"[red]{target}: a register is an .xlsx file in an existing folder[/red]")
        return 2
    on = args.quarter if args.kind == "quarterly" else args.period
    needs = {"quarterly": "--quarter", "payments": "--period"}.get(args.kind)
    if needs and not on:
        console.print(f"[red]the {args.kind} register needs {needs}[/red]")
        return 2
    settings = command_settings()
    engine = settings_engine(settings)
    try:
        clock = command_clock(settings, engine)
        today = office_today(clock, settings.zone)
        with read_through(settings, engine) as source, reader(source).connect() as connection:
            register = registers.register_of(connection, args.kind, on=on, today=today)
            count = registers.write_register(str(target), register)
        with session_scope(engine) as session:
            audit.record(
                session,
                actor=SYSTEM,
                at=clock.now(),
                entity="register",
                entity_id=args.kind,
                action="exported",
                details={"rows": count, "on": on, "file": target.name},
            )
    except DomainError as exc:
        print_problems(exc)
        return 2
    finally:
        engine.dispose()
    console.print(f"{target}: {register.title}, {count:,} rows")
    return 0


def add_check(sub: Commands) -> None:
    check = sub.add_parser("check", help="check a file before bringing it in (writes nothing)")
    check_sub = check.add_subparsers(dest="what", required=True)
    check_roll = check_sub.add_parser(
        "roll", help="a roll (.xlsx or .csv, UTF-8 or GB 18030): every problem of every row"
    )
    check_roll.add_argument("file")
    check_roll.add_argument("--problems", help="CSV to write the problems to")
    check_roll.set_defaults(func=cmd_check_roll)


def add_import(sub: Commands) -> None:
    import_ = sub.add_parser("import", help="bring a county's records in")
    import_sub = import_.add_subparsers(dest="what", required=True)
    import_roll = import_sub.add_parser(
        "roll",
        help="the roll (.xlsx or .csv): a preview of every household, --commit to write",
    )
    import_roll.add_argument("file")
    import_roll.add_argument("--commit", action="store_true", help="write (resumable)")
    import_roll.add_argument("--result", help="the result file (.xlsx), a status per row")
    import_roll.add_argument("--batch", type=int, default=500, help="households per transaction")
    import_roll.set_defaults(func=cmd_import_roll)


def add_export(sub: Commands) -> None:
    export = sub.add_parser("export", help="registers out, in the layout offices keep")
    export_sub = export.add_subparsers(dest="what", required=True)
    export_roll = export_sub.add_parser(
        "roll", help="the roll: every member of every household on the scheme, one row each"
    )
    export_roll.add_argument("--output", required=True, help="a .xlsx or .csv file to write")
    export_roll.set_defaults(func=cmd_export_roll)
    export_register = export_sub.add_parser(
        "register",
        help="a register reported upward: quarterly (by category), relatives, payments",
    )
    export_register.add_argument("kind", choices=["quarterly", "relatives", "payments"])
    export_register.add_argument("--quarter", help="YYYY-Qn, for the quarterly register")
    export_register.add_argument("--period", help="YYYY-MM, for the payment register")
    export_register.add_argument("--output", required=True, help="an .xlsx file to write")
    export_register.set_defaults(func=cmd_export_register)
