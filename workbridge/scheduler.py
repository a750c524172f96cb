"""APScheduler inside the service, with one leader per database.

Every process started with ``WORKBRIDGE_SCHEDULER=on`` runs a BackgroundScheduler, but only the
one holding the ``scheduler-leader`` lock (``kernel.locks``: a PostgreSQL advisory lock on a
connection of its own, or a file lock beside the SQLite database) schedules the jobs; the others
try again every minute, so when the leader dies another takes over. The jobs are idempotent
anyway (``workbridge.jobs``), so a leader that lost its lock without noticing could at worst try
work that is already claimed.

Every trigger is given the office's time zone explicitly (ARCHITECTURE.md): the sweep runs at
``WORKBRIDGE_SWEEP_AT`` office time, whatever zone the server's clock is in.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import Gauge

from kernel.locks import HeldLock, try_lock
from kernel.settings import Settings
from workbridge import jobs

log = logging.getLogger(__name__)

LEADER_LOCK = "scheduler-leader"
LEADERSHIP_CHECK_SECONDS = 60
PAYMENT_RUN_AT = (2, 0)  # office time on the payment day
LEADING = Gauge(  # on /metrics (workbridge.metrics): 1 if any live process of the service leads
    "workbridge_scheduler_leading",
    "1 while a process of this service leads the scheduler",
    multiprocess_mode="livemax",
)


class ServiceScheduler:
    def __init__(self, env: jobs.JobEnv, settings: Settings) -> None:
        self.env = env
        self.settings = settings
        self.zone = settings.zone
        self.scheduler = BackgroundScheduler(
            timezone=self.zone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        self.lock: HeldLock | None = None

    @property
    def is_leader(self) -> bool:
        return self.lock is not None

    def start(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(
            self.check_leadership,
            IntervalTrigger(seconds=LEADERSHIP_CHECK_SECONDS, timezone=self.zone),
            id="leadership",
            next_run_time=datetime.now(self.zone),
        )

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self._step_down()

    def check_leadership(self) -> bool:
        """Lead if nobody does; step down if the lock was lost. Returns whether this leads."""
        if self.lock is not None:
            if self.lock.alive():
                return True
            log.warning("scheduler leadership lost; standing by")
            self._step_down()
        lock = try_lock(self.env.engine, LEADER_LOCK)
        if lock is None:
            return False
        self.lock = lock
        LEADING.set(1)
        self._schedule_work()
        log.info("this process leads the scheduler")
        return True

    def _step_down(self) -> None:
        for job_id in ("daily-sweep", "daily-sweep-catch-up", "payment-run"):
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)
        lock, self.lock = self.lock, None
        LEADING.set(0)
        if lock is not None:
            lock.release()

    def _schedule_work(self) -> None:
        hour, minute = (int(part) for part in self.settings.sweep_at.split(":"))
        self.scheduler.add_job(
            self._sweep,
            CronTrigger(hour=hour, minute=minute, timezone=self.zone),
            id="daily-sweep",
            replace_existing=True,
        )
        # A leader that starts after the sweep's hour (a restart, a new leader) sweeps today
        # at once; the day's claim makes this a no-op when the sweep already ran.
        self.scheduler.add_job(
            self._sweep,
            DateTrigger(run_date=datetime.now(self.zone), timezone=self.zone),
            id="daily-sweep-catch-up",
            replace_existing=True,
        )
        if self.settings.payment_run_day is not None:
            self.scheduler.add_job(
                self._pay,
                CronTrigger(
                    day=self.settings.payment_run_day,
                    hour=PAYMENT_RUN_AT[0],
                    minute=PAYMENT_RUN_AT[1],
                    timezone=self.zone,
                ),
                id="payment-run",
                replace_existing=True,
            )

    def _sweep(self) -> None:
        results = jobs.daily_sweep(self.env)
        log.info("daily sweep: %s", "already done today" if results is None else results)

    def _pay(self) -> None:
        run = jobs.payment_run(self.env)
        log.info("payment run: %s", "already done" if run is None else f"{run.period} {run.state}")
