"""The context's life inside the web process: one HTTP client and, if enabled, the worker.

ARCHITECTURE.md: one httpx AsyncClient per process, created in the app's lifespan. The
background worker is off by default (``WORKBRIDGE_SMS_WORKER_IN_APP``): production runs
``workbridge sms worker`` as its own process so web restarts never interrupt sends.

With ``workbridge serve --workers N`` every worker process runs this lifespan, but only one of
them per database sends: the one holding the ``sms-worker-in-app`` lock (``kernel.locks``: a
file lock beside the SQLite database, a PostgreSQL advisory lock). SQLite has one writer, and
the outbox worker refuses to share a database file; on PostgreSQL two senders would be safe
(claims skip locked rows) but would only split the same gateway rate limit. The others stand
by and try again every ``STANDBY_SECONDS``, so when the sending process stops or dies another
takes over. A separate ``workbridge sms worker`` on the same SQLite file also makes the in-app
one stand by.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from kernel.locks import try_lock
from notifications.gateways import build_gateway, new_http_client
from notifications.worker import OutboxWorker, WorkerBusy

log = logging.getLogger("notifications")

IN_APP_LOCK = "sms-worker-in-app"
STANDBY_SECONDS = 30.0


@contextlib.asynccontextmanager
async def sms_lifespan(app: Any) -> AsyncIterator[None]:
    state = app.state
    client = new_http_client(state.sms_settings)
    state.sms_gateway = build_gateway(state.sms_settings, client)
    state.sms_sending = False  # whether this process is the one sending (tests, operators)
    stop = asyncio.Event()
    task: asyncio.Task[Any] | None = None
    if state.sms_settings.worker_in_app:
        task = asyncio.create_task(_send_or_stand_by(state, stop))
        task.add_done_callback(_report_end)
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=30)
        await state.sms_gateway.aclose()
        await client.aclose()


async def _send_or_stand_by(state: Any, stop: asyncio.Event) -> None:
    """Run the outbox worker while this process holds the in-app lock; otherwise wait and try
    again. Taking and giving back the lock may touch the database (PostgreSQL), so it happens
    on a thread, never on the event loop."""
    engine = state.engine
    while not stop.is_set():
        lock = await asyncio.to_thread(try_lock, engine, IN_APP_LOCK)
        if lock is None:
            log.info("another serving process sends SMS; this one stands by")
        else:
            worker = OutboxWorker(
                engine, state.sms_gateway, state.sms_settings, state.sms_rules, clock=state.clock
            )
            try:
                state.sms_sending = True
                log.info("this serving process sends SMS from the outbox")
                await worker.run(stop=stop)
            except WorkerBusy:
                log.info("a separate SMS worker sends from this database; standing by")
            finally:
                state.sms_sending = False
                await asyncio.to_thread(lock.release)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=STANDBY_SECONDS)


def _report_end(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the in-app SMS worker stopped", exc_info=task.exception())


async def run_worker_process(
    engine: Any,
    sms_settings: Any,
    rules: Any,
    *,
    once: bool = False,
    wait_for_retries: float = 0.0,
) -> Any:
    """``workbridge sms worker``: SIGTERM or Ctrl-C stop claiming, finish the sends in flight,
    record them and exit, so a deliberate stop never leaves a message in doubt."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with new_http_client(sms_settings) as client:
        gateway = build_gateway(sms_settings, client)
        worker = OutboxWorker(engine, gateway, sms_settings, rules)
        try:
            return await worker.run(once=once, wait_for_retries=wait_for_retries, stop=stop)
        finally:
            await gateway.aclose()
