"""Payment lines and audit records partitioned by month on PostgreSQL.

Revision ID: 0026
Revises: 0025

A province's ledger and audit trail grow by millions of rows a month. Declarative partitioning
by month keeps each month's rows (and indexes) apart: a payment run for a month reads and writes
one partition, and an old month is detached for the archive instead of deleted
(``kernel.partitions``). The rules that guard money stay enforced by the database: the unique
(period, case_id) of payment lines contains the partition key, so one line per case and month
holds across partitions; the primary keys become (id, partition key), ids still coming from
the same sequence; the audit trail's append-only trigger is created on the parent and reaches
every partition.

An existing table is converted in place: a partitioned twin with the same columns, defaults
and checks, one partition per month its rows fall in, the current month and three ahead, and a
default partition for anything else; the rows copied; the old table dropped and the twin given
its name, constraints, indexes and triggers. SQLite has no partitions: nothing changes there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

from alembic import op
from kernel.partitions import bounds, month_after, partition_name

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

AHEAD = 3
# table -> (partition key, how a month's bounds are written for it)
TABLES = {
    "payment_line": ("period", "text"),
    "audit_record": ("at", "time"),
}


def _months_present(bind: Connection, table: str, key: str, kind: str) -> set[date]:
    if kind == "text":
        found = bind.execute(text(f"SELECT DISTINCT {key} FROM {table}")).scalars()
        return {date(int(p[:4]), int(p[5:7]), 1) for p in found if p and len(p) == 7}
    found = bind.execute(
        text(f"SELECT DISTINCT date_trunc('month', {key} AT TIME ZONE 'UTC') FROM {table}")
    ).scalars()
    return {value.date().replace(day=1) for value in found if value is not None}


def _months_ahead() -> Iterable[date]:
    month = datetime.now(UTC).date().replace(day=1)
    for _ in range(AHEAD + 1):
        yield month
        month = month_after(month)


def _kept(bind: Connection, table: str) -> tuple[list[tuple[str, str, str]], list[str], list[str]]:
    """What dropping ``table`` would lose: its keys and foreign keys, its other indexes and its
    triggers, as statements to make them again."""
    constraints = [
        (name, kind, definition)
        for name, kind, definition in bind.execute(
            text(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'f') "
                "AND conparentid = 0 ORDER BY contype, conname"
            ),
            {"t": table},
        ).all()
    ]
    indexes = list(
        bind.execute(
            text(
                "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS ("
                "SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
                "AND k.conrelid = i.indrelid) ORDER BY c.relname"
            ),
            {"t": table},
        ).scalars()
    )
    triggers = list(
        bind.execute(
            text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal AND tgparentid = 0 "
                "ORDER BY tgname"
            ),
            {"t": table},
        ).scalars()
    )
    return constraints, indexes, triggers


def _owned_sequences(bind: Connection, table: str) -> list[tuple[str, str]]:
    return list(
        bind.execute(
            text(
                "SELECT s.relname, a.attname FROM pg_depend d "
                "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
                "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
                "WHERE d.refobjid = CAST(:t AS regclass) AND d.deptype = 'a'"
            ),
            {"t": table},
        ).all()
    )


def _rebuild(bind: Connection, table: str, key: str, kind: str, partitioned: bool) -> None:
    run = bind.exec_driver_sql
    constraints, indexes, triggers = _kept(bind, table)
    twin = f"{table}_rebuilt"
    layout = f" PARTITION BY RANGE ({key})" if partitioned else ""
    run(
        f"CREATE TABLE {twin} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING STORAGE INCLUDING COMMENTS){layout}"
    )
    if partitioned:
        months = _months_present(bind, table, key, kind) | set(_months_ahead())
        for month in sorted(months):
            low, high = bounds(month, kind)
            run(
                f"CREATE TABLE {partition_name(table, month)} PARTITION OF {twin} "
                f"FOR VALUES FROM ({low}) TO ({high})"
            )
        run(f"CREATE TABLE {table}_default PARTITION OF {twin} DEFAULT")
    run(f"INSERT INTO {twin} SELECT * FROM {table}")
    for sequence, column in _owned_sequences(bind, table):
        run(f"ALTER SEQUENCE {sequence} OWNED BY {twin}.{column}")
    run(f"DROP TABLE {table}")
    run(f"ALTER TABLE {twin} RENAME TO {table}")
    for name, kind_of, definition in constraints:
        if kind_of == "p":
            # The partition key joins the primary key (PostgreSQL asks it of every unique rule
            # on a partitioned table); unpartitioned, the key is the id alone again.
            definition = f"PRIMARY KEY (id, {key})" if partitioned else "PRIMARY KEY (id)"
        run(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for statement in indexes:
        run(statement)
    for statement in triggers:
        run(statement)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, (key, kind) in TABLES.items():
        _rebuild(bind, table, key, kind, partitioned=True)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, (key, kind) in TABLES.items():
        _rebuild(bind, table, key, kind, partitioned=False)
