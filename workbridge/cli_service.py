"""``workbridge serve``, ``db``, ``demo``, ``policy`` and ``clock``: running the service, its
schema, demo data, the policy in force and a training copy's date."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from rich.progress import Progress
from rich.table import Table

from kernel.auth import Role, issue_token
from kernel.clock import SystemClock, office_today
from kernel.db import session_scope, settings_engine
from kernel.parameter_versions import live_book
from kernel.policy import PolicyError, available_profiles, load_profile
from kernel.training_clock import MAX_ADVANCE_DAYS, TrainingClock, parse_clock_setting
from workbridge.cli_access import print_accounts, print_tokens
from workbridge.cli_common import Commands, command_settings, console, console_operator


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve with uvicorn, in one process or in ``--workers`` processes (``workbridge.serving``).

    Each worker process imports ``workbridge.app`` and calls ``create_app()``, which reads the
    same ``WORKBRIDGE_*`` settings from the environment it inherited, so every worker has its
    own engine, pool and request threads (``kernel.capacity``). The settings are read here first
    as well, so a bad value stops the command before any worker starts.
    """
    from workbridge.serving import log_config, serve

    if args.workers < 1:
        console.print("[red]--workers must be at least 1[/red]")
        return 2
    if args.workers > 1 and args.port == 0:
        console.print("[red]--workers needs a fixed --port: each worker listens on it[/red]")
        return 2
    settings = command_settings()
    from kernel.training_clock import refuse_unsafe
    from notifications.settings import SmsSettings, SmsSettingsError

    try:
        gateway = SmsSettings.from_env().gateway
    except SmsSettingsError as exc:
        print(f"workbridge: {exc}", file=sys.stderr)
        return 2
    refuse_unsafe(parse_clock_setting(settings.clock), gateway, settings.production)
    console.print(
        f"Workbridge on http://{args.host}:{args.port}  (API docs: /schema, database: "
        f"{settings.database_url.split('@')[-1]}, {args.workers} worker process"
        f"{'es' if args.workers != 1 else ''} × {settings.threads} request threads)"
    )
    return serve(
        args.host,
        args.port,
        args.workers,
        log_config(settings.log_level, settings.log_format),
        settings.graceful_seconds,
    )


def cmd_db(args: argparse.Namespace) -> int:
    from workbridge import migrations

    url = command_settings().session_database_url
    if args.action == "upgrade":
        migrations.upgrade(url, args.revision or "head")
    elif args.action == "downgrade":
        migrations.downgrade(url, args.revision or "base")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from workbridge import migrations
    from workbridge.demo import demo_accounts, demo_person, household_count, load_demo

    settings = command_settings()
    migrations.upgrade(settings.database_url, quiet=True)
    engine = settings_engine(settings)
    policy = load_profile(settings.policy_profile)
    today = office_today(SystemClock(), settings.zone)
    existing = household_count(engine)
    if existing:
        console.print(f"The database already holds {existing} households; no demo data added.")
    else:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Loading demo households", total=args.households)
            report = load_demo(
                engine,
                policy,
                households=args.households,
                today=today,
                seed=args.seed,
                progress=lambda n: progress.update(task, completed=n),
            )
        console.print(f"Loaded {report.households} households:")
        for outcome, count in sorted(report.outcomes.items()):
            console.print(f"  {outcome:<32} {count:>5}")
    now = SystemClock().now()
    rows: list[tuple[str, str, str]] = []
    with session_scope(engine) as session:
        for role in Role:
            provider = 1 if role is Role.TRAINING_PROVIDER else None
            _, raw = issue_token(
                session, role=role, name=f"demo {role.value}", now=now, provider_id=provider
            )
            rows.append((role.value, f"provider {provider}" if provider else "", raw))
    print_tokens(rows)
    print_accounts(demo_accounts(engine, now))
    officer = next(raw for role, _, raw in rows if role == Role.BENEFIT_OFFICER.value)
    sample = demo_person(engine)
    print("Try:")
    print(
        f"  curl -H 'Authorization: Bearer {officer}' http://127.0.0.1:8000/api/v1/status/{sample}"
    )
    print("  or open http://127.0.0.1:8000/schema and use Authorize with a token.")
    engine.dispose()
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    if args.propose:
        from workbridge.cli_versions import propose_file

        return propose_file(args.propose)
    settings = command_settings()
    try:
        if args.profile and args.profile != settings.policy_profile:
            book = load_profile(args.profile)
        else:  # the configured profile, with the versions signed off in the service
            book = live_book(settings_engine(settings), settings.policy_profile)
        params = book.at(date.fromisoformat(args.on) if args.on else date.today())
    except (PolicyError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]  (profiles: {', '.join(available_profiles())})")
        return 2
    table = Table(title=f"{params.version_id} in force from {params.effective_from}")
    for column in ("parameter", "value", "basis"):
        table.add_column(column, overflow="fold")
    for row in params.describe():
        table.add_row(row["key"], str(row["value"]), row["basis"])
    console.print(table)
    return 0


