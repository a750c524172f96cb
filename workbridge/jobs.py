"""The service's scheduled jobs, callable by the scheduler and by operators alike.

Each job claims ``(job, period)`` in ``kernel.claims`` in the same transaction as its effects
(ARCHITECTURE.md), so however often it fires for a day or a month, by however many processes,
the work is done once; a job that fails leaves no claim and can simply run again. Jobs act as
the system actor (``kernel.auth.SYSTEM``), which is what the audit log records.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from activation import services as activation
from activation.oversight.alerts import Limits
from activation.oversight.tasks import raise_tasks
from benefits import payments
from benefits.models import PaymentRun
from benefits.payment_rules import Month
from kernel.auth import SYSTEM
from kernel.claims import claim, claimed
from kernel.clock import Clock, office_today
from kernel.context import ServiceContext
from kernel.db import new_session
from kernel.policy import PolicyBook

DAILY_SWEEP = "daily-sweep"
OVERSIGHT_TASKS = "oversight-tasks"
# A sweep that opened or ended at least this many duties (the first after a roll is brought in)
# has grown the tables below by as many rows, and analyses them itself: the database's planner
# would otherwise choose plans for the next queries (the next sweep, the office's lists) from
# counts taken before, until PostgreSQL's autovacuum or nobody (SQLite) refreshes them.
ANALYZE_AFTER = 20_000
SWEPT_TABLES = ("registration_duty", "activation_decision", "activation_task")
PAYMENT_RUN = payments.CLAIM_JOB


@dataclass(frozen=True)
class JobEnv:
    engine: Engine
    policy: PolicyBook
    clock: Clock
    zone: ZoneInfo
    # Where the current book comes from in a long-lived process (parameter versions go live
    # while it runs); without it, ``policy`` as given.
    follow: Callable[[], PolicyBook] | None = None
    oversight: Limits = field(default_factory=Limits)  # WORKBRIDGE_OVERSIGHT_*

    def book(self) -> PolicyBook:
        return self.follow() if self.follow is not None else self.policy

    def today(self) -> date:
        return office_today(self.clock, self.zone)


def daily_sweep(env: JobEnv, day: date | None = None) -> dict[str, int] | None:
    """Activation's daily sweep for ``day`` (default: today at the office), once per day.

    Returns the sweep's counts, or None when the day was already swept. A past day may be
    swept by an operator who missed it; a day that has not come yet may not.
    """
    today = env.today()
    day = day or today
    if day > today:
        raise ValueError(f"{day.isoformat()} has not come yet (today is {today.isoformat()})")
    session = new_session(env.engine)
    try:
        ctx = ServiceContext(
            session=session, actor=SYSTEM, now=env.clock.now(), today=day, policy=env.book()
        )
        if not claim(session, DAILY_SWEEP, day.isoformat(), at=ctx.now, by=SYSTEM.label):
            session.rollback()
            return None
        if env.engine.dialect.name == "postgresql":
            # The sweep's chunk queries are large enough for PostgreSQL to compile them (JIT),
            # about 0.3 s a chunk at two million households, and each runs once: no gain.
            session.execute(text("SET LOCAL jit = off"))
        counts = activation.daily_sweep(ctx)  # commits the claim together with the sweep
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if counts.get("duties_opened", 0) + counts.get("duties_ended", 0) >= ANALYZE_AFTER:
        analyse(env.engine, SWEPT_TABLES)
    return counts


def oversight_tasks(env: JobEnv) -> int:
    """This month's and last month's oversight alerts as tasks for the roles that own them
    (``activation.oversight.tasks``): last month too, because work recorded late can make an
    alert of a month that has ended. Already-raised tasks are left alone, so running it again
    is harmless; returns how many tasks were new."""
    this = Month.of(env.today())
    with new_session(env.engine) as session:
        made = raise_tasks(
            session,
            env.book(),
            [this.plus(-1), this],
            env.oversight,
            actor=SYSTEM,
            now=env.clock.now(),
        )
        session.commit()
    return made


def analyse(engine: Engine, tables: tuple[str, ...]) -> None:
    """Refresh the planner's statistics of ``tables`` (``ANALYZE``, outside a transaction)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))


def payment_run(
    env: JobEnv, period: str | None = None, stop: threading.Event | None = None
) -> PaymentRun | None:
    """The month's payment run (default: this month), once per month.

    The run itself resumes where it stopped and never pays twice; the claim is written by the
    transaction that finishes the run, so a run that stopped half-way is not taken as done.
    Returns the finished run, or None when the month's claim was already there. ``stop``, when
    set, ends the run after the batch in hand (the process is stopping; it resumes next time).
    """
    label = period or Month.of(env.today()).label
    with new_session(env.engine) as session:
        if claimed(session, PAYMENT_RUN, label) is not None:
            return None
    runner = payments.Runner(
        engine=env.engine, policy=env.book(), clock=env.clock, zone=env.zone, actor=SYSTEM
    )
    started = payments.begin(runner, label)
    if started.lock is None:
        return started.run
    assert started.run.id is not None
    return payments.execute(runner, started.run.id, started.lock, stop=stop)


def partitions_ahead(env: JobEnv) -> tuple[list[str], list[str]]:
    """The ledger's and the audit trail's partitions for this month and the next few
    (``kernel.partitions``; nothing on SQLite): made, and blocked by rows already in the
    default partition."""
    from kernel import partitions

    return partitions.ensure_ahead(env.engine, env.today())


def monthly_figures(env: JobEnv, region: str) -> dict[str, int]:
    """This month's and last month's figures by township, computed anew from the ledger
    (``benefits.figures``): a run started by hand, resumed or corrected is counted the next
    day at the latest. Returns the townships written per month."""
    from benefits import figures

    this = Month.of(env.today())
    return {
        month.label: figures.refresh(env.engine, region, month, env.clock.now())
        for month in (this.plus(-1), this)
    }
