"""``workbridge bench status``: how fast the benefit office's status check answers.

The status check is the most called endpoint (issue 2), so it is measured, not asserted: N
synthetic households are written set-based (the payments benchmark's generator) into a scratch
database, the real service runs as its own ``workbridge serve`` process, and a client on
loopback asks for the status of sampled people — 10% of them unknown, as at a real desk —
first one at a time (latency), then from several threads (throughput).
"""

from __future__ import annotations

import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.auth import Role, issue_token
from kernel.db import make_engine, session_scope
from kernel.national_id import make_national_id
from kernel.policy import load_profile
from kernel.settings import Settings
from workbridge import migrations


@dataclass(frozen=True)
class StatusBench:
    database: str
    households: int
    requests: int
    concurrency: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    sequential_per_second: float
    concurrent_per_second: float
    not_found: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_status_bench(
    households: int, requests: int, concurrency: int, database_url: str | None = None
) -> StatusBench:
    workdir = Path(tempfile.mkdtemp(prefix="workbridge-bench-status-"))
    url = database_url or f"sqlite:///{workdir / 'status.db'}"
    migrations.upgrade(url, quiet=True)
    engine = make_engine(url)
    settings = Settings.from_env()
    month = Month.of(date.today())
    version = load_profile(settings.policy_profile).at(month.first).version_id
    generate(engine, households, month, version, seed=7)
    with engine.connect() as conn:
        known = [row[0] for row in conn.execute(text("SELECT national_id FROM member"))]
    rng = random.Random(11)
    unknown = [make_national_id("110101", date(1970, 1, 1 + i % 28), i, "male") for i in range(100)]
    sample = [
        rng.choice(known) if rng.random() < 0.9 else rng.choice(unknown) for _ in range(requests)
    ]
    with session_scope(engine) as session:
        _, token = issue_token(
            session, role=Role.BENEFIT_OFFICER, name="bench", now=datetime.now(UTC)
        )
    engine.dispose()

    port = _free_port()
    env = {**os.environ, "WORKBRIDGE_DATABASE_URL": url, "WORKBRIDGE_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "workbridge"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.1)
        latencies: list[float] = []
        not_found = 0
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            for nid in sample[:20]:  # warm the server's caches and connections
                client.get(f"/api/v1/status/{nid}")
            started = time.perf_counter()
            for nid in sample:
                t0 = time.perf_counter()
                response = client.get(f"/api/v1/status/{nid}")
                latencies.append((time.perf_counter() - t0) * 1000)
                if response.status_code == 404:
                    not_found += 1
                elif response.status_code != 200:
                    raise RuntimeError(f"unexpected answer {response.status_code}: {response.text}")
            sequential = time.perf_counter() - started

        def worker(chunk: list[str]) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
                for nid in chunk:
                    client.get(f"/api/v1/status/{nid}")

        chunks = [sample[i::concurrency] for i in range(concurrency)]
        threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        concurrent = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    return StatusBench(
        database=url.split(":", 1)[0],
        households=households,
        requests=requests,
        concurrency=concurrency,
        p50_ms=statistics.median(latencies),
        p95_ms=_percentile(latencies, 0.95),
        p99_ms=_percentile(latencies, 0.99),
        sequential_per_second=requests / sequential,
        concurrent_per_second=requests / concurrent,
        not_found=not_found,
    )


def describe_machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
