"""``workbridge bench sms``: throughput of the outbox worker, and exactly-once under a kill.

A Kannel-compatible fake gateway (notifications/fake_gateway.py) runs as its own process on
loopback; N job offers are queued with ``enqueue`` (the real path) into a scratch database;
then either

- the worker runs in this process and the wall time from start to the last recorded send
  gives messages per second, or
- ``--crash``: ``workbridge sms worker`` runs as a child process, is killed with SIGKILL once
  the gateway has taken about half the messages, and is started again; the fake gateway's
  counts per outbox (dedupe) key show every message delivered exactly once, and how many keys
  it saw twice (requests in flight at the kill, resent with the same key and dropped by the
  gateway's idempotency).

Quiet hours are switched off by a one-version policy profile written next to the database,
so the result does not depend on the time of day the benchmark is run.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kernel.db import make_engine
from kernel.policy import load_profile
from kernel.settings import Settings
from notifications.gateways import KannelGateway
from notifications.gateways.kannel import new_session
from notifications.services import SendingRules
from notifications.settings import SmsSettings
from notifications.worker import OutboxWorker
from workbridge import bench_sms_support as sms_support
from workbridge import migrations


def bench_sms(
    messages: int,
    *,
    concurrency: int = 8,
    rate: float = 0.0,
    crash: bool = False,
    database_url: str | None = None,
    workers: int = 1,
    echo: bool = True,
) -> dict[str, Any]:
    """Queue ``messages`` job offers and send them through the worker to a local fake Kannel
    gateway, then count deliveries per dedupe key. ``workers`` > 1 runs that many worker
    processes side by side (PostgreSQL: they claim with ``FOR UPDATE SKIP LOCKED`` and share
    one rate per gateway; SQLite allows one worker and refuses more)."""

    def say(line: str) -> None:
        if echo:
            print(line, flush=True)

    folder = Path(tempfile.mkdtemp(prefix="workbridge-bench-"))
    database_url = database_url or f"sqlite:///{folder / 'bench.db'}"
    if workers > 1 and database_url.startswith("sqlite"):
        raise ValueError("several SMS workers need PostgreSQL: SQLite allows one at a time")
    migrations.upgrade(database_url, quiet=True)
    profile = sms_support.bench_profile(folder)
    settings = Settings(database_url=database_url, policy_profile=str(profile))
    lease = 3.0 if crash else 60.0
    gateway_process, url = sms_support.start_fake_gateway()
    sms = sms_support.sms_settings(url, concurrency, rate, lease)
    rules = SendingRules(
        zone=settings.zone, policy=load_profile(str(profile)), signature=sms.signature
    )
    engine = make_engine(database_url)
    run = f"{int(time.time())}"
    report: dict[str, Any] = {
        "messages": messages,
        "database": engine.dialect.name,
        "concurrency": concurrency,
        "workers": workers,
        "rate_limit": rate or None,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
    }
    say(f"machine: {report['machine']}")
    try:
        report["enqueue_seconds"] = round(sms_support.queue(engine, rules, messages, run), 2)
        say(
            f"queued {messages} job offers in {report['enqueue_seconds']} s "
            f"({engine.dialect.name}); fake Kannel gateway on {url}"
        )
        if crash:
            report.update(_crash_run(database_url, profile, sms, url, messages, engine, run, say))
        elif workers > 1:
            report.update(_processes_run(database_url, profile, sms, messages, workers, say))
        else:
            report.update(_timed_run(engine, sms, rules, url, messages, say))
        final = sms_support.stats(url)
        report["gateway"] = final
        report["outbox"] = sms_support.statuses(engine, run)
        report["exactly_once"] = (
            final["delivered"] == messages
            and final["max_deliveries_per_key"] == 1
            and report["outbox"] == {"sent": messages}
        )
        say(f"outbox: {report['outbox']}")
        say(
            f"gateway: {final['requests']} requests, {final['delivered']} delivered, "
            f"{final['keys_requested_more_than_once']} keys requested twice (dropped by key), "
            f"max deliveries per dedupe key {final['max_deliveries_per_key']}"
        )
        say(f"exactly once: {'yes' if report['exactly_once'] else 'NO'}")
        floor = _floor_run(sms, messages)
        report["floor_seconds"] = round(floor, 2)
        report["floor_messages_per_second"] = round(messages / floor) if floor else 0
        say(
            f"floor: {messages} requests straight to the gateway, same client and concurrency, "
            f"no database: {floor:.2f} s ({report['floor_messages_per_second']:,} messages/s)"
        )
    finally:
        gateway_process.terminate()
        gateway_process.wait(timeout=10)
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)  # its profile, and the SQLite file if any
    return report


def _floor_run(sms: SmsSettings, messages: int) -> float:
    """What the gateway and the HTTP client do alone: the same number of send requests, the
    same concurrency, no outbox, no database. Seconds."""

    async def go() -> float:
        async with new_session(sms) as client:
            gate = asyncio.Semaphore(max(sms.concurrency, 1))

            async def one(number: int) -> None:
                async with (
                    gate,
                    client.get(
                        sms.kannel_sendsms_url,
                        params={
                            "username": sms.kannel_username,
                            "password": sms.kannel_password,
                            "from": sms.kannel_from,
                            "to": f"+8613900{number % 1_000_000:06d}",
                            "text": "floor",
                            "charset": "UTF-8",
                            "coding": "0",
                        },
                    ) as response,
                ):
                    await response.read()
                    response.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(messages)))
            return time.perf_counter() - started

    return asyncio.run(go())


def _timed_run(
    engine: Any, sms: SmsSettings, rules: SendingRules, url: str, messages: int, say: Any
) -> dict[str, Any]:
    async def go() -> Any:
        async with new_session(sms) as session:
            worker = OutboxWorker(engine, KannelGateway(sms, session), sms, rules)
            started = time.perf_counter()
            stats = await worker.run(once=True)
            return stats, time.perf_counter() - started

    stats, seconds = asyncio.run(go())
    rate = messages / seconds if seconds else 0.0
    say(
        f"sent {stats.sent} of {messages} in {seconds:.2f} s: {rate:,.0f} messages/s "
        f"(concurrency {sms.concurrency}, rate limit {sms.rate_per_second or 'none'})"
    )
    return {"seconds": round(seconds, 2), "messages_per_second": round(rate), "sent": stats.sent}


def _processes_run(
    database_url: str,
    profile: Path,
    sms: SmsSettings,
    messages: int,
    workers: int,
    say: Any,
) -> dict[str, Any]:
    """``workers`` processes of ``workbridge sms worker --once`` started together; seconds
    until the last has sent what was due and exited."""
    env = sms_support.worker_env(database_url, profile, sms)
    command = [sys.executable, "-m", "workbridge.cli", "sms", "worker", "--once", "--wait", "1"]
    started = time.perf_counter()
    running = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(workers)
    ]
    codes = [process.wait(timeout=1800) for process in running]
    seconds = time.perf_counter() - started
    rate = messages / seconds if seconds else 0.0
    say(
        f"{workers} worker processes sent {messages} in {seconds:.2f} s: {rate:,.0f} messages/s "
        f"(concurrency {sms.concurrency} each, rate limit {sms.rate_per_second or 'none'}; "
        f"the time includes starting the processes); exit codes {codes}"
    )
    if any(codes):
        raise RuntimeError(f"a worker process failed: exit codes {codes}")
    return {"seconds": round(seconds, 2), "messages_per_second": round(rate)}


def _crash_run(
    database_url: str,
    profile: Path,
    sms: SmsSettings,
    url: str,
    messages: int,
    engine: Any,
    run: str,
    say: Any,
) -> dict[str, Any]:
    env = sms_support.worker_env(database_url, profile, sms)
    command = [sys.executable, "-m", "workbridge.cli", "sms", "worker"]
    started = time.perf_counter()
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    while sms_support.stats(url)["delivered"] < messages // 2:
        if first.poll() is not None:
            raise RuntimeError("the worker exited before it could be killed")
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = sms_support.stats(url)
    statuses = sms_support.statuses(engine, run)
    say(
        f"killed the worker (SIGKILL) after {at_kill['delivered']} deliveries; outbox then: "
        f"{statuses} ({statuses.get('sending', 0)} in doubt, leased to the dead worker)"
    )
    second = subprocess.run(
        [*command, "--once", "--wait", str(sms.lease_seconds + 5)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = time.perf_counter() - started
    say(f"restarted: {second.stdout.strip()} (whole run {seconds:.1f} s)")
    return {
        "killed_after_delivered": at_kill["delivered"],
        "in_doubt_at_kill": statuses.get("sending", 0),
        "restart_exit_code": second.returncode,
        "seconds": round(seconds, 2),
    }
