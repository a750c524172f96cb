"""The ``workbridge`` command: serve, migrate, load demo data, manage tokens, show the policy,
run the SMS worker and benchmark it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from benefits.models import PaymentRun
from kernel.auth import Principal, Role, issue_token
from kernel.clock import Clock, SystemClock, office_today
from kernel.db import make_engine, session_scope, settings_engine
from kernel.errors import Conflict, DomainError
from kernel.log_format import log_to_stderr
from kernel.models import ApiToken
from kernel.policy import PolicyError, available_profiles, load_profile
from kernel.settings import Settings, SettingsError
from kernel.training_clock import MAX_ADVANCE_DAYS, TrainingClock, parse_clock_setting
from kernel.working_days import calendar_for, configure_working_days
from training.services import provider_exists

console = Console()


def _settings() -> Settings:
    """The settings of a command, and what they configure for the whole process (the working
    days a re-entry decision is due in)."""
    settings = Settings.from_env()
    configure_working_days(calendar_for(settings.holidays_file))
    return settings


def _clock(settings: Settings, engine: Any) -> Clock:
    """The real clock, or a training copy's (kernel.training_clock), for jobs run by hand."""
    start = parse_clock_setting(settings.clock)
    if start is None:
        return SystemClock()
    return TrainingClock(engine, start, settings.zone).load()


