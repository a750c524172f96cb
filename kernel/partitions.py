"""Months' partitions of the ledger and the audit trail on PostgreSQL: made ahead, detached after.

Migration 0026 partitions ``payment_line`` by period and ``audit_record`` by the month of
``at`` (UTC). A month's rows go to its own partition when it exists, to the default partition
otherwise; a partition cannot be made for a month the default already holds rows of without
moving them, so months are made well ahead: the scheduler's leader makes the current month and
``AHEAD`` more each day (``ensure_ahead``), and ``workbridge partitions ensure`` does it by
hand. An old month is detached (``detach_before``): its table stays, now on its own, for the
archive to copy and the database administrator to drop — nothing is deleted here. SQLite has no
partitions; every function is a no-op there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, text

AHEAD = 3
# table -> (partition key, kind of bounds)
TABLES = {
    "payment_line": ("period", "text"),
    "audit_record": ("at", "time"),
}


def month_after(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_{month:%Y_%m}"


def bounds(month: date, kind: str) -> tuple[str, str]:
    """The partition's FROM and TO, as SQL literals (a period's text, or UTC instants)."""
    after = month_after(month)
    if kind == "text":
        return f"'{month:%Y-%m}'", f"'{after:%Y-%m}'"
    return f"'{month:%Y-%m-%d} 00:00:00+00'", f"'{after:%Y-%m-%d} 00:00:00+00'"


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    low: str  # the bound as PostgreSQL prints it, or "DEFAULT"
    rows: int


def partitioned(connection: Connection) -> list[str]:
    """The tables of ``TABLES`` that are partitioned in this database."""
    if connection.dialect.name != "postgresql":
        return []
    found = connection.execute(
        text("SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid")
    ).scalars()
    return sorted(name for name in found if name in TABLES)


def listing(engine: Engine) -> list[Partition]:
    """Each partition of the partitioned tables, with its bound and an estimate of its rows."""
    with engine.connect() as connection:
        tables = partitioned(connection)
        if not tables:
            return []
        rows = connection.execute(
            text(
                "SELECT parent.relname, child.relname, pg_get_expr(child.relpartbound, child.oid), "
                "GREATEST(child.reltuples, 0)::bigint "
                "FROM pg_inherits i JOIN pg_class parent ON parent.oid = i.inhparent "
                "JOIN pg_class child ON child.oid = i.inhrelid "
                "WHERE parent.relname = ANY(:tables) ORDER BY parent.relname, child.relname"
            ),
            {"tables": tables},
        ).all()
    return [Partition(table, name, bound, int(count)) for table, name, bound, count in rows]


def _default_holds(connection: Connection, table: str, month: date) -> bool:
    key, kind = TABLES[table]
    low, high = bounds(month, kind)
    held = connection.execute(
        text(
            f"SELECT EXISTS (SELECT 1 FROM {table}_default WHERE {key} >= {low} AND {key} < {high})"
        )
    ).scalar()
    return bool(held)


def ensure_ahead(engine: Engine, today: date, ahead: int = AHEAD) -> tuple[list[str], list[str]]:
    """Make the partitions of ``today``'s month and ``ahead`` months after it where missing.
    Returns the partitions made, and those that could not be because the default partition
    already holds rows of their month (the database administrator moves those)."""
    made: list[str] = []
    blocked: list[str] = []
    with engine.connect() as connection:
        tables = partitioned(connection)
        if not tables:
            return made, blocked
        existing = set(
            connection.execute(text("SELECT relname FROM pg_class WHERE relispartition")).scalars()
        )
        connection.rollback()
        for table in tables:
            month = today.replace(day=1)
            for _ in range(ahead + 1):
                name = partition_name(table, month)
                if name not in existing:
                    with connection.begin():
                        if _default_holds(connection, table, month):
                            blocked.append(name)
                        else:
                            low, high = bounds(month, TABLES[table][1])
                            connection.execute(
                                text(
                                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} "
                                    f"FOR VALUES FROM ({low}) TO ({high})"
                                )
                            )
                            made.append(name)
                month = month_after(month)
    return made, blocked


def detach_before(engine: Engine, month: date) -> list[str]:
    """Detach every month's partition before ``month``; their tables stay for the archive."""
    detached: list[str] = []
    cutoff = partition_name("", month.replace(day=1))
    for partition in listing(engine):
        suffix = partition.name.removeprefix(partition.table)
        if partition.low == "DEFAULT" or not suffix[1:5].isdigit() or suffix >= cutoff:
            continue
        with engine.begin() as connection:
            connection.execute(
                text(f"ALTER TABLE {partition.table} DETACH PARTITION {partition.name}")
            )
        detached.append(partition.name)
    return detached
