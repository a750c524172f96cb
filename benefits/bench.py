"""Benchmark of the monthly payment run (``workbridge bench payments``).

Synthetic households are written straight into the tables with bulk inserts (PostgreSQL
``COPY``, SQLite ``executemany``), not through the use cases, so a million of them take
seconds rather than hours. The mix imitates a county's caseload in the month paid: most cases
active all month, some re-reviewed, suspended (before or during the month), under a
member-share sanction, on continuation (full or half, POLICY.md rule 4), terminated (before or
during the month), newly opened, owed back pay, or owing a recovery (some larger than the
month, so it is carried forward). Deterministic for a given seed.

The households are generated in a child process, so the payment run's peak memory is measured
in a process that holds only the service's code and the run. One payment run is timed, and so
are the floors (``benefits.payment_floor``): single ``INSERT … SELECT`` statements that write
the same number of rows on the same database with none of the rules, into the ledger itself and
into tables with fewer of its guarantees. The ratio run/floor says what the rules and the
batching cost on top of the database's own write speed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select, text

from benefits import bank_file, payment_floor, payment_profile, payments
from benefits.models import Household
from benefits.payment_rules import Month
from kernel.auth import Principal, Role
from kernel.clock import SystemClock, office_today
from kernel.db import make_engine
from kernel.elsewhere import run_elsewhere
from kernel.memory import peak_memory_mib, reset_peak_memory, resident_memory_mib
from kernel.money import from_fen, yuan_text
from kernel.national_id import check_character
from kernel.policy import PolicyBook

BENCH_ACTOR = Principal(kind="bench", id=0, name="workbridge bench", role=Role.ADMIN)
CHUNK = 20_000  # households generated and inserted per transaction

# (scenario, share of households in %)
MIX: tuple[tuple[str, int], ...] = (
    ("active", 43),
    ("re-reviewed mid-month", 6),
    ("suspended before the month", 7),
    ("suspended from mid-month", 5),
    ("member-share sanction", 3),
    ("continuation full", 6),
    ("continuation half", 6),
    ("continuation half from mid-month", 3),
    ("terminated mid-month", 5),
    ("terminated before the month", 4),
    ("opened mid-month", 4),
    ("back pay from an upheld appeal", 5),
    ("recovery owed", 3),
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
_GIVEN = ("秀英", "桂兰", "建国", "国强", "玉梅", "志刚", "丽", "伟", "淑珍", "海燕", "军", "红梅")
_PLACES = (
    ("定城镇", "东街社区"),
    ("定城镇", "西街社区"),
    ("炉桥镇", "炉桥社区"),
    ("藕塘镇", "新街社区"),
)
_DOCUMENTS = '["household_register", "identity_cards", "income_statement"]'


@dataclass(frozen=True)
class _Ids:
    household: int
    application: int
    case: int


@dataclass
class _Rows:
    households: list[tuple[Any, ...]]
    members: list[tuple[Any, ...]]
    applications: list[tuple[Any, ...]]
    cases: list[tuple[Any, ...]]
    periods: list[tuple[Any, ...]]
    adjustments: list[tuple[Any, ...]]

    def count(self) -> int:
        return sum(
            len(part)
            for part in (
                self.households,
                self.members,
                self.applications,
                self.cases,
                self.periods,
                self.adjustments,
            )
        )


HOUSEHOLD_COLUMNS = ("id", "scheme", "address", "community", "township", "bank_account")
MEMBER_COLUMNS = (
    "household_id",
    "name",
    "national_id",
    "sex",
    "birth_date",
    "relation",
    "phone",
    "language",
    "work_capacity",
    "disability",
    "serious_illness",
    "student",
    "carer",
    "pregnant",
    "three_nos",
    "official_relative",
)
APPLICATION_COLUMNS = (
    "id",
    "household_id",
    "kind",
    "state",
    "category_requested",
    "documents",
    "applied_on",
    "appraisal_passed",
    "notice_starts_on",
    "notice_last_day",
    "second_approval_required",
    "decided_on",
    "decision_reason",
    "parameter_version",
)
CASE_COLUMNS = (
    "id",
    "household_id",
    "application_id",
    "scheme",
    "category",
    "status",
    "status_since",
    "status_reason",
    "monthly_amount_fen",
    "entitled_amount_fen",
    "explanation",
    "parameter_version",
    "opened_on",
    "next_review_on",
    "closed_on",
)
PERIOD_COLUMNS = (
    "case_id",
    "status",
    "effective_from",
    "effective_to",
    "monthly_amount_fen",
    "reason",
    "rule",
    "parameter_version",
    "actor",
)
ADJUSTMENT_COLUMNS = (
    "case_id",
    "kind",
    "amount_fen",
    "covers_from",
    "covers_to",
    "reason",
    "source",
    "parameter_version",
)
GENERATED_TABLES = (
    "household",
    "member",
    "application",
    "benefit_case",
    "case_status_period",
    "payment_adjustment",
)
# Timestamp columns are filled with one instant, added per dialect by _bulk.
STAMPED = {
    "household": ("created_at",),
    "member": ("created_at", "updated_at"),
    "application": ("created_at", "updated_at"),
    "benefit_case": (),
    "case_status_period": ("recorded_at",),
    "payment_adjustment": ("created_at",),
}


def _scenario_table() -> list[str]:
    table: list[str] = []
    for name, share in MIX:
        table.extend([name] * share)
    assert len(table) == 100, "the mix must add up to 100%"
    return table


def synthetic_national_id(household: int, index: int, birth: date, sex: str) -> str:
    """A valid ID number (GB 11643) that no other synthetic member has: a person belongs to one
    live household, and the status check, the import and the load benchmark read the county as
    it would be. The region code carries the household's hundreds and the order code its last
    two digits with the member's place (households have at most four members here), the parity
    of the order code the sex, as the standard says."""
    region = (household // 100) % 890_000 + 110_000
    order = ((household % 100) * 4 + index) * 2 + (1 if sex == "male" else 0)
    first17 = f"{region:06d}{birth:%Y%m%d}{order:03d}"
    return first17 + check_character(first17)


def _household_rows(
    rng: random.Random, ids: _Ids, month: Month, version: str, scenario: str, rows: _Rows
) -> None:
    """One household, its members, approved application, case and status history."""
    size = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
    scheme = "urban" if rng.random() < 0.8 else "rural"
    category = rng.choices(("A", "B", "C"), weights=(5, 25, 70))[0]
    per_person = {
        ("urban", "A"): 15_000,
        ("urban", "B"): rng.randrange(3_000, 15_000, 100),
        ("urban", "C"): rng.randrange(2_000, 12_000, 100),
        ("rural", "A"): 12_000,
        ("rural", "B"): 10_000,
        ("rural", "C"): 7_000,
    }[(scheme, category)]
    amount = per_person * size
    township, community = rng.choice(_PLACES)
    account = None if rng.random() < 0.01 else str(rng.randrange(10**18, 10**19))
    rows.households.append(
        (
            ids.household,
            scheme,
            f"{township}{community}{ids.household}号",
            community,
            township,
            account,
        )
    )
    for index in range(size):
        sex = rng.choice(("male", "female"))
        birth = date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))
        relation = "head" if index == 0 else rng.choice(("spouse", "child", "parent"))
        rows.members.append(
            (
                ids.household,
                rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                synthetic_national_id(ids.household, index, birth, sex),
                sex,
                birth.isoformat(),
                relation,
                None,
                "zh_CN",
                "full",
                "none",
                False,
                False,
                False,
                False,
                category == "A",
                False,
            )
        )
    opened = month.first - timedelta(days=rng.randint(40, 700))
    if scenario == "opened mid-month":
        opened = month.first + timedelta(days=rng.randint(1, month.days - 2))
    day = month.first + timedelta(days=rng.randint(1, month.days - 2))  # a change inside M
    before = month.first - timedelta(days=rng.randint(5, 30))  # a change before M
    history = _history(scenario, opened, day, before, amount)
    status, since, paid_now = history[-1]
    rows.applications.append(
        (
            ids.application,
            ids.household,
            "new",
            "approved",
            category,
            _DOCUMENTS,
            (opened - timedelta(days=20)).isoformat(),
            True,
            (opened - timedelta(days=6)).isoformat(),
            (opened - timedelta(days=4)).isoformat(),
            False,
            opened.isoformat(),
            "approved (synthetic)",
            version,
        )
    )
    rows.cases.append(
        (
            ids.case,
            ids.household,
            ids.application,
            scheme,
            category,
            status,
            since.isoformat(),
            f"{scenario} (synthetic)",
            paid_now,
            amount,
            "{}",
            version,
            opened.isoformat(),
            (opened + timedelta(days=182)).isoformat(),
            since.isoformat() if status == "terminated" else None,
        )
    )
    for index, (period_status, starts, monthly) in enumerate(history):
        ends = history[index + 1][1] - timedelta(days=1) if index + 1 < len(history) else None
        rows.periods.append(
            (
                ids.case,
                period_status,
                starts.isoformat(),
                ends.isoformat() if ends else None,
                monthly,
                scenario,
                _rule(period_status, index),
                version,
                "bench",
            )
        )
    if scenario == "back pay from an upheld appeal":
        withheld = amount * rng.randint(5, 45) // 30
        rows.adjustments.append(
            (
                ids.case,
                "back_pay",
                withheld,
                before.isoformat(),
                (month.first - timedelta(days=1)).isoformat(),
                "appeal upheld: what the sanction withheld is repaid",
                "appeal:bench",
                version,
            )
        )
    elif scenario == "recovery owed":
        owed = amount * rng.choice((1, 2, 3)) // 2  # half the time more than the month pays
        rows.adjustments.append(
            (
                ids.case,
                "recovery",
                -owed,
                before.isoformat(),
                (month.first - timedelta(days=1)).isoformat(),
                "overpaid: income found later (synthetic)",
                "recompute:bench",
                version,
            )
        )


def _history(
    scenario: str, opened: date, day: date, before: date, amount: int
) -> list[tuple[str, date, int]]:
    """The case's status periods as (status, from, monthly amount in fen), oldest first."""
    half = (amount + 1) // 2
    first = [("active", opened, amount)]
    return {
        "re-reviewed mid-month": [*first, ("active", day, amount * 4 // 5)],
        "suspended before the month": [*first, ("suspended", before, 0)],
        "suspended from mid-month": [*first, ("suspended", day, 0)],
        "member-share sanction": [*first, ("active", day, amount * 2 // 3)],
        "continuation full": [*first, ("continuation_full", before, amount)],
        "continuation half": [*first, ("continuation_half", before, half)],
        "continuation half from mid-month": [*first, ("continuation_half", day, half)],
        "terminated mid-month": [*first, ("terminated", day, 0)],
        "terminated before the month": [*first, ("terminated", before, 0)],
    }.get(scenario, first)


def _rule(status: str, index: int) -> str:
    if index == 0:
        return "application-approved"
    return {"suspended": "officer-suspended", "terminated": "officer-terminated"}.get(
        status, f"bench-{status}"
    )


def stamp_text(dialect: str, at: datetime) -> str:
    """One instant in the text form each database stores for a timezone-aware column."""
    utc = at.astimezone(UTC)
    if dialect == "sqlite":
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f")  # what kernel.db.UTCDateTime writes
    return utc.isoformat()


def _bulk(
    conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], at: str
) -> None:
    stamped = STAMPED[table]
    extra = (at,) * len(stamped)
    write_rows(conn, table, (*columns, *stamped), [(*row, *extra) for row in rows])


def write_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Rows written in bulk: PostgreSQL's ``COPY``, SQLite's ``executemany``."""
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def _next_ids(conn: Connection) -> _Ids:
    def after(table: str) -> int:
        return int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one())

    return _Ids(after("household") + 1, after("application") + 1, after("benefit_case") + 1)


def generate(
    engine: Engine,
    households: int,
    month: Month,
    version: str,
    *,
    seed: int = 2026,
    at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``households`` synthetic households with cases for ``month``; returns the number of
    rows written. New IDs follow the highest ones already in the tables."""
    rng = random.Random(seed)
    scenarios = _scenario_table()
    stamp = stamp_text(engine.dialect.name, at or datetime.now(UTC))
    written = 0
    with engine.begin() as conn:
        start = _next_ids(conn)
    for offset in range(0, households, CHUNK):
        rows = _Rows([], [], [], [], [], [])
        for k in range(offset, min(offset + CHUNK, households)):
            ids = _Ids(start.household + k, start.application + k, start.case + k)
            _household_rows(rng, ids, month, version, scenarios[rng.randrange(100)], rows)
        with engine.begin() as conn:
            _bulk(conn, "household", HOUSEHOLD_COLUMNS, rows.households, stamp)
            _bulk(conn, "member", MEMBER_COLUMNS, rows.members, stamp)
            _bulk(conn, "application", APPLICATION_COLUMNS, rows.applications, stamp)
            _bulk(conn, "benefit_case", CASE_COLUMNS, rows.cases, stamp)
            _bulk(conn, "case_status_period", PERIOD_COLUMNS, rows.periods, stamp)
            _bulk(conn, "payment_adjustment", ADJUSTMENT_COLUMNS, rows.adjustments, stamp)
        written += rows.count()
        if progress:
            progress(min(offset + CHUNK, households))
    settle_generated(engine, ("household", "application", "benefit_case"), GENERATED_TABLES)
    return written


def settle_generated(engine: Engine, numbered: Sequence[str], loaded: Sequence[str]) -> None:
    """Leave tables written in bulk as a county's are when its work is measured.

    The ``numbered`` tables, whose ids the bulk insert chose, have their PostgreSQL sequences
    moved past those ids, so the service's own inserts that follow do not collide. The
    ``loaded`` ones are analysed, and on PostgreSQL vacuumed: a county's tables have been
    vacuumed by autovacuum long before a month is paid or reported on; a freshly loaded
    PostgreSQL table has not, and its first reader would set the hint bits of every row (a write
    per page) inside the measured run.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in numbered:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"VACUUM ANALYZE {', '.join(loaded)}"))
        else:
            conn.execute(text("ANALYZE"))


# --- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchReport:
    database: str
    households: int
    rows_generated: int
    generate_seconds: float
    period: str
    batch_size: int
    run_seconds: float
    lines: int
    paid_lines: int
    total: str
    peak_memory_mib: float
    memory_before_mib: float
    peak_memory_method: str
    bank_file_seconds: float
    bank_file_bytes: int
    bank_file_floor_seconds: float  # reading the same rows on the same cursor, formatting none
    plain_lines: int  # lines the plain statement wrote
    period_lines: int  # lines the part-month statements wrote
    time_spent: tuple[tuple[str, float], ...]  # the run's seconds by part (payment_profile)
    floors: tuple[payment_floor.Floor, ...]
    database_settings: str

    @property
    def households_per_second(self) -> float:
        return self.households / self.run_seconds if self.run_seconds else 0.0

    def floor(self, variant: str) -> payment_floor.Floor:
        return next(f for f in self.floors if f.variant == variant)

    def ratio(self, variant: str = "ledger") -> float:
        seconds = self.floor(variant).seconds
        return self.run_seconds / seconds if seconds else 0.0


def _generate_child(
    url: str,
    households: int,
    period: str,
    version: str,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    engine = make_engine(url)
    try:
        return generate(
            engine, households, Month.parse(period), version, seed=seed, progress=progress
        )
    finally:
        engine.dispose()


def generate_elsewhere(
    url: str,
    households: int,
    month: Month,
    version: str,
    *,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """``generate`` in a child process, so the memory it leaves behind is not counted as the
    payment run's: the run is measured in a process that has held only the service's code."""
    return int(
        run_elsewhere(
            _generate_child,
            (url, households, month.label, version, seed),
            failed="generating the households failed",
            progress=progress,
        )
    )


def household_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Household)).scalar_one())


def run_bench(
    engine: Engine,
    policy: PolicyBook,
    zone: ZoneInfo,
    households: int,
    *,
    batch_size: int = payments.DEFAULT_BATCH_SIZE,
    seed: int = 2026,
    on_generated: Callable[[int], None] | None = None,
    on_paid: Callable[[int, int], None] | None = None,
) -> BenchReport:
    """Generate, run the month's payments once, export the bank file, measure the floor."""
    clock = SystemClock()
    month = Month.of(office_today(clock, zone))
    version = policy.at(month.first).version_id
    started = time.perf_counter()
    rows = generate_elsewhere(
        engine.url.render_as_string(hide_password=False),
        households,
        month,
        version,
        seed=seed,
        progress=on_generated,
    )
    generate_seconds = time.perf_counter() - started

    runner = payments.Runner(
        engine=engine,
        policy=policy,
        clock=clock,
        zone=zone,
        actor=BENCH_ACTOR,
        batch_size=batch_size,
    )
    before = resident_memory_mib()
    measured = reset_peak_memory()
    with payment_profile.timed(engine) as spent:
        started = time.perf_counter()
        begun = payments.begin(runner, month.label)
        assert begun.lock is not None and begun.run.id is not None, "the month was paid already"
        run = payments.execute(runner, begun.run.id, begun.lock, progress=on_paid)
        run_seconds = time.perf_counter() - started
    peak = peak_memory_mib(measured)

    started = time.perf_counter()
    size = sum(len(chunk) for chunk in bank_file.chunks(engine, month.label))
    bank_seconds = time.perf_counter() - started
    bank_floor = payment_floor.read_floor(engine, month.label)
    plain_lines, period_lines = payment_floor.set_based_lines(engine, month.label)
    floors = payment_floor.measure(engine, month, clock.now())
    return BenchReport(
        database=engine.dialect.name,
        households=households,
        rows_generated=rows,
        generate_seconds=generate_seconds,
        period=month.label,
        batch_size=batch_size,
        run_seconds=run_seconds,
        lines=run.lines,
        paid_lines=run.paid_lines,
        total=yuan_text(from_fen(run.total_fen)),
        peak_memory_mib=peak,
        memory_before_mib=before,
        peak_memory_method=(
            "VmHWM of the process during the run (reset through /proc/self/clear_refs; "
            "the households were generated in a child process)"
            if measured
            else "getrusage ru_maxrss of the whole process"
        ),
        bank_file_seconds=bank_seconds,
        bank_file_bytes=size,
        bank_file_floor_seconds=bank_floor,
        plain_lines=plain_lines,
        period_lines=period_lines,
        time_spent=tuple(spent.parts(run_seconds)),
        floors=tuple(floors),
        database_settings=payment_floor.database_settings(engine),
    )
