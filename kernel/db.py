"""Engine, sessions and column types shared by every context.

The same code runs on SQLite (the embedded default) and PostgreSQL; the differences are kept
here: SQLite gets foreign keys, WAL and a busy timeout; timestamps are stored as UTC and always
come back timezone-aware, whichever database holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Table, event, text
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused on the way in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # BEGIN is issued by _sqlite_begin below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # pysqlite would run SELECTs outside any transaction and BEGIN only at the first
            # write, so a read-then-write use case could act on stale reads (a lost update).
            # Write transactions take the write lock up front instead; read-only requests ask
            # for DEFERRED through the ``sqlite_begin`` execution option.
            mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kwargs)


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def new_read_session(engine: Engine) -> Session:
    """A session for reading only: on SQLite it does not take the write lock (BEGIN DEFERRED),
    so it reads the last committed state while a writer is busy."""
    session = new_session(engine)
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})
    return session


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session for scripts and jobs: commits on success, rolls back on any error."""
    session = new_session(engine)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def insert_ignoring_conflicts(dialect: str, table: Table, conflict_columns: list[str]) -> Insert:
    """``INSERT … ON CONFLICT (columns) DO NOTHING`` on SQLite and PostgreSQL alike.

    For writes that must happen once however often they are tried (a retried batch, a second
    claim of the same job): the unique constraint decides, and a duplicate is skipped rather
    than raising, so the rest of the transaction stands. Add ``.returning(...)`` to learn which
    rows were new.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    raise ValueError(f"Workbridge runs on SQLite or PostgreSQL, not {dialect}")
