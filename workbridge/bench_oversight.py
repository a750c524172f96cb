"""Benchmark of the monthly oversight report (``workbridge bench oversight --people N``).

A county of N synthetic people under the registration duty (issue 17's subject) is written
straight into the tables, set-based — bulk ``INSERT`` statements of 20,000 people at a time,
never a statement per person — in a child process, so the memory the generation leaves behind
is not counted as the report's. Each person has a household of their own (some with a child),
spread over three townships of ten communities, with a case, a duty since January of the
measured month's year and a registration by one of a handful of counsellors. About 15% have a
sanction confirmed by a second officer (with its counted refusals, terms decision, notice, and
the case's cut as a status period): started in the month or earlier, some ended in it, some
appealed (upheld and dismissed); a few proposals are pending or rejected at review, and some
refusal warnings are issued in the month. One community (``HOT``) stops people at about four
times the rate of the others, so the office alert fires.

Measured, each with the statements sent and the peak memory of the stretch: the county-wide
report of the month (``oversight_report``), the report of one township, and ``raise_tasks``
(the daily job's work) for the month — with ``--months M``, for the M months ending with it.

The floor beside them is what the database does for the same reads with no report: the rows
the report reads, each table once with a plain SELECT — no join of a person to their groups, no
grouping, nothing counted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from activation.oversight.alerts import Limits
from activation.oversight.checks import SANCTION_RULES
from activation.oversight.report import oversight_report
from activation.oversight.tasks import raise_tasks
from benefits.bench import BENCH_ACTOR
from benefits.payment_rules import Month
from kernel.memory import peak_memory_mib, reset_peak_memory
from kernel.policy import PolicyBook
from workbridge.bench_oversight_county import (
    OFFICE,
    generate_elsewhere,
    versions_in_force,
)
from workbridge.bench_sweep import StatementCounter


@dataclass(frozen=True)
class OversightFigure:
    label: str
    seconds: float
    statements: int
    peak_memory_mib: float
    alerts: int  # the alerts of the reports, or the tasks raised


@dataclass(frozen=True)
class OversightBenchReport:
    database: str
    people: int
    months: tuple[str, ...]  # measured, oldest first; the last is the month of the county
    office: str
    rows_generated: int
    generate_seconds: float
    subject: int  # in the last month, county-wide
    under_stop: int  # subject people under a stop on the last month's last day
    alerts: tuple[str, ...]  # the last month's county alerts, as "code dimension:group"
    figures: tuple[OversightFigure, ...]  # county report, office report, tasks raised
    floor_rows: int
    floor_seconds: float

    def people_per_second(self, figure: OversightFigure) -> float:
        """People × months reported on per second (every person of the county is read, for an
        office's report too)."""
        return self.people * len(self.months) / figure.seconds if figure.seconds else 0.0

    def ratio(self, figure: OversightFigure) -> float:
        return figure.seconds / self.floor_seconds if self.floor_seconds else 0.0


def _alert_label(alert: dict[str, Any]) -> str:
    dimension = alert.get("dimension")
    return f"{alert['alert']} {dimension}:{alert['group']}" if dimension else alert["alert"]


def floor_sql(month: Month) -> list[str]:
    """The rows the report reads for ``month``, each table once, with plain SELECTs: the
    month's duties, sanctions (with the checks' columns), appeals, warnings, every person's
    groups table by table, the cuts, terms decisions and counted refusals the checks read."""
    first, last = f"'{month.first.isoformat()}'", f"'{month.last.isoformat()}'"
    steps = " OR ".join(
        f"{column} BETWEEN {first} AND {last}"
        for column in ("proposed_on", "confirmed_on", "rejected_on", "started_on", "ended_on")
    )
    rules = ", ".join(f"'{rule}'" for rule in SANCTION_RULES)
    return [
        "SELECT member_id FROM registration_duty WHERE obligated_since <= "
        f"{last} AND (ended_on IS NULL OR ended_on >= {first})",
        "SELECT id, member_id, household_id, case_id, state, proposed_on, proposed_by, "
        "confirmed_on, confirmed_by, rejected_on, started_on, ended_on, notice FROM sanction "
        f"WHERE {steps} OR (started_on <= {last} AND (ended_on IS NULL OR ended_on > {last}))",
        "SELECT sanction_id, lodged_on, decided_on, state FROM appeal WHERE lodged_on BETWEEN "
        f"{first} AND {last} OR decided_on BETWEEN {first} AND {last}",
        "SELECT member_id FROM activation_warning WHERE kind = 'refusal' AND issued_on BETWEEN "
        f"{first} AND {last}",
        "SELECT id, household_id, sex, birth_date, disability FROM member",
        "SELECT id, township, community, scheme FROM household",
        "SELECT id, household_id, category FROM benefit_case",
        "SELECT member_id, registered_by FROM registration",
        "SELECT case_id, parameter_version, effective_from FROM case_status_period WHERE rule "
        f"IN ({rules}) AND effective_from BETWEEN {first} AND {last}",
        "SELECT ref, parameter_version, decided_on FROM activation_decision WHERE kind = "
        f"'sanction-terms' AND decided_on BETWEEN {first} AND {last}",
        "SELECT r.id, r.suitable, r.suitability, r.delivered FROM referral r JOIN refusal f ON "
        f"f.referral_id = r.id WHERE f.counted_on BETWEEN {first} AND {last}",
    ]


def read_floor(engine: Engine, months: list[Month]) -> tuple[int, float]:
    """The floor's reads for each month, on one connection; the rows read and the seconds."""
    rows = 0
    started = time.perf_counter()
    with engine.connect() as conn:
        for month in months:
            for sql in floor_sql(month):
                rows += len(conn.exec_driver_sql(sql).fetchall())
    return rows, time.perf_counter() - started


def _measured(engine: Engine, label: str, work: Any) -> tuple[OversightFigure, Any]:
    """Run ``work(session)`` on a session of its own, timed, its statements counted and its
    peak memory measured; ``work`` returns (what it found, the alerts or tasks it counts)."""
    counter = StatementCounter(engine)
    measured = reset_peak_memory()
    with counter.counting(), Session(engine) as session:
        started = time.perf_counter()
        found, alerts = work(session)
        seconds = time.perf_counter() - started
    return OversightFigure(label, seconds, counter.count, peak_memory_mib(measured), alerts), found


def run_oversight_bench(
    engine: Engine,
    policy: PolicyBook,
    zone: ZoneInfo,
    people: int,
    *,
    month: Month,
    months: int = 1,
    seed: int = 2026,
    limits: Limits | None = None,
) -> OversightBenchReport:
    """Generate ``people`` for ``month``; time the county's report, ``OFFICE``'s and the
    tasks raised, for the ``months`` months ending with ``month``; time the floor."""
    limits = limits or Limits()
    measured = [month.plus(k - months + 1) for k in range(months)]
    versions = versions_in_force(policy, measured[0].first - timedelta(days=200), month.last)
    started = time.perf_counter()
    rows = generate_elsewhere(
        engine.url.render_as_string(hide_password=False), people, month, versions, seed=seed
    )
    generate_seconds = time.perf_counter() - started

    def reports(office: str | None) -> Any:
        def work(session: Session) -> tuple[dict[str, Any], int]:
            found = [oversight_report(session, policy, m, limits, office=office) for m in measured]
            return found[-1], sum(len(report["alerts"]) for report in found)

        return work

    def tasks(session: Session) -> tuple[None, int]:
        now = datetime.combine(month.last, clock_time(12), tzinfo=zone).astimezone(UTC)
        made = raise_tasks(session, policy, measured, limits, actor=BENCH_ACTOR, now=now)
        session.commit()
        return None, made

    which = month.label if months == 1 else f"{measured[0].label} to {month.label}"
    county, report = _measured(engine, f"county report, {which}", reports(None))
    office, _ = _measured(engine, f"{OFFICE}'s report, {which}", reports(OFFICE))
    raised, _ = _measured(engine, f"tasks raised for {which}", tasks)
    floor_rows, floor_seconds = read_floor(engine, measured)
    overall = report["overall"]
    return OversightBenchReport(
        database=engine.dialect.name,
        people=people,
        months=tuple(m.label for m in measured),
        office=OFFICE,
        rows_generated=rows,
        generate_seconds=generate_seconds,
        subject=int(overall["subject"]),
        under_stop=int(overall["under_stop"]),
        alerts=tuple(_alert_label(alert) for alert in report["alerts"]),
        figures=(county, office, raised),
        floor_rows=floor_rows,
        floor_seconds=floor_seconds,
    )
