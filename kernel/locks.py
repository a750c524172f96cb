"""Named locks that die with the process holding them, for work only one process may do at once.

A payment run and the scheduler's leadership must each have one holder per database, and a
holder killed half-way (``kill -9``, a power cut) must not leave the work locked for ever. So
the lock is one the operating system or the database drops when its holder disappears:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on a connection of
  its own, opened outside the engine's pool; the server releases it when that connection ends,
  which a dead process's does. Outside the pool because a pooled connection given back (or
  dropped unreleased and collected) would go on holding the lock inside an idle pooled session.
- SQLite file: an exclusive ``flock`` on a file beside the database (``<db>.<name>.lock``); the
  kernel releases it when the process dies. SQLite serves one host, so a file lock reaches
  every process that can open the database.
- SQLite in memory: the database lives in one process, so a process-wide lock is enough.

``try_lock`` never waits: it returns a ``HeldLock`` or ``None`` when someone else holds it.
``take_within`` waits a moment for it: work carried on in a thread shows itself finished (its
last commit) an instant before the thread gives its lock back, and a person who starts the next
one on seeing "finished" must not be told that someone is still at it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from kernel.db import direct_url


class HeldLock(Protocol):
    name: str

    def alive(self) -> bool:
        """Whether the lock is still held (a PostgreSQL connection can drop under us)."""
        ...

    def release(self) -> None:
        """Give the lock up; safe to call twice."""
        ...


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from a lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def advisory_lock_held(connection: Connection, name: str) -> bool:
    """Whether any session holds the advisory lock ``name`` (PostgreSQL only). A 64-bit key
    shows in ``pg_locks`` as its high and low 32 bits (``classid``, ``objid``, ``objsubid`` 1)."""
    key = advisory_key(name) & 0xFFFF_FFFF_FFFF_FFFF
    held = connection.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objsubid = 1 AND classid::bigint = :high AND objid::bigint = :low"
        ),
        {"high": key >> 32, "low": key & 0xFFFF_FFFF},
    ).scalar_one()
    return bool(held)


class _AdvisoryLock:
    def __init__(self, name: str, connection: Connection) -> None:
        self.name = name
        self._connection: Connection | None = connection

    def alive(self) -> bool:
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted"
                )
            ).scalar_one()
        except Exception:
            return False
        return bool(held)

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self.name)}
            )
        except Exception:
            # The session is gone or broken; closing it for good drops any lock it held.
            connection.invalidate()
        finally:
            connection.close()


class _FileLock:
    def __init__(self, name: str, fd: int) -> None:
        self.name = name
        self._fd: int | None = fd

    def alive(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __del__(self) -> None:
        # A holder dropped without release must not keep the work locked while this process
        # lives on (the kernel only frees the lock when the descriptor closes).
        self.release()


class _ThreadLock:
    def __init__(self, name: str, lock: threading.Lock) -> None:
        self.name = name
        self._lock: threading.Lock | None = lock

    def alive(self) -> bool:
        return self._lock is not None

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def __del__(self) -> None:
        self.release()


_process_locks: dict[tuple[str, str], threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _sqlite_file(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return os.path.abspath(database)


def lock_file_path(engine: Engine, name: str) -> str | None:
    """Where the SQLite file lock for ``name`` lives (None for an in-memory database)."""
    database = _sqlite_file(engine)
    return f"{database}.{name}.lock" if database else None


_unpooled: dict[str, Engine] = {}
_unpooled_guard = threading.Lock()


def _unpooled_engine(engine: Engine) -> Engine:
    """An engine for the same database whose connections really close when closed (or
    collected), so a lock never outlives the ``HeldLock`` that holds it."""
    # Behind a transaction pooler a session lock would be held by a server connection other
    # clients share: the lock's connection goes to the database directly.
    url = direct_url(engine) or engine.url
    key = make_url(url).render_as_string(hide_password=False)
    with _unpooled_guard:
        unpooled = _unpooled.get(key)
        if unpooled is None:
            unpooled = _unpooled[key] = create_engine(url, poolclass=NullPool, hide_parameters=True)
        return unpooled


def try_lock(engine: Engine, name: str) -> HeldLock | None:
    """Take the named lock for this database now, or return None if another holder has it."""
    if engine.dialect.name == "postgresql":
        connection = (
            _unpooled_engine(engine).connect().execution_options(isolation_level="AUTOCOMMIT")
        )
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(name)}
            ).scalar_one()
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return None
        return _AdvisoryLock(name, connection)
    path = lock_file_path(engine, name)
    if path is not None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return _FileLock(name, fd)
    with _process_locks_guard:
        lock = _process_locks.setdefault((str(engine.url), name), threading.Lock())
    if not lock.acquire(blocking=False):
        return None
    return _ThreadLock(name, lock)


# Long enough for a thread between its last commit and its lock's release; short enough that a
# request refused because the work really is in hand still answers at once to a person.
HANDOVER_SECONDS = 1.0


def take_within(engine: Engine, name: str, seconds: float = HANDOVER_SECONDS) -> HeldLock | None:
    """The named lock, trying again every 20 ms for up to ``seconds``; None if it stays held.

    Holds nothing while it waits (no pooled connection, no other lock)."""
    deadline = time.monotonic() + seconds
    while True:
        lock = try_lock(engine, name)
        if lock is not None or time.monotonic() >= deadline:
            return lock
        time.sleep(0.02)
