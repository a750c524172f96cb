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
- **PostgreSQL**: psycopg's asynchronous connections, from a ``psycopg_pool`` pool of its own
  (``LOOP_CONNECTIONS`` per process, on top of the request threads' pool): the loop never blocks
  on the network. A connection not free within the database wait, or a statement running past
  it, is ``ServiceBusy`` (503 with ``Retry-After``).
- **An in-memory SQLite database** (the suite's private ones) exists only on the engine's own
  connection, so there every read goes to a request thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Engine

from kernel.capacity import ServiceBusy, current_capacity

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

    def __init__(self, engine: Engine, wait_seconds: float) -> None:
        self.engine = engine
        self.wait_seconds = wait_seconds
        self._sqlite: dict[int, sqlite3.Connection] = {}
        self._pools: dict[int, Any] = {}  # psycopg_pool.AsyncConnectionPool, by loop
        # How statements for ``rows`` are compiled (the engine's own parameter style).
        self.dialect: Dialect = engine.dialect

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
            from psycopg_pool import AsyncConnectionPool

            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            wait_ms = max(1, int(self.wait_seconds * 1000))
            pool = AsyncConnectionPool(
                conninfo,
                min_size=1,
                max_size=LOOP_CONNECTIONS,
                timeout=self.wait_seconds,
                kwargs={"autocommit": True, "options": f"-c statement_timeout={wait_ms}"},
                name="loop-reads",
                open=False,
            )
            await pool.open(wait=False)
            self._pools[loop] = pool

    async def close(self) -> None:
        """Close what this loop opened (another loop's stays with it)."""
        loop = _loop()
        connection = self._sqlite.pop(loop, None)
        if connection is not None:
            connection.close()
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
            return await self._postgres_rows(pool, sql, params)
        return await current_capacity().run(thread_rows, self.engine, sql, params)

    async def _postgres_rows(self, pool: Any, sql: str, params: Params) -> list[Row]:
        from psycopg import errors
        from psycopg_pool import PoolTimeout

        try:
            async with pool.connection() as connection:
                cursor = await connection.execute(sql, params)
                return await cursor.fetchall()
        except PoolTimeout:
            raise ServiceBusy("no database connection came in time") from None
        except errors.QueryCanceled:
            raise ServiceBusy("the database did not answer in time") from None


def _loop() -> int:
    return id(asyncio.get_running_loop())
