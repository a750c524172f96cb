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

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# Connections beyond the request threads, for work that runs beside the requests: the
# scheduler's leader lock and its job, a payment run started from the API (its lock and its
# batch), the in-app SMS worker's lock, claims and records. (/health runs on a request thread.)
BACKGROUND_CONNECTIONS = 8


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

    threads: int = 8
    queue_seconds: float = 10.0
    _gate: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    _executor: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    @property
    def pool_size(self) -> int:
        """Connections the engine may hold: one per request thread and the background ones."""
        return self.threads + BACKGROUND_CONNECTIONS

    def _bind(self) -> tuple[asyncio.Semaphore, ThreadPoolExecutor]:
        # Created on first use, inside the running event loop (uvicorn's or the test client's).
        if self._gate is None or self._executor is None:
            self._gate = asyncio.Semaphore(self.threads)
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="request")
        return self._gate, self._executor

    def reset(self) -> None:
        """Forget the threads of an event loop that has ended (the app is starting again)."""
        self.close(wait=False)
        self._gate = None

    def close(self, wait: bool = True) -> None:
        """Let the running units of work finish (``wait``) and end the threads."""
        if self._executor is not None:
            self._executor.shutdown(wait=wait)
            self._executor = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a request thread, waiting at most ``queue_seconds`` for one.

        asyncio's own executor rather than anyio's worker threads: it is the busiest line of
        every request, and the lighter hand-over is measurably faster.
        """
        gate, executor = self._bind()
        if gate.locked():
            try:
                async with asyncio.timeout(self.queue_seconds):
                    await gate.acquire()
            except TimeoutError:
                raise ServiceBusy("every request thread stayed busy", retry_after=2) from None
        else:
            await gate.acquire()
        # The request's context (its day bounds, its reader's language) goes with it.
        context = contextvars.copy_context()
        future = asyncio.get_running_loop().run_in_executor(executor, context.run, fn, *args)
        # The place is given back when the thread is done, even if the client has gone.
        future.add_done_callback(lambda _: gate.release())
        return await future


_current: ContextVar[Capacity] = ContextVar("workbridge_capacity")
_fallback = Capacity()


def current_capacity() -> Capacity:
    """The capacity of the application serving this request (set by
    ``kernel.web.request_frame_middleware``)."""
    return _current.get(_fallback)


def use_capacity(capacity: Capacity) -> None:
    _current.set(capacity)
