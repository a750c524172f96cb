"""``workbridge scheduler``: one scheduled job run by hand, or the scheduler as a process."""

from __future__ import annotations

import argparse
from datetime import date

from activation.oversight.alerts import Limits
from kernel.db import settings_engine
from kernel.errors import Conflict, DomainError
from kernel.log_format import log_to_stderr
from kernel.parameter_versions import live_book
from kernel.training_clock import TrainingClock
from workbridge.cli_common import Commands, command_clock, command_settings, console, print_problems
from workbridge.cli_payments import run_table


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run one scheduled job now, for operators (a missed day, a month paid by hand)."""
    from workbridge import jobs

    settings = command_settings()
    engine = settings_engine(settings)
    clock = command_clock(settings, engine)
    env = jobs.JobEnv(
        engine,
        live_book(engine, settings.policy_profile),
        clock,
        settings.zone,
        oversight=Limits.from_settings(settings),
    )
    try:
        if args.job == jobs.OVERSIGHT_TASKS:
            if args.day or args.period:
                console.print("[red]oversight-tasks takes no --day or --period[/red]")
                return 2
            console.print(f"oversight-tasks: {jobs.oversight_tasks(env)} new")
        elif args.job == jobs.DAILY_SWEEP:
            if args.period:
                console.print("[red]--period is for the payment-run job; use --day[/red]")
                return 2
            try:
                day = date.fromisoformat(args.day) if args.day else env.today()
            except ValueError as exc:
                console.print(f"[red]--day {args.day!r} is not a date (YYYY-MM-DD): {exc}[/red]")
                return 2
            results = jobs.daily_sweep(env, day)
            if results is None:
                console.print(f"daily-sweep for {day.isoformat()} was done already; nothing ran")
            else:
                console.print(f"daily-sweep for {day.isoformat()}: {results}")
        else:
            if args.day:
                console.print("[red]--day is for the daily-sweep job; use --period[/red]")
                return 2
            run = jobs.payment_run(env, args.period)
            if run is None:
                console.print("payment-run for that month was done already; nothing ran")
            else:
                console.print(run_table(run))
        return 0
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    except DomainError as exc:
        print_problems(exc)
        return 3 if isinstance(exc, Conflict) else 2
    finally:
        engine.dispose()


def cmd_scheduler_run(args: argparse.Namespace) -> int:
    """The scheduler as a process of its own (deploy/systemd): it leads while it holds the
    database's scheduler lock and stands by otherwise, trying again every
    WORKBRIDGE_SCHEDULER_CHECK_SECONDS, so a leader that dies is replaced; SIGTERM stops it."""
    import signal
    import threading

    from kernel.background import background_work
    from workbridge import jobs
    from workbridge.app import configure_logging
    from workbridge.scheduler import ServiceScheduler

    settings = command_settings()
    configure_logging(settings.log_level)
    log_to_stderr(settings.log_format)
    engine = settings_engine(settings)
    clock = command_clock(settings, engine)
    if isinstance(clock, TrainingClock):
        clock.follow()
    profile = settings.policy_profile
    env = jobs.JobEnv(
        engine,
        live_book(engine, profile),
        clock,
        settings.zone,
        follow=lambda: live_book(engine, profile),
        oversight=Limits.from_settings(settings),
    )
    scheduler = ServiceScheduler(env, settings)
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    scheduler.start()
    console.print(
        f"scheduler: daily sweep at {settings.sweep_at}, payment run on day "
        f"{settings.payment_run_day or '-'}; leading while it holds the lock, checked every "
        f"{settings.scheduler_check_seconds} s"
    )
    try:
        stop.wait()
    finally:
        background_work.pause_all()  # a payment run pauses at its next batch, resumable
        scheduler.shutdown(wait=True)
        if isinstance(clock, TrainingClock):
            clock.stop()
        engine.dispose()
    return 0


def add_scheduler(sub: Commands) -> None:
    scheduler = sub.add_parser("scheduler", help="scheduled jobs")
    scheduler_sub = scheduler.add_subparsers(dest="action", required=True)
    once = scheduler_sub.add_parser(
        "run-once", help="run a job now; a day or month already done is left alone"
    )
    once.add_argument(
        "--job", required=True, choices=["daily-sweep", "payment-run", "oversight-tasks"]
    )
    once.add_argument("--day", help="daily-sweep: YYYY-MM-DD (default today at the office)")
    once.add_argument("--period", help="payment-run: YYYY-MM (default this month)")
    once.set_defaults(func=cmd_scheduler)
    standing = scheduler_sub.add_parser(
        "run", help="run the scheduler until stopped: one leads per database, others stand by"
    )
    standing.set_defaults(func=cmd_scheduler_run)