def cmd_clock(args: argparse.Namespace) -> int:
    """Show or move a training copy's date."""
    from kernel import audit

    settings = _settings()
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
            after = clock.advance(session, args.days, _operator().label)
            audit.record(
                session,
                actor=_operator(),
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
    settings = _settings()
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

    url = _settings().session_database_url
    if args.action == "upgrade":
        migrations.upgrade(url, args.revision or "head")
    elif args.action == "downgrade":
        migrations.downgrade(url, args.revision or "base")
    return 0


def _print_tokens(rows: list[tuple[str, str, str]]) -> None:
    """Plain lines, never wrapped or cut, so a token can be copied whole."""
    print("API tokens (shown once; only a hash is stored):")
    for role, bound, raw in rows:
        print(f"  {role:<18} {raw}  {bound}".rstrip())


def _print_accounts(rows: list[tuple[str, str, str]]) -> None:
    print("Page accounts (sign in at http://127.0.0.1:8000/app/login; new passwords each run):")
    for role, username, password in rows:
        print(f"  {role:<18} {username:<22} {password}")


def cmd_demo(args: argparse.Namespace) -> int:
    from workbridge import migrations
    from workbridge.demo import demo_accounts, demo_person, household_count, load_demo

    settings = _settings()
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
    _print_tokens(rows)
    _print_accounts(demo_accounts(engine, now))
    officer = next(raw for role, _, raw in rows if role == Role.BENEFIT_OFFICER.value)
    sample = demo_person(engine)
    print("Try:")
    print(
        f"  curl -H 'Authorization: Bearer {officer}' http://127.0.0.1:8000/api/v1/status/{sample}"
    )
    print("  or open http://127.0.0.1:8000/schema and use Authorize with a token.")
    engine.dispose()
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    settings = _settings()
    engine = settings_engine(settings)
    try:
        if args.action == "create":
            role = Role(args.role)
            with session_scope(engine) as session:
                if args.provider is not None and not provider_exists(session, args.provider):
                    console.print(
                        f"[red]no training provider {args.provider}; create it first "
                        "(POST /api/v1/training/providers)[/red]"
                    )
                    return 2
                try:
                    _, raw = issue_token(
                        session,
                        role=role,
                        name=args.name or f"{role.value} token",
                        now=SystemClock().now(),
                        provider_id=args.provider,
                        office=args.office,
                    )
                except ValueError as exc:
                    console.print(f"[red]{exc}[/red]")
                    return 2
            _print_tokens([(role.value, f"provider {args.provider}" if args.provider else "", raw)])
        elif args.action == "list":
            from sqlmodel import col, select

            table = Table(title="API tokens")
            for column in ("id", "name", "role", "provider", "prefix", "created", "revoked"):
                table.add_column(column)
            with session_scope(engine) as session:
                for token in session.exec(select(ApiToken).order_by(col(ApiToken.id))):
                    table.add_row(
                        str(token.id),
                        token.name,
                        token.role,
                        str(token.provider_id or ""),
                        token.prefix + "…",
                        token.created_at.isoformat(timespec="seconds"),
                        token.revoked_at.isoformat(timespec="seconds") if token.revoked_at else "",
                    )
            console.print(table)
        elif args.action == "revoke":
            with session_scope(engine) as session:
                token = session.get(ApiToken, args.id)
                if token is None:
                    console.print(f"[red]no token {args.id}[/red]")
                    return 2
                token.revoked_at = SystemClock().now()
            console.print(f"token {args.id} revoked")
    finally:
        engine.dispose()
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """Accounts for the pages; the password is asked for (or read from --password-stdin)."""
    import getpass

    from kernel.accounts import AccountError, create_account

    settings = _settings()
    engine = settings_engine(settings)
    try:
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password (at least 10 characters): ")
        with session_scope(engine) as session:
            if args.provider is not None and not provider_exists(session, args.provider):
                console.print(f"[red]no training provider {args.provider}[/red]")
                return 2
            try:
                account = create_account(
                    session,
                    username=args.username,
                    password=password,
                    role=Role(args.role),
                    now=SystemClock().now(),
                    display_name=args.name,
                    office=args.office,
                    provider_id=args.provider,
                    language=args.language,
                )
            except AccountError as exc:
                console.print(f"[red]{exc}[/red]")
                return 2
            print(f"account {account.username} ({account.role}) created; sign in at /app/login")
    finally:
        engine.dispose()
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        book = load_profile(args.profile or settings.policy_profile)
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


def cmd_sms(args: argparse.Namespace) -> int:
    import asyncio

    from notifications.runtime import run_worker_process
    from notifications.services import SendingRules, configure
    from notifications.settings import SmsSettings, SmsSettingsError
    from notifications.templates import LOCALES, TEMPLATES, provider_text
    from notifications.worker import WorkerBusy
    from workbridge.app import configure_logging

    settings = _settings()
    try:
        sms_settings = SmsSettings.from_env()
    except SmsSettingsError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    if args.action == "templates":
        for key, template in TEMPLATES.items():
            print(f"{key} ({template.kind.value}): {', '.join(template.names) or '-'}")
            for locale in LOCALES:
                print(f"  {locale:<6} alibaba: {provider_text(key, locale, 'alibaba')}")
                print(f"  {locale:<6} tencent: {provider_text(key, locale, 'tencent')}")
        return 0
    configure_logging(settings.log_level)
    log_to_stderr(settings.log_format)
    rules = SendingRules.from_settings(settings, sms_settings)
    configure(rules)
    engine = settings_engine(settings)
    try:
        stats = asyncio.run(
            run_worker_process(
                engine, sms_settings, rules, once=args.once, wait_for_retries=args.wait
            )
        )
    except WorkerBusy as exc:
        console.print(f"[red]{exc}[/red]")
        return 3
    finally:
        engine.dispose()
    print(
        f"SMS worker ({sms_settings.gateway}): claimed {stats.claimed}, sent {stats.sent}, "
        f"retried {stats.retried}, failed {stats.failed}, cancelled {stats.cancelled}"
    )
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


def _operator() -> Principal:
    """Who runs a command at the console, for the audit log: the operating-system user."""
    import getpass

    try:
        name = getpass.getuser()
    except Exception:
        name = "unknown"
    return Principal(kind="cli", id=0, name=name, role=Role.ADMIN)


def _print_problems(exc: DomainError) -> None:
    console.print(f"[red]{exc.title}[/red]")
    for problem in exc.problems:
        where = f"{problem.field}: " if problem.field else ""
        console.print(f"  {where}{problem.message}  [dim]({problem.rule})[/dim]")


def _run_table(run: PaymentRun) -> Table:
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

    settings = _settings()
    engine = settings_engine(settings)
    runner = payments.Runner(
        engine=engine,
        policy=load_profile(settings.policy_profile),
        clock=_clock(settings, engine),
        zone=settings.zone,
        actor=_operator(),
        batch_size=args.batch_size,
        pause_after_batch=args.pause_after_batch,
    )
    try:
        started = payments.begin(runner, args.period)
        if started.lock is None:
            console.print(f"{args.period} was paid in full already; nothing was written.")
            console.print(_run_table(started.run))
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
        console.print(_run_table(run))
        if run.paid_lines:
            console.print(f"Bank file: workbridge payments bank-file --period {args.period}")
        return 0
    except DomainError as exc:
        _print_problems(exc)
        return 3 if isinstance(exc, Conflict) else 2
    finally:
        engine.dispose()


def cmd_bank_file(args: argparse.Namespace) -> int:
    from benefits import bank_file, payments

    engine = settings_engine(_settings())
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
        _print_problems(exc)
        return 3
    finally:
        engine.dispose()


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
    settings = _settings()
    engine = settings_engine(settings)
    try:
        write = roll.write_xlsx if kind == ".xlsx" else roll.write_csv
        count = write(str(target), roll.rows(engine))
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
    settings = _settings()
    engine = settings_engine(settings)
    try:
        clock = _clock(settings, engine)
        today = office_today(clock, settings.zone)
        with reader(engine).connect() as connection:
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
        _print_problems(exc)
        return 2
    finally:
        engine.dispose()
    console.print(f"{target}: {register.title}, {count:,} rows")
    return 0


def cmd_check_roll(args: argparse.Namespace) -> int:
    """Read a roll and list every problem of every row; nothing is written to the database."""
    from pathlib import Path

    from benefits.roll_check import RollFileError, check_whole
    from benefits.rules import EntitlementParams
    from kernel.messages import render
    from workbridge.pages.i18n import load_translators

    settings = _settings()
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

    settings = _settings()
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
        clock = _clock(settings, engine)
        writer = roll_write.Writer(
            actor=SYSTEM,
            now=clock.now(),
            today=office_today(clock, settings.zone),
            policy=load_profile(settings.policy_profile),
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
        _print_problems(exc)
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


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run one scheduled job now, for operators (a missed day, a month paid by hand)."""
    from workbridge import jobs

    settings = _settings()
    engine = settings_engine(settings)
    clock = _clock(settings, engine)
    env = jobs.JobEnv(engine, load_profile(settings.policy_profile), clock, settings.zone)
    try:
        if args.job == jobs.DAILY_SWEEP:
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
                console.print(_run_table(run))
        return 0
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    except DomainError as exc:
        _print_problems(exc)
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
    from kernel.training_clock import TrainingClock
    from workbridge import jobs
    from workbridge.app import configure_logging
    from workbridge.scheduler import ServiceScheduler

    settings = _settings()
    configure_logging(settings.log_level)
    log_to_stderr(settings.log_format)
    engine = settings_engine(settings)
    clock = _clock(settings, engine)
    if isinstance(clock, TrainingClock):
        clock.follow()
    env = jobs.JobEnv(engine, load_profile(settings.policy_profile), clock, settings.zone)
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


def cmd_figures(args: argparse.Namespace) -> int:
    """A month's figures by township, computed anew from the ledger (benefits.figures)."""
    from benefits import figures
    from benefits.payment_rules import Month
    from kernel.messages import render, uncarry
    from workbridge.pages.i18n import load_translators

    settings = _settings()
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


def cmd_partitions(args: argparse.Namespace) -> int:
    """The months' partitions of the ledger, the audit trail and the SMS outbox (PostgreSQL):
    list them, make those ahead, or detach those before a month for the archive
    (kernel.partitions)."""
    from kernel import partitions
    from kernel.clock import office_today

    settings = _settings()
    engine = make_engine(settings.session_database_url)
    try:
        if args.action == "ensure":
            today = office_today(_clock(settings, engine), settings.zone)
            made, blocked = partitions.ensure_ahead(engine, today, args.ahead)
            console.print(f"made: {', '.join(made) or 'none'}")
            if blocked:
                console.print(
                    f"[red]not made, their month is in the default partition: "
                    f"{', '.join(blocked)}[/red]"
                )
                return 3
        elif args.action == "detach":
            try:
                month = date.fromisoformat(f"{args.before}-01")
            except ValueError:
                console.print(f"[red]--before {args.before!r} is not a month (YYYY-MM)[/red]")
                return 2
            detached, kept = partitions.detach_before(engine, month)
            console.print(
                f"detached (kept as tables of their own): {', '.join(detached) or 'none'}"
            )
            if kept:
                console.print(
                    f"[red]kept back, messages of theirs are still queued or being sent: "
                    f"{', '.join(kept)}[/red]"
                )
                return 3
        else:
            found = partitions.listing(engine)
            if not found:
                console.print("no partitioned tables (SQLite, or before migration 0026)")
            for partition in found:
                console.print(
                    f"{partition.table:<14} {partition.name:<24} {partition.low:<60} "
                    f"~{partition.rows:,} rows"
                )
        return 0
    finally:
        engine.dispose()


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


def cmd_bench_payments(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from benefits.bench import run_bench

    if args.households < 1 or args.batch_size < 1:
        console.print("[red]--households and --batch-size must be at least 1[/red]")
        return 2
    settings = _settings()
    folder = tempfile.mkdtemp(prefix="workbridge-bench-")
    try:
        opened = _bench_engine(folder)
        if opened is None:
            return 2
        engine, url = opened
        console.print(
            f"Paying {args.households:,} synthetic households on {engine.dialect.name} "
            f"({url.split('@')[-1]}); {_machine()}"
        )
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
    finally:
        shutil.rmtree(folder, ignore_errors=True)
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


def cmd_bench_sweep(args: argparse.Namespace) -> int:
    """Sweep a synthetic county of ``--cases`` households on two days; print cases/s, the
    statements sent and the floor (workbridge.bench_sweep)."""
    import shutil
    import tempfile

    from benefits.payment_floor import database_settings
    from workbridge.bench_sweep import run_sweep_bench

    if args.cases < 1:
        console.print("[red]--cases must be at least 1[/red]")
        return 2
    settings = _settings()
    folder = tempfile.mkdtemp(prefix="workbridge-bench-sweep-")
    try:
        opened = _bench_engine(folder)
        if opened is None:
            return 2
        engine, url = opened
        console.print(
            f"Sweeping {args.cases:,} synthetic households on {engine.dialect.name} "
            f"({url.split('@')[-1]}); {_machine()}"
        )
        report = run_sweep_bench(
            engine,
            load_profile(settings.policy_profile),
            settings.zone,
            args.cases,
            today=office_today(SystemClock(), settings.zone),
        )
        about = database_settings(engine)
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
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


def cmd_bench_all(args: argparse.Namespace) -> int:
    """Every batch benchmark in sequence at one scale; one table, as Markdown and JSON
    (workbridge.bench_all)."""
    import os
    from pathlib import Path

    from workbridge.bench_all import run_all

    settings = _settings()
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
    settings = _settings()
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


def _audit_copy(settings: Settings, action: str, manifest: Any, path: str) -> None:
    """A copy of every person's record taken or put back is itself on the record."""
    from kernel import audit

    engine = settings_engine(settings)
    try:
        with session_scope(engine) as session:
            audit.record(
                session,
                actor=_operator(),
                at=SystemClock().now(),
                entity="database",
                entity_id=manifest.sha256[:16],
                action=action,
                details={"file": path, "taken_at": manifest.taken_at, "rows": manifest.rows},
            )
    finally:
        engine.dispose()


def _print_manifest(manifest: Any, path: str) -> None:
    console.print(
        f"{path}: {manifest.dialect}, taken {manifest.taken_at}, migration {manifest.migration}, "
        f"{manifest.bytes:,} bytes, sha256 {manifest.sha256[:16]}…"
    )
    for table in ("household", "member", "payment_line", "audit_record"):
        if table in manifest.rows:
            console.print(f"  {table}: {manifest.rows[table]:,} rows")


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the database while the service runs, with a manifest beside it (workbridge.backup)."""
    from pathlib import Path

    from workbridge import backup

    settings = _settings()
    try:
        manifest = backup.take(settings.session_database_url, Path(args.file))
    except backup.BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    _audit_copy(settings, "backed-up", manifest, args.file)
    _print_manifest(manifest, args.file)
    console.print(f"manifest: {backup.manifest_path(Path(args.file))}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup into WORKBRIDGE_DATABASE_URL and prove every row against its manifest."""
    from pathlib import Path

    from workbridge import backup

    settings = _settings()
    try:
        manifest = backup.restore(
            Path(args.file), settings.session_database_url, replace=args.replace
        )
    except backup.BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    _audit_copy(settings, "restored", manifest, args.file)
    _print_manifest(manifest, args.file)
    console.print("restored; every table's rows, the payment lines and the audit records match")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

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

    take = sub.add_parser("backup", help="copy the database while it runs, with a manifest")
    take.add_argument("file", help="the backup file to write (never overwritten)")
    take.set_defaults(func=cmd_backup)
    put = sub.add_parser("restore", help="put a backup into the database and check every row")
    put.add_argument("file", help="a file written by workbridge backup")
    put.add_argument(
        "--replace", action="store_true", help="restore over a database that is not empty"
    )
    put.set_defaults(func=cmd_restore)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("--revision", help="target revision (default head / base)")
    db.set_defaults(func=cmd_db)

    demo = sub.add_parser("demo", help="load demo households (once) and print a token per role")
    demo.add_argument("--households", type=int, default=300)
    demo.add_argument("--seed", type=int, default=2026)
    demo.set_defaults(func=cmd_demo)

    tokens = sub.add_parser("tokens", help="API tokens")
    tokens_sub = tokens.add_subparsers(dest="action", required=True)
    create = tokens_sub.add_parser("create", help="create a token and print it once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument(
        "--provider", type=int, help="training provider id (training_provider only)"
    )
    create.add_argument("--office", help="labour or civil-affairs office the holder works for")
    create.add_argument("--name")
    tokens_sub.add_parser("list", help="list tokens (never the secrets)")
    revoke = tokens_sub.add_parser("revoke", help="revoke a token")
    revoke.add_argument("id", type=int)
    tokens.set_defaults(func=cmd_tokens)

    users = sub.add_parser("users", help="accounts for the web pages")
    users_sub = users.add_subparsers(dest="action", required=True)
    user_create = users_sub.add_parser("create", help="create an account (asks for the password)")
    user_create.add_argument("--username", required=True)
    user_create.add_argument("--role", required=True, choices=[r.value for r in Role])
    user_create.add_argument("--office", help="community or township whose people they see")
    user_create.add_argument("--provider", type=int, help="training provider id (providers only)")
    user_create.add_argument("--name", help="full name shown on the pages")
    user_create.add_argument("--language", default="zh_CN", choices=["zh_CN", "en"])
    user_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    users.set_defaults(func=cmd_users)

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

    check = sub.add_parser("check", help="check a file before bringing it in (writes nothing)")
    check_sub = check.add_subparsers(dest="what", required=True)
    check_roll = check_sub.add_parser(
        "roll", help="a roll (.xlsx or .csv, UTF-8 or GB 18030): every problem of every row"
    )
    check_roll.add_argument("file")
    check_roll.add_argument("--problems", help="CSV to write the problems to")
    check_roll.set_defaults(func=cmd_check_roll)

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

    clock = sub.add_parser("clock", help="a training copy's date (WORKBRIDGE_CLOCK)")
    clock_sub = clock.add_subparsers(dest="action", required=True)
    clock_sub.add_parser("show", help="the date the copy lives at").set_defaults(func=cmd_clock)
    advance = clock_sub.add_parser("advance", help="move the copy's date forward")
    advance.add_argument("--days", type=int, required=True, help="days forward (1-3660)")
    advance.set_defaults(func=cmd_clock)

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

    scheduler = sub.add_parser("scheduler", help="scheduled jobs")
    scheduler_sub = scheduler.add_subparsers(dest="action", required=True)
    once = scheduler_sub.add_parser(
        "run-once", help="run a job now; a day or month already done is left alone"
    )
    once.add_argument("--job", required=True, choices=["daily-sweep", "payment-run"])
    once.add_argument("--day", help="daily-sweep: YYYY-MM-DD (default today at the office)")
    once.add_argument("--period", help="payment-run: YYYY-MM (default this month)")
    once.set_defaults(func=cmd_scheduler)
    standing = scheduler_sub.add_parser(
        "run", help="run the scheduler until stopped: one leads per database, others stand by"
    )
    standing.set_defaults(func=cmd_scheduler_run)

    figures = sub.add_parser("figures", help="a month's figures by township, for upper levels")
    figures_sub = figures.add_subparsers(dest="action", required=True)
    refresh = figures_sub.add_parser("refresh", help="compute a month's figures from the ledger")
    refresh.add_argument("--period", required=True, help="YYYY-MM")
    refresh.set_defaults(func=cmd_figures)

    parts = sub.add_parser(
        "partitions",
        help="the months' partitions of the ledger, audit trail and SMS outbox (PostgreSQL)",
    )
    parts_sub = parts.add_subparsers(dest="action", required=True)
    parts_sub.add_parser("show", help="each partition, its bounds and rows").set_defaults(
        func=cmd_partitions
    )
    ensure = parts_sub.add_parser("ensure", help="make this month's and the next months'")
    ensure.add_argument("--ahead", type=int, default=3, choices=range(0, 25), metavar="0-24")
    ensure.set_defaults(func=cmd_partitions)
    detach = parts_sub.add_parser("detach", help="detach the months before one, for the archive")
    detach.add_argument("--before", required=True, help="YYYY-MM")
    detach.set_defaults(func=cmd_partitions)

    policy = sub.add_parser("policy", help="show a policy profile's parameters and their bases")
    policy.add_argument("--profile")
    policy.add_argument("--on", help="YYYY-MM-DD (default today)")
    policy.set_defaults(func=cmd_policy)

    sms = sub.add_parser("sms", help="SMS: the outbox worker, template texts for providers")
    sms_sub = sms.add_subparsers(dest="action", required=True)
    worker = sms_sub.add_parser("worker", help="send queued SMS (until stopped, or --once)")
    worker.add_argument("--once", action="store_true", help="send what is due, then exit")
    worker.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="with --once: also wait up to this many seconds for retries falling due",
    )
    sms_sub.add_parser("templates", help="print each template as Alibaba and Tencent want it")
    sms.set_defaults(func=cmd_sms)

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:  # a mistyped environment variable: say which, no traceback
        print(f"workbridge: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