def cmd_clock(args: argparse.Namespace) -> int:
    """Show or move a training copy's date."""
    from kernel import audit

    settings = command_settings()
    start = parse_clock_setting(settings.clock)
    if start is None:
        console.print("[red]this is not a training copy: WORKBRIDGE_CLOCK is not set[/red]")
        return 2
    engine = settings_engine(settings)
    try:
        clock = TrainingClock(engine, start, settings.zone).load()
        if args.action == "show":
            console.print(f"training copy at {clock.today().isoformat()}")
            return 0
        if not 1 <= args.days <= MAX_ADVANCE_DAYS:
            console.print(f"[red]--days must be between 1 and {MAX_ADVANCE_DAYS}[/red]")
            return 2
        before = clock.today()
        with session_scope(engine) as session:
            after = clock.advance(session, args.days, console_operator().label)
            audit.record(
                session,
                actor=console_operator(),
                at=SystemClock().now(),
                entity="training_clock",
                entity_id=1,
                action="advanced",
                details={"from": before.isoformat(), "to": after.isoformat(), "days": args.days},
            )
        console.print(f"training copy moved from {before.isoformat()} to {after.isoformat()}")
        return 0
    finally:
        engine.dispose()


def add_serve(sub: Commands) -> None:
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (each with WORKBRIDGE_THREADS request threads and its own pool)",
    )
    serve.set_defaults(func=cmd_serve)


def add_db(sub: Commands) -> None:
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("--revision", help="target revision (default head / base)")
    db.set_defaults(func=cmd_db)


def add_demo(sub: Commands) -> None:
    demo = sub.add_parser("demo", help="load demo households (once) and print a token per role")
    demo.add_argument("--households", type=int, default=300)
    demo.add_argument("--seed", type=int, default=2026)
    demo.set_defaults(func=cmd_demo)


def add_clock(sub: Commands) -> None:
    clock = sub.add_parser("clock", help="a training copy's date (WORKBRIDGE_CLOCK)")
    clock_sub = clock.add_subparsers(dest="action", required=True)
    clock_sub.add_parser("show", help="the date the copy lives at").set_defaults(func=cmd_clock)
    advance = clock_sub.add_parser("advance", help="move the copy's date forward")
    advance.add_argument("--days", type=int, required=True, help="days forward (1-3660)")
    advance.set_defaults(func=cmd_clock)


def add_policy(sub: Commands) -> None:
    policy = sub.add_parser("policy", help="show a policy profile's parameters and their bases")
    policy.add_argument("--profile")
    policy.add_argument("--on", help="YYYY-MM-DD (default today)")
    policy.add_argument(
        "--propose",
        metavar="FILE",
        help="propose the new versions of a profile file; each goes live when signed off",
    )
    policy.set_defaults(func=cmd_policy)
