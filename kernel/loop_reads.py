"""Single-statement reads answered on the event loop, for the busiest route.

Every other request runs its unit of work on a request thread (``kernel.capacity``). The status
check is one indexed SELECT, and measured under load (README *Many people at once*) the hand-over
to a request thread and back cost more than the query: at 64 connections on SQLite the service
reached 0.45 of its floor through a thread and 0.72 with the read made on the loop (PostgreSQL:
0.43 and 0.54). So the few reads that are one statement and nothing else may use this instead —
and keep the promises the threads keep:

- **SQLite**: one connection of the process's own, ``query_only`` and in autocommit, so each
  statement reads its own snapshot and never touches the write lock. Its busy timeout is zero: a
  read that would have to wait (in WAL mode only a recovery or another connection holding the
  file in exclusive mode makes a reader wait) does not wait on the loop but is made again on a
  request thread, where the wait is bounded and answered 503 when it runs out. The rows are in
  the page cache of that connection after the first reads, so a read costs tens of microseconds.
- **PostgreSQL**: asyncpg's connections, from a pool of its own (``LOOP_CONNECTIONS`` per
  process, on top of the request threads' pool): the loop never blocks on the network. asyncpg,
  not psycopg's asynchronous mode, because on the loop the driver's own work is the cost: one
  status query took about 210 µs of CPU through psycopg's asynchronous connection and 100 µs
  through asyncpg (80 µs through a blocking psycopg one). With that, no reset round trip when a
  connection goes back, and requests taken in arrival order, the load bench at 64 connections
  went from 0.54 of its floor to 0.64, p99 69 ms (README *Many people at once*). The rest of
  the service keeps psycopg; this module is the only user of asyncpg. A connection not free
  within the request queue's time, a statement running past the database wait, or a server
  that cannot be reached is ``ServiceBusy`` (503 with ``Retry-After``).
- **An in-memory SQLite database** (the suite's private ones) exists only on the engine's own
  connection, so there every read goes to a request thread.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Engine

from kernel.capacity import ServiceBusy, current_capacity
from kernel.db import through_pooler

# Asynchronous PostgreSQL connections per serving process, beside its threads' pool (README
# *Many people at once* counts them against max_connections).
LOOP_CONNECTIONS = 4

Params = Sequence[Any] | Mapping[str, Any]
Row = tuple[Any, ...]


def thread_rows(engine: Engine, sql: str, params: Params) -> list[Row]:
    """``sql`` on a pooled driver connection, without session or transaction around it (one
    statement is atomic by itself); for a request thread or a script."""
    connection = engine.raw_connection()
    postgres = engine.dialect.name == "postgresql"
    try:
        if postgres:
            connection.driver_connection.autocommit = True  # no BEGIN and ROLLBACK round trips
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
    finally:
        try:
            if postgres:
                connection.driver_connection.autocommit = False
        finally:
            connection.close()


def _must_wait(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


class LoopReads:
    """The loop's own way to the database, opened when the application starts serving.

    Kept per event loop: the same application may serve on two loops at once (a test client
    and a live server), and an asynchronous pool belongs to the loop that made it."""

    def __init__(
        self, engine: Engine, wait_seconds: float, queue_seconds: float | None = None
    ) -> None:
        self.engine = engine
        self.wait_seconds = wait_seconds
        # Waiting for one of the loop's few connections is this path's queue, as waiting for a
        # request thread is the others' (kernel.capacity): it gets the same time before a 503.
        # Measured: with the database wait alone (5 s), the mixed office day at 256 connections
        # on PostgreSQL answered a status check 503 while the threads' requests still waited.
        self.queue_seconds = wait_seconds if queue_seconds is None else queue_seconds
        self._sqlite: dict[int, sqlite3.Connection] = {}
        self._client_timeout: float | None = None
        self._pools: dict[int, Any] = {}  # asyncpg.Pool, by loop
        # The line in front of each pool (``_postgres_rows`` says why), by loop.
        self._lines: dict[int, asyncio.Semaphore] = {}

    @property
    def dialect(self) -> Dialect:
        """How statements for ``rows`` on this loop are compiled: asyncpg's parameter style
        ($1, $2, …) where the loop reads PostgreSQL through it, else the engine's own."""
        if _loop_or_none() in self._pools:
            return _asyncpg_dialect()
        return self.engine.dialect

    @property
    def on_loop(self) -> bool:
        """Whether reads are answered on a loop (False: every read goes to a thread)."""
        return bool(self._sqlite or self._pools)

    async def open(self) -> None:
        await self.close()
        loop = _loop()
        url = self.engine.url
        if url.get_backend_name() == "sqlite":
            path = url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                connection = sqlite3.connect(
                    path, timeout=0, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA query_only=ON")
                self._sqlite[loop] = connection
        elif url.get_backend_name() == "postgresql":
            import asyncpg

            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            wait_ms = max(1, int(self.wait_seconds * 1000))
            # min_size 0: the service starts (and answers 503) while the database is away.
            self._lines[loop] = asyncio.Semaphore(LOOP_CONNECTIONS)
            pooled = through_pooler(self.engine)
            # Behind a transaction pooler: no named prepared statements (asyncpg's cache) and
            # no startup parameters (PgBouncer refuses them); the statement's time is bounded
            # by the client instead, which cancels it on the server when it runs out.
            self._client_timeout = self.wait_seconds if pooled else None
            self._pools[loop] = await asyncpg.create_pool(
                dsn,
                min_size=0,
                max_size=LOOP_CONNECTIONS,
                server_settings={} if pooled else {"statement_timeout": str(wait_ms)},
                statement_cache_size=0 if pooled else 100,
                reset=_nothing_to_reset,
            )

    async def close(self) -> None:
        """Close what this loop opened (another loop's stays with it)."""
        loop = _loop()
        connection = self._sqlite.pop(loop, None)
        if connection is not None:
            connection.close()
        self._lines.pop(loop, None)
        pool = self._pools.pop(loop, None)
        if pool is not None:
            await pool.close()

    async def rows(self, sql: str, params: Params) -> list[Row]:
        """Every row ``sql`` gives for ``params`` (in the driver's parameter style)."""
        loop = _loop()
        connection = self._sqlite.get(loop)
        pool = self._pools.get(loop)
        if connection is not None:
            try:
                cursor = connection.execute(sql, params)
                try:
                    return cursor.fetchall()
                finally:
                    # An open statement would hold its snapshot (and the WAL) until the next.
                    cursor.close()
            except sqlite3.OperationalError as error:
                if not _must_wait(error):
                    raise
        elif pool is not None:
            return await self._postgres_rows(pool, self._lines[loop], sql, params)
        return await current_capacity().run(thread_rows, self.engine, sql, params)

    async def _postgres_rows(
        self, pool: Any, line: asyncio.Semaphore, sql: str, params: Params
    ) -> list[Row]:
        """One statement on one of the pool's connections, taken in turn.

        asyncpg's pool hands a connection given back to whoever asks next, so under load a
        request that has just arrived often goes ahead of one that has waited: measured at 64
        connections, p50 14 ms and p99 232 ms. The semaphore in front of it (first come, first
        served since Python 3.11) lets through only as many requests as there are connections,
        in the order they came, so the pool always has one free for them."""
        import asyncpg

        try:
            async with asyncio.timeout(self.queue_seconds):
                await line.acquire()
        except TimeoutError:
            raise ServiceBusy("no database connection came in time") from None
        try:
            async with pool.acquire(timeout=self.wait_seconds) as connection:
                return await connection.fetch(sql, *params, timeout=self._client_timeout)
        except TimeoutError:
            raise ServiceBusy("no database connection came in time") from None
        except asyncpg.QueryCanceledError:
            raise ServiceBusy("the database did not answer in time") from None
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.ConnectionDoesNotExistError):
            raise ServiceBusy("the database cannot be reached") from None
        finally:
            line.release()


async def _nothing_to_reset(connection: Any) -> None:
    """What asyncpg's pool runs on a connection given back, in place of its default (``SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``, a second round trip for every
    status check): these connections only ever run one SELECT in autocommit, so they hold no
    lock, cursor, listener or setting to undo. An open transaction is still rolled back by the
    pool itself before this is called."""


def _loop() -> int:
    return id(asyncio.get_running_loop())


def _loop_or_none() -> int | None:
    try:
        return _loop()
    except RuntimeError:
        return None


@functools.cache
def _asyncpg_dialect() -> Dialect:
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    return dialect()
