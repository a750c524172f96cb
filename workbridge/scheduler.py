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
import threading
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import Gauge

from kernel.locks import HeldLock, try_lock
from kernel.settings import Settings
from workbridge import jobs

log = logging.getLogger(__name__)
# APScheduler tells of every run of every job, the leadership check each few seconds among
# them; what a reader needs (who leads, what each job did) this module logs itself.
logging.getLogger("apscheduler").setLevel(logging.WARNING)

LEADER_LOCK = "scheduler-leader"
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
        # Set when the process stops: a payment run in hand ends after its batch (it resumes
        # where it stopped), so stopping never waits for a whole month.
        self.stopping = threading.Event()

    @property
    def is_leader(self) -> bool:
        return self.lock is not None

    def start(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(
            self.check_leadership,
            IntervalTrigger(seconds=self.settings.scheduler_check_seconds, timezone=self.zone),
            id="leadership",
            next_run_time=datetime.now(self.zone),
        )

    def shutdown(self, wait: bool = True) -> None:
        """Stop, after the job running now has ended (a payment run after its batch in hand):
        a job left running would go on writing after the process has let its database go —
        and, in a served process, while whatever comes next (a restore, a test's cleanup)
        already works on the tables it writes."""
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
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
        # A leader that starts after the sweep's hour (a restart, a new leader) sweeps today at
        # once, here on the check's own thread; the day's claim makes it a no-op when the sweep
        # already ran. (A one-run job added for it raced APScheduler's own removal of one-run
        # jobs when the process stopped at that moment, killing the scheduler's thread.)
        self._sweep()
        return True

    def _step_down(self) -> None:
        for job_id in ("daily-sweep", "payment-run"):
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
        log.info("monthly figures: %s", jobs.monthly_figures(self.env, self.settings.region_code))
        log.info("oversight tasks raised: %s", jobs.oversight_tasks(self.env))
        made, blocked = jobs.partitions_ahead(self.env)
        if made:
            log.info("partitions made ahead: %s", ", ".join(made))
        if blocked:
            log.warning(
                "partitions not made, their month already in the default partition: %s",
                ", ".join(blocked),
            )

    def _pay(self) -> None:
        run = jobs.payment_run(self.env, stop=self.stopping)
        log.info("payment run: %s", "already done" if run is None else f"{run.period} {run.state}")
