"""What the database itself does for a month's ledger rows with none of the rules: the floors
a payment run is measured against (``workbridge bench payments``).

One ``INSERT … SELECT`` writes a row per case the run pays (the status periods overlapping the
month, summed per case) into each of these tables, each timed on its own:

- ``plain``: the ledger's columns and a primary key, nothing else, no explanation (NULL);
- ``indexed``: plus the ledger's unique rule (period, case_id) and its index on case_id;
- ``keys``: plus its two foreign keys (run, case) — on PostgreSQL each row fires the
  referential-integrity triggers that check them;
- ``ledger``: the ledger itself (``payment_line``): its unique rule, index and check
  constraint, an explanation (``{}``) per row as JSON, and its references to run and case —
  foreign keys on SQLite, one check per statement on PostgreSQL (migration 0030), which is why
  there ``ledger`` can be faster than ``keys``.

So the ratio to ``ledger`` says what the rules cost on top of the ledger as it is; the steps
between the floors say what the ledger's own guarantees cost, which no rule can win back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Select,
    Table,
    UniqueConstraint,
    case,
    delete,
    func,
    literal,
    null,
    or_,
    select,
    text,
)

from benefits import bank_file
from benefits.models import CaseStatusPeriod, PaymentLine, PaymentRun
from benefits.payment_rules import Month
from kernel.db import UTCDateTime, reader

PERIOD = CaseStatusPeriod.__table__  # type: ignore[attr-defined]
LINE = PaymentLine.__table__  # type: ignore[attr-defined]
RUN = PaymentRun.__table__  # type: ignore[attr-defined]
SCRATCH_PERIOD = "9999-12"  # the floors' rows in the ledger, deleted afterwards
VARIANTS = ("plain", "indexed", "keys", "ledger")
COLUMNS = (
    "run_id",
    "period",
    "case_id",
    "payee_name",
    "regular_fen",
    "adjustments_fen",
    "amount_fen",
    "carried_fen",
    "rule",
    "parameter_version",
    "inputs",
    "created_at",
)


@dataclass(frozen=True)
class Floor:
    variant: str
    rows: int
    seconds: float


def _scratch_table(variant: str) -> Table:
    """A table with the ledger's columns and, by variant, some of its guarantees."""
    metadata = MetaData()
    for name in ("payment_run", "benefit_case"):  # the targets of the foreign keys, by name
        Table(name, metadata, Column("id", Integer, primary_key=True))
    keys = variant == "keys"
    columns = []
    for column in LINE.columns:
        if column.name == "id":
            columns.append(Column("id", Integer, primary_key=True))
        elif keys and column.name == "run_id":
            columns.append(Column("run_id", Integer, ForeignKey("payment_run.id")))
        elif keys and column.name == "case_id":
            columns.append(Column("case_id", Integer, ForeignKey("benefit_case.id")))
        else:
            columns.append(Column(column.name, column.type, nullable=True))
    extra = []
    if variant in ("indexed", "keys"):
        extra = [
            UniqueConstraint("period", "case_id"),
            Index(f"ix_bench_floor_{variant}_case_id", "case_id"),
        ]
    return Table(f"bench_floor_{variant}", metadata, *columns, *extra)


def _source(run_id: int, month: Month, now: datetime, explained: bool) -> Select:  # type: ignore[type-arg]
    live = func.sum(case((PERIOD.c.status != "terminated", 1), else_=0))
    per_case = (
        select(PERIOD.c.case_id, func.sum(PERIOD.c.monthly_amount_fen).label("amount"))
        .where(
            PERIOD.c.effective_from <= month.last,
            or_(PERIOD.c.effective_to.is_(None), PERIOD.c.effective_to >= month.first),
        )
        .group_by(PERIOD.c.case_id)
        .having(live > 0)
        .subquery()
    )
    return select(
        literal(run_id),
        literal(SCRATCH_PERIOD),
        per_case.c.case_id,
        literal(""),
        per_case.c.amount,
        literal(0),
        per_case.c.amount,
        literal(0),
        literal("floor"),
        literal(""),
        literal({}, JSON()) if explained else null(),
        literal(now, UTCDateTime()),
    )


