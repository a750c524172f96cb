"""The context's life inside the web process: one HTTP client and, if enabled, the worker.

ARCHITECTURE.md: one httpx AsyncClient per process, created in the app's lifespan. The
background worker is off by default (``WORKBRIDGE_SMS_WORKER_IN_APP``): production runs
``workbridge sms worker`` as its own process so web restarts never interrupt sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from notifications.gateways import build_gateway, new_http_client
from notifications.worker import OutboxWorker

log = logging.getLogger("notifications")


@contextlib.asynccontextmanager
async def sms_lifespan(app: Any) -> AsyncIterator[None]:
    state = app.state
    client = new_http_client(state.sms_settings)
    state.sms_gateway = build_gateway(state.sms_settings, client)
    stop = asyncio.Event()
    task: asyncio.Task[Any] | None = None
    if state.sms_settings.worker_in_app:
        worker = OutboxWorker(
            state.engine, state.sms_gateway, state.sms_settings, state.sms_rules, clock=state.clock
        )
        task = asyncio.create_task(worker.run(stop=stop))
        task.add_done_callback(_report_end)
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=30)
        await client.aclose()


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
        worker = OutboxWorker(engine, build_gateway(sms_settings, client), sms_settings, rules)
        return await worker.run(once=once, wait_for_retries=wait_for_retries, stop=stop)
