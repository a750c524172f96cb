"""Months' partitions of the ledger, the audit trail, the SMS outbox and activation decisions on
PostgreSQL: made ahead, detached after.

Migration 0026 partitions ``payment_line`` by period and ``audit_record`` by the month of ``at``
(UTC); migration 0028 ``sms_outbox`` by the month of ``created_at`` and 0029
``activation_decision`` by the month of ``decided_at`` (both UTC). A month's rows go to
its own partition when it exists, to the default partition otherwise; a partition cannot be made
for a month the default already holds rows of without moving them, so months are made well
ahead: the scheduler's leader makes the current month and ``AHEAD`` more each day
(``ensure_ahead``), and ``workbridge partitions ensure`` does it by hand. An old month is
detached (``detach_before``): its table stays, now on its own, for the archive to copy and the
database administrator to drop — nothing is deleted here. A month of the outbox is kept back
while any of its messages is still queued or being sent: detaching it would take them out of the
worker's reach. SQLite has no partitions; every function is a no-op there.

``convert`` is the migrations' way of turning an existing table into a partitioned one and
back, with every row, key, index and trigger kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, text

AHEAD = 3
# table -> (partition key, kind of bounds)
TABLES = {
    "payment_line": ("period", "text"),
    "audit_record": ("at", "time"),
    "sms_outbox": ("created_at", "time"),
    "activation_decision": ("decided_at", "time"),
}
# table -> the rows that keep a month's partition attached (work not finished yet)
IN_USE = {
    "sms_outbox": "status IN ('queued', 'sending')",
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


def detach_before(engine: Engine, month: date) -> tuple[list[str], list[str]]:
    """Detach every month's partition before ``month``; their tables stay for the archive.
    Returns the partitions detached, and those kept back because rows of theirs are still at
    work (``IN_USE``: an outbox month with a message queued or being sent)."""
    detached: list[str] = []
    kept: list[str] = []
    cutoff = partition_name("", month.replace(day=1))
    for partition in listing(engine):
        suffix = partition.name.removeprefix(partition.table)
        if partition.low == "DEFAULT" or not suffix[1:5].isdigit() or suffix >= cutoff:
            continue
        with engine.begin() as connection:
            busy = IN_USE.get(partition.table)
            if busy is not None:
                # The parent's lock first, as DETACH takes it: a worker's claim cannot put a
                # month's message back to work between this look and the detach.
                connection.execute(text(f"LOCK TABLE {partition.table} IN SHARE MODE"))
                held = connection.execute(
                    text(f"SELECT EXISTS (SELECT 1 FROM {partition.name} WHERE {busy})")
                ).scalar()
                if held:
                    kept.append(partition.name)
                    continue
            connection.execute(
                text(f"ALTER TABLE {partition.table} DETACH PARTITION {partition.name}")
            )
        detached.append(partition.name)
    return detached, kept


# --- converting a table (migrations 0026, 0028 and 0029) ---------------------------------------


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


def convert(bind: Connection, table: str, *, partitioned: bool) -> None:
    """Rebuild ``table`` partitioned by month (``TABLES``' key) or as a plain table again.

    A twin with the same columns, defaults and checks; when partitioned, one partition per
    month its rows fall in, the current month and ``AHEAD`` more, and a default partition; the
    rows copied; the old table dropped and the twin given its name, keys, indexes and
    triggers. The partition key joins the primary key (PostgreSQL asks it of every unique rule
    on a partitioned table); unpartitioned, the key is the id alone again. No foreign key may
    point at ``table`` while this runs: the caller moves them first."""
    key, kind = TABLES[table]
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
            definition = f"PRIMARY KEY (id, {key})" if partitioned else "PRIMARY KEY (id)"
        run(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for statement in indexes:
        run(statement)
    for statement in triggers:
        run(statement)
