"""How much work one process takes on at once, and what a request gets when it cannot be served.

Every request that touches the database runs its whole unit of work — open a session, run the
use case, read the answer, close the session — inside one call on a worker thread
(``kernel.web``). The number of those threads and the size of the connection pool are set
together here, so that:

- a thread never waits for a pooled connection: the pool has a connection for every thread
  (plus a few for the scheduler and the in-process SMS worker), and a connection is always
  given back before its thread is;
- the event loop never touches the database, so it keeps accepting, answering and shutting
  down whatever the database is doing;
- a request that cannot get a thread within ``queue_seconds`` (the process is saturated) is
  answered 503 with ``Retry-After`` instead of waiting without end; so is one whose connection
  or SQLite write lock does not come in time.

The values come from the settings (``WORKBRIDGE_THREADS``, ``WORKBRIDGE_QUEUE_SECONDS``,
``WORKBRIDGE_DB_WAIT_SECONDS``); README *Many people at once* explains how to size them against
PostgreSQL's ``max_connections`` when several processes serve one database.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

# Connections beyond the request threads: the scheduler's leader lock and jobs, the in-process
# SMS worker, and /health.
BACKGROUND_CONNECTIONS = 4


class ServiceBusy(Exception):
    """The process could not start or finish this request in time; nothing was written.

    Answered 503 with ``Retry-After`` (``kernel.errors``): the client may simply try again."""

    def __init__(self, reason: str, retry_after: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass
class Capacity:
    """The request threads of one process and the wait allowed for one of them."""

    threads: int = 16
    queue_seconds: float = 10.0
    _gate: anyio.Semaphore | None = field(default=None, init=False, repr=False)
    _limiter: anyio.CapacityLimiter | None = field(default=None, init=False, repr=False)

    @property
    def pool_size(self) -> int:
        """Connections the engine may hold: one per request thread and the background ones."""
        return self.threads + BACKGROUND_CONNECTIONS

    def _bind(self) -> tuple[anyio.Semaphore, anyio.CapacityLimiter]:
        # Created on first use, inside the running event loop (uvicorn's or the test client's).
        if self._gate is None or self._limiter is None:
            self._gate = anyio.Semaphore(self.threads)
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._gate, self._limiter

    def reset(self) -> None:
        self._gate = None
        self._limiter = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a request thread, waiting at most ``queue_seconds`` for one."""
        gate, limiter = self._bind()
        with anyio.move_on_after(self.queue_seconds) as waited:
            await gate.acquire()
        if waited.cancelled_caught:
            raise ServiceBusy("every request thread stayed busy", retry_after=2)
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)
        finally:
            gate.release()


_current: ContextVar[Capacity] = ContextVar("workbridge_capacity")
_fallback = Capacity()


def current_capacity() -> Capacity:
    """The capacity of the application serving this request (set by ``capacity_middleware``)."""
    return _current.get(_fallback)


def use_capacity(capacity: Capacity) -> None:
    _current.set(capacity)
