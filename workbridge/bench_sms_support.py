"""What the SMS benchmarks share: a fake Kannel gateway, job offers queued through the real
outbox path, the worker's settings and environment, and the counts afterwards.

``workbridge bench sms`` (workbridge/bench.py) measures the outbox worker alone;
``workbridge bench province`` (workbridge/bench_province.py) kills a worker mid-send beside
the rest of a province. Both must queue, send and count the same way for their figures to be
comparable, so the pieces live here once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from kernel.clock import SystemClock
from notifications.models import OutboxMessage
from notifications.services import SendingRules, enqueue
from notifications.settings import SmsSettings
from workbridge.loopback_cluster import free_port

USERNAME, PASSWORD = "bench", "bench-secret"


def bench_profile(folder: Path) -> Path:
    """county-pilot plus a version from yesterday with no quiet hours.

    Without it a benchmark run at night would hold every message until morning, and its
    figures would depend on the time of day."""
    from importlib import resources

    base = (resources.files("kernel") / "policy_profiles" / "county-pilot.toml").read_text("utf-8")
    yesterday = date.today() - timedelta(days=1)
    extra = f"""

[[version]]
id = "bench"
effective_from = {yesterday.isoformat()}
note = "Benchmark only: no quiet hours, so the run does not depend on the time of day."

[version.params."notifications.quiet_hours.start"]
value = "00:00"
basis = "Benchmark only."

[version.params."notifications.quiet_hours.end"]
value = "00:00"
basis = "Benchmark only."
"""
    path = folder / "bench-profile.toml"
    path.write_text(base + extra, encoding="utf-8")
    return path


def stats(url: str) -> dict[str, Any]:
    """The fake gateway's counts (requests, deliveries, deliveries per dedupe key): what the
    gateway saw is the judge of exactly-once, not what the outbox believes it sent."""
    with urllib.request.urlopen(f"{url}/_stats", timeout=5) as response:
        return json.loads(response.read())


def start_fake_gateway() -> tuple[subprocess.Popen[bytes], str]:
    """The fake Kannel gateway as its own process on a free loopback port, once it answers;
    its own process so that killing the worker leaves the gateway's counts intact. Returns
    the process (the caller stops it) and its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "notifications.fake_gateway",
            "--port",
            str(port),
            "--username",
            USERNAME,
            "--password",
            PASSWORD,
        ]
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            stats(url)
            return process, url
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the fake gateway did not start") from None
            time.sleep(0.05)


def queue(engine: Any, rules: SendingRules, messages: int, run: str) -> float:
    """Queue ``messages`` job offers through ``enqueue``, the path the service uses, each
    with the dedupe key ``bench:{run}:{i}``; seconds it took."""
    started = time.perf_counter()
    clock = SystemClock()
    batch = 500
    for first in range(0, messages, batch):
        with Session(engine) as session:
            for i in range(first, min(first + batch, messages)):
                enqueue(
                    session,
                    phone=f"+86139{i % 100_000_000:08d}",
                    locale="zh_CN",
                    template_key="job_offer",
                    params={
                        "code": f"B{i % 1000:03d}",
                        "employer": "皖东电子科技有限公司",
                        "job_title": "电子装配工",
                        "place": "定城镇城南工业园区",
                        "wage": Decimal("2850.00"),
                        "deadline": date.today() + timedelta(days=7),
                    },
                    reference=f"bench:{i}",
                    urgent=False,
                    dedupe_key=f"bench:{run}:{i}",
                    now=clock.now(),
                    rules=rules,
                )
            session.commit()
    return time.perf_counter() - started


def statuses(engine: Any, run: str) -> dict[str, int]:
    """How many of one run's messages stand in each outbox status, so a run is finished when
    they are all ``sent`` and a crash shows as messages left ``sending``."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage.status, func.count())
            .where(col(OutboxMessage.dedupe_key).startswith(f"bench:{run}:"))
            .group_by(col(OutboxMessage.status))
        ).all()
    return dict(Counter({status: count for status, count in rows}))


def sms_settings(url: str, concurrency: int, rate: float, lease: float) -> SmsSettings:
    """Settings that point the worker at the fake gateway at ``url``; a short ``lease`` lets a
    restarted worker take over a killed one's messages within the run."""
    return SmsSettings(
        gateway="kannel",
        kannel_sendsms_url=f"{url}/cgi-bin/sendsms",
        kannel_username=USERNAME,
        kannel_password=PASSWORD,
        kannel_from="10690000",
        callback_token="bench",
        concurrency=concurrency,
        batch_size=max(100, concurrency * 2),
        rate_per_second=rate,
        burst=max(1, int(rate) or 1),
        lease_seconds=lease,
        poll_seconds=0.2,
    )


def worker_env(database_url: str, profile: Path, sms: SmsSettings) -> dict[str, str]:
    """The environment for a ``workbridge sms worker`` child process that sends what
    ``sms`` describes: a child reads its settings from the environment only."""
    env = dict(os.environ)
    env.update(
        {
            "WORKBRIDGE_DATABASE_URL": database_url,
            "WORKBRIDGE_POLICY_PROFILE": str(profile),
            "WORKBRIDGE_LOG_LEVEL": "ERROR",
            "WORKBRIDGE_SMS_GATEWAY": "kannel",
            "WORKBRIDGE_SMS_KANNEL_SENDSMS_URL": sms.kannel_sendsms_url,
            "WORKBRIDGE_SMS_KANNEL_USERNAME": USERNAME,
            "WORKBRIDGE_SMS_KANNEL_PASSWORD": PASSWORD,
            "WORKBRIDGE_SMS_KANNEL_FROM": sms.kannel_from,
            "WORKBRIDGE_SMS_CALLBACK_TOKEN": sms.callback_token,
            "WORKBRIDGE_SMS_CONCURRENCY": str(sms.concurrency),
            "WORKBRIDGE_SMS_BATCH_SIZE": str(sms.batch_size),
            "WORKBRIDGE_SMS_RATE_PER_SECOND": str(sms.rate_per_second),
            "WORKBRIDGE_SMS_LEASE_SECONDS": str(sms.lease_seconds),
            "WORKBRIDGE_SMS_POLL_SECONDS": "0.2",
        }
    )
    return env