def _scratch_run(engine: Engine, month: Month, now: datetime) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                RUN.insert()
                .values(
                    period=SCRATCH_PERIOD,
                    state="finished",
                    month_first=month.first,
                    month_last=month.last,
                    parameter_version="floor",
                    batch_size=0,
                    first_case_id=0,
                    last_case_id=0,
                    done_through_case_id=0,
                    started_by="bench floor",
                    started_at=now,
                    updated_at=now,
                )
                .returning(RUN.c.id)
            ).scalar_one()
        )


def measure(
    engine: Engine, month: Month, now: datetime, variants: tuple[str, ...] = VARIANTS
) -> list[Floor]:
    """Time each floor once, in the order given; every scratch row and table is removed."""
    run_id = _scratch_run(engine, month, now)
    found: list[Floor] = []
    try:
        for variant in variants:
            table = LINE if variant == "ledger" else _scratch_table(variant)
            if table is not LINE:
                table.create(engine)
            try:
                source = _source(run_id, month, now, explained=variant == "ledger")
                started = time.perf_counter()
                with engine.begin() as conn:
                    conn.execute(table.insert().from_select(list(COLUMNS), source))
                seconds = time.perf_counter() - started
                with engine.begin() as conn:
                    # psycopg reports no row count for INSERT … SELECT through Core: count
                    rows = conn.execute(
                        select(func.count())
                        .select_from(table)
                        .where(table.c.period == SCRATCH_PERIOD)
                    ).scalar_one()
                found.append(Floor(variant, int(rows), seconds))
            finally:
                if table is LINE:
                    with engine.begin() as conn:
                        conn.execute(delete(LINE).where(LINE.c.period == SCRATCH_PERIOD))
                else:
                    table.drop(engine)
    finally:
        with engine.begin() as conn:
            conn.execute(delete(RUN).where(RUN.c.id == run_id))
    return found


def read_floor(engine: Engine, period: str) -> float:
    """Seconds to read the bank file's rows on the driver's cursor and format nothing."""
    started = time.perf_counter()
    with reader(engine).connect() as conn:
        for _ in bank_file.raw_rows(conn, bank_file.lines_query(period)):
            pass
    return time.perf_counter() - started


def set_based_lines(engine: Engine, period: str) -> tuple[int, int]:
    """(plain, part-month): the month's lines written by statement rather than by the Python
    rules — the ones whose explanation is derived when read (no ``inputs`` stored)."""
    plain = LINE.c.paid_from_period_id.is_not(None)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.coalesce(func.sum(case((plain, 1), else_=0)), 0),
                func.coalesce(func.sum(case((plain, 0), else_=1)), 0),
            ).where(LINE.c.period == period, LINE.c.inputs.is_(None))
        ).one()
    return int(row[0]), int(row[1])


SETTINGS = ("shared_buffers", "work_mem", "synchronous_commit", "fsync", "wal_level")


def database_settings(engine: Engine) -> str:
    """The database's version and the settings that decide write speed, for the bench's table."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            version = conn.execute(text("SHOW server_version")).scalar_one()
            shown = [
                f"{name}={conn.execute(text(f'SHOW {name}')).scalar_one()}" for name in SETTINGS
            ]
            return f"PostgreSQL {version}; " + ", ".join(shown)
        version = conn.execute(text("SELECT sqlite_version()")).scalar_one()
        pragmas = [
            f"{name}={conn.execute(text(f'PRAGMA {name}')).scalar_one()}"
            for name in ("journal_mode", "synchronous", "foreign_keys")
        ]
        return f"SQLite {version}; " + ", ".join(pragmas)
