"""Engine, sessions and column types shared by every context.

The same code runs on SQLite (the embedded default) and PostgreSQL; the differences are kept
here: SQLite gets foreign keys, WAL and a busy timeout; timestamps are stored as UTC and always
come back timezone-aware, whichever database holds them.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Table, event, make_url, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

from kernel.capacity import ServiceBusy
from kernel.settings import Settings

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


class WriteGate:
    """One SQLite writer at a time, waiting in line rather than in SQLite's busy handler.

    SQLite has one write lock per database file. Writers that all ask for it with ``BEGIN
    IMMEDIATE`` sleep and poll in SQLite's busy handler, whose sleeps grow to 100 ms: they wake
    in no order, and a writer can wait its whole timeout while others slip past. So a write
    transaction first passes this gate, held from BEGIN to COMMIT or ROLLBACK:

    - within a process, a lock: the process's writers queue there;
    - across the processes of one database (``workbridge serve --workers N``, the command
      line), an exclusive ``flock`` on ``<database>.write-gate``, asked for every fraction of a
      millisecond. A process whose writer waits for it holds a shared lock on
      ``<database>.write-queue`` meanwhile; a process that has just written and sees that
      someone is queued lets its next writer wait a turn, so that two busy processes take
      turns rather than one keeping the database while the other's writers time out.

    A writer that cannot pass within ``wait_seconds`` gets ``ServiceBusy`` (503) and has written
    nothing. An in-memory database lives in one process and needs only the lock.
    """

    POLL_FIRST, POLL_MOST = 0.0002, 0.002  # seconds between tries of the file lock

    def __init__(self, wait_seconds: float, path: str | None = None) -> None:
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._gate_fd = self._queue_fd = -1
        if path is not None:
            self._gate_fd = os.open(f"{path}.write-gate", os.O_RDWR | os.O_CREAT, 0o600)
            self._queue_fd = os.open(f"{path}.write-queue", os.O_RDWR | os.O_CREAT, 0o600)
        self._wrote_last = False  # this process held the file lock for the last write

    def enter(self, info: dict[str, Any]) -> None:
        deadline = time.monotonic() + self.wait_seconds
        if not self._lock.acquire(timeout=self.wait_seconds):
            raise ServiceBusy("another request held the database's write lock too long")
        try:
            if self._gate_fd >= 0:
                self._take_file_lock(deadline)
        except BaseException:
            self._lock.release()
            raise
        info[_HOLDS_GATE] = True

    def leave(self, info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_GATE, False):
            if self._gate_fd >= 0:
                fcntl.flock(self._gate_fd, fcntl.LOCK_UN)
            self._lock.release()

    def _someone_queued(self) -> bool:
        try:
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        return False

    def _take_file_lock(self, deadline: float) -> None:
        if not (self._wrote_last and self._someone_queued()):
            try:
                fcntl.flock(self._gate_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._wrote_last = True
                return
            except BlockingIOError:
                pass
        # Wait in the queue: others see it, and one that has just written lets us go first.
        fcntl.flock(self._queue_fd, fcntl.LOCK_SH)
        try:
            if self._wrote_last:
                time.sleep(self.POLL_MOST * 2)  # our turn is over: let the one queued take it
            delay = self.POLL_FIRST
            while True:
                try:
                    fcntl.flock(self._gate_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self._wrote_last = False
                        raise ServiceBusy(
                            "another process held the database's write lock too long"
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, self.POLL_MOST)
        finally:
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        self._wrote_last = True


_HOLDS_GATE = "workbridge_holds_write_gate"


def _sqlite_path(url: str) -> str:
    return str(make_url(url).database)


def _info(connection: Any) -> dict[str, Any]:
    """A pooled connection's info dictionary (the bare one SQLAlchemy tests on first connect
    has none, and holds no gate)."""
    try:
        return connection.info
    except (AttributeError, NotImplementedError):
        return {}


POOLERS = ("none", "transaction")

# Engines whose connections go through a transaction pooler, and the URL that reaches the same
# database directly (for the session-level locks, ``kernel.locks``).
_direct_urls: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def settings_engine(settings: Settings, **kwargs: Any) -> Engine:
    """The engine for the configured database, through its pooler if one is named."""
    return make_engine(
        settings.database_url,
        pooler=settings.database_pooler,
        direct=settings.direct_database_url,
        **kwargs,
    )


def through_pooler(engine: Engine) -> bool:
    """Whether ``engine`` reaches PostgreSQL through a transaction pooler (PgBouncer)."""
    return engine in _direct_urls


def direct_url(engine: Engine) -> str | None:
    """The URL that reaches ``engine``'s database without its pooler, if it has one."""
    return _direct_urls.get(engine)


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    wait_seconds: float = 30.0,
    bound_lock_waits: bool = False,
    pooler: str = "none",
    direct: str | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url`` whose pool holds ``pool_size`` connections.

    ``wait_seconds`` bounds every wait for the database: a connection from the pool, SQLite's
    write lock (this process's writers queue in a ``WriteGate``; other processes' in SQLite's
    busy handler) and, with ``bound_lock_waits``, a PostgreSQL lock. Served processes pass the
    request capacity's figures (``kernel.capacity``); scripts and jobs keep the patient
    defaults.
    """
    # An error's text quotes the statement; its bound values (names, ID and phone numbers) stay
    # out of it, and so out of every log (kernel.masking is the second line).
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        in_memory = ":memory:" in url or url in ("sqlite://", "sqlite:///")
        if not in_memory:
            kwargs.setdefault("pool_size", pool_size)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", wait_seconds)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": wait_seconds}, **kwargs
        )
        gate = WriteGate(wait_seconds, None if in_memory else _sqlite_path(url))
        busy_ms = int(wait_seconds * 1000)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # BEGIN is issued by _sqlite_begin below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # pysqlite would run SELECTs outside any transaction and BEGIN only at the first
            # write, so a read-then-write use case could act on stale reads (a lost update).
            # Write transactions take the write lock up front instead; read-only work asks for
            # DEFERRED through the ``sqlite_begin`` execution option (``reader``) and never
            # touches the write lock.
            # The driver's own execute: BEGIN needs none of SQLAlchemy's statement machinery,
            # and every request pays for this line.
            driver = connection.connection.driver_connection
            mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            if mode == "DEFERRED":
                driver.execute("BEGIN DEFERRED")
                return
            gate.enter(connection.info)
            try:
                driver.execute(f"BEGIN {mode}")
            except BaseException:
                gate.leave(connection.info)
                raise

        # The gate is passed on once COMMIT or ROLLBACK has run (the engine's commit and
        # rollback events fire just before), so the next writer's BEGIN never meets the lock.
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                gate.leave(_info(dbapi_connection))

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                gate.leave(_info(dbapi_connection))

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]

        @event.listens_for(engine.pool, "checkin")
        def _sqlite_checkin(_: Any, record: Any) -> None:
            # A connection given back mid-transaction (an error between BEGIN and COMMIT) is
            # rolled back by the pool; its place in the gate goes with it.
            gate.leave(record.info)

        return engine
    kwargs.setdefault("pool_size", pool_size)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", wait_seconds)
    lock_ms = int(wait_seconds * 1000)
    if pooler == "transaction":
        # Behind PgBouncer in transaction pooling (docs/DEPLOYMENT.md): consecutive
        # transactions may run on different server connections, so nothing may live in the
        # session. psycopg prepares a statement on its connection after a few uses; the next
        # transaction's server connection would not know it (PgBouncer carries prepared
        # statements only from 1.21; Debian 12 has 1.18). PgBouncer also refuses startup
        # parameters it does not track, so the lock wait is set in each transaction instead.
        kwargs.setdefault("connect_args", {})["prepare_threshold"] = None
    elif bound_lock_waits:
        # A row or table lock held elsewhere makes the statement fail (SQLSTATE 55P03, answered
        # 503) after the wait, instead of holding the request, its thread and its connection.
        options = f"-c lock_timeout={lock_ms}"
        kwargs.setdefault("connect_args", {}).setdefault("options", options)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    if pooler == "transaction":
        _direct_urls[engine] = direct or url
        if bound_lock_waits:

            @event.listens_for(engine, "begin")
            def _bound_lock_wait(connection: Any) -> None:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_ms}")

    return engine


# A pooled connection given back less than this long ago is handed out without a ping.
PING_AFTER_IDLE_SECONDS = 0.2


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection is alive before handing it out — if it has lain idle.

    SQLAlchemy's ``pool_pre_ping`` asks the server on every checkout: a round trip per request
    and two per SMS claim and outcome batch, measured as a sixth of the SMS worker's time at
    1,400 messages/s. A connection given back a moment ago was alive a moment ago; one that lay
    idle through a restart or a failover is found dead here and replaced (the pool reconnects
    when a checkout raises ``DisconnectionError``). A server lost within the last
    ``PING_AFTER_IDLE_SECONDS`` fails the one statement that meets it, as it would mid-request.
    """

    @event.listens_for(engine.pool, "checkin")
    def _given_back(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            record.info["given_back_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _taken(dbapi_connection: Any, record: Any, _: Any) -> None:
        given_back = record.info.get("given_back_at")
        if given_back is None or time.monotonic() - given_back < PING_AFTER_IDLE_SECONDS:
            return  # new, or given back a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError() from exc
        if not alive:
            raise DisconnectionError()


_readers: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def reader(engine: Engine) -> Engine:
    """The same engine and pool, for read-only work: on SQLite its transactions begin DEFERRED,
    so they read the last committed state and never wait for (or block) a writer."""
    found = _readers.get(engine)
    if found is None:
        found = _readers[engine] = engine.execution_options(sqlite_begin="DEFERRED")
    return found


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def new_read_session(engine: Engine) -> Session:
    """A session for reading only (see ``reader``); it opens no connection until first used."""
    return Session(reader(engine), expire_on_commit=False)


class RequestSession(Session):
    """A request's session: one write transaction at most, and reads after it that do not
    hold SQLite's write lock.

    A use case commits its own unit of work; the handler then reads the answer (the new
    household with its members, say). Those reads begin a new transaction; were it a write
    transaction too it would hold the write lock until the request ends and make writers
    queue behind a read. After the commit the session therefore reads through ``reader``.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        writing: bool,
        read_from: Engine | None = None,
        after_write: Callable[[], None] | None = None,
    ) -> None:
        """``read_from`` is where a request that only reads reads (a replica, see
        ``kernel.replica``); ``after_write`` runs once a write has been committed."""
        bind = engine if writing else (read_from or reader(engine))
        super().__init__(bind, expire_on_commit=False)
        self._reader = reader(engine)
        self._after_write = after_write

    def commit(self) -> None:
        super().commit()
        self.bind = self._reader  # the reads after a write see it: the primary's
        if self._after_write is not None:
            self._after_write()


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
    """Whether the database answers a query; on SQLite without the write lock, so a writer
    holding it does not make the service look down."""
    try:
        with reader(engine).connect() as connection:
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
