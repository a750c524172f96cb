"""``workbridge payments`` and ``figures``: a month's payment run, its bank file, and the
figures by township computed from the ledger."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from benefits.models import PaymentRun
from kernel.db import session_scope, settings_engine
from kernel.errors import Conflict, DomainError
from kernel.parameter_versions import live_book
from workbridge.cli_common import (
    Commands,
    command_clock,
    command_settings,
    console,
    console_operator,
    print_problems,
)


def run_table(run: PaymentRun) -> Table:
    from benefits.views import payment_run_out

    out = payment_run_out(run)
    table = Table(title=f"Payment run {out.period} ({out.state})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in (
        ("lines (one per case)", f"{out.lines:,}"),
        ("paid / zero", f"{out.paid_lines:,} / {out.zero_lines:,}"),
        ("paid lines without a bank account", f"{out.without_account:,}"),
        ("regular amounts", out.regular_total),
        ("adjustments (back pay +, recovery −)", out.adjustments_total),
        ("total paid (yuan)", out.total),
        ("recovery carried to later months", out.carried),
        ("earlier months recomputed", f"{out.recomputed_months:,}"),
        ("overpayments found / back pay found", f"{out.recoveries_found} / {out.back_pay_found}"),
        ("rounding version", out.parameter_version),
    ):
        table.add_row(label, value)
    return table


def cmd_payments(args: argparse.Namespace) -> int:
    from benefits import payments

    settings = command_settings()
    engine = settings_engine(settings)
    runner = payments.Runner(
        engine=engine,
        policy=live_book(engine, settings.policy_profile),
        clock=command_clock(settings, engine),
        zone=settings.zone,
        actor=console_operator(),
        batch_size=args.batch_size,
        pause_after_batch=args.pause_after_batch,
    )
    try:
        started = payments.begin(runner, args.period)
        if started.lock is None:
            console.print(f"{args.period} was paid in full already; nothing was written.")
            console.print(run_table(started.run))
            return 0
        assert started.run.id is not None
        verb = "Paying" if started.created else "Resuming"
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"{verb} {args.period}", total=None)
            run = payments.execute(
                runner,
                started.run.id,
                started.lock,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        console.print(run_table(run))
        if run.paid_lines:
            console.print(f"Bank file: workbridge payments bank-file --period {args.period}")
        return 0
    except DomainError as exc:
        print_problems(exc)
        return 3 if isinstance(exc, Conflict) else 2
    finally:
        engine.dispose()


def cmd_bank_file(args: argparse.Namespace) -> int:
    from benefits import bank_file, payments

    engine = settings_engine(command_settings())
    try:
        with session_scope(engine) as session:
            query = select(PaymentRun).where(PaymentRun.period == args.period)
            run = session.scalars(query).first()
            if run is None:
                console.print(f"[red]no payment run for {args.period}[/red]")
                return 2
            payments.require_released(run)
        target = args.output or bank_file.file_name(args.period)
        with open(target, "wb") as handle:
            for chunk in bank_file.chunks(engine, args.period):
                handle.write(chunk)
        console.print(f"{target}: {run.paid_lines - run.without_account:,} transfers")
        return 0
    except DomainError as exc:
        print_problems(exc)
        return 3
    finally:
        engine.dispose()


def cmd_figures(args: argparse.Namespace) -> int:
    """A month's figures by township, computed anew from the ledger (benefits.figures)."""
    from benefits import figures
    from benefits.payment_rules import Month
    from kernel.messages import render, uncarry
    from workbridge.pages.i18n import load_translators

    settings = command_settings()
    try:
        month = Month.parse(args.period)
    except ValueError as exc:
        gettext = load_translators(settings.zone)[settings.default_locale].gettext
        console.print(f"[red]--period: {render(uncarry(str(exc)), gettext)}[/red]")
        return 2
    engine = settings_engine(settings)
    try:
        written = figures.refresh(engine, settings.region_code, month, datetime.now(UTC))
    finally:
        engine.dispose()
    console.print(f"{month.label} figures for {settings.region_code}: {written} townships")
    return 0


def add_payments(sub: Commands) -> None:
    pay = sub.add_parser("payments", help="monthly payment runs and the bank file")
    pay_sub = pay.add_subparsers(dest="action", required=True)
    run = pay_sub.add_parser(
        "run", help="pay a month (resumes a run that stopped; a finished month writes nothing)"
    )
    run.add_argument("--period", required=True, help="YYYY-MM, at most next month")
    run.add_argument("--batch-size", type=int, default=5_000, help="cases per transaction")
    # Waits inside each batch's transaction: for the crash test only, so it is not listed.
    run.add_argument("--pause-after-batch", type=float, default=0.0, help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_payments)
    bank = pay_sub.add_parser("bank-file", help="write a finished run's bank file (CSV)")
    bank.add_argument("--period", required=True, help="YYYY-MM")
    bank.add_argument("--output", help="file to write (default workbridge-payments-YYYY-MM.csv)")
    bank.set_defaults(func=cmd_bank_file)


def add_figures(sub: Commands) -> None:
    figures = sub.add_parser("figures", help="a month's figures by township, for upper levels")
    figures_sub = figures.add_subparsers(dest="action", required=True)
    refresh = figures_sub.add_parser("refresh", help="compute a month's figures from the ledger")
    refresh.add_argument("--period", required=True, help="YYYY-MM")
    refresh.set_defaults(func=cmd_figures)
