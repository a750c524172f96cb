"""``/metrics`` of ``workbridge serve --workers 2``: whichever worker answers a scrape reports
the requests of both, and a worker killed with SIGKILL loses none of its counts while its
gauges stop counting (the supervisor marks it dead and starts another)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from served import Served

# Measures or loads real servers, or kills their processes: run alone (`-m alone`), never beside
# another test on a shared machine's two cores.
pytestmark = pytest.mark.alone

TOKEN = "scrape-e2e-5d1b"
ROUTE = {"method": "GET", "route": "/health", "status": "200"}


def _health_count(url: str) -> float:
    answer = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "workbridge_http_request_duration_seconds_count" and all(
                sample.labels.get(k) == v for k, v in ROUTE.items()
            ):
                return sample.value
    return 0.0


def _on_new_connections(url: str, count: int) -> None:
    """Each request on a connection of its own, so the kernel spreads them over the workers'
    sockets (SO_REUSEPORT picks a socket by the client's port)."""
    for _ in range(count):
        assert httpx.get(f"{url}/health").status_code == 200


def _pids(folder: Path, kind: str) -> set[int]:
    return {int(path.stem.rsplit("_", 1)[1]) for path in folder.glob(f"{kind}_*.db")}


def test_every_scrape_counts_both_workers_and_a_killed_worker_loses_nothing(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "metrics"
    server = Served(
        database_url,
        tmp_path,
        workers=2,
        env={"WORKBRIDGE_METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
    )
    try:
        before = _health_count(server.url)
        _on_new_connections(server.url, 60)
        # Both workers answered some (each writes its own file), and every scrape, whichever
        # worker takes it, sees all 60.
        assert len(_pids(folder, "histogram")) == 2, sorted(folder.iterdir())
        counts = {_health_count(server.url) - before for _ in range(8)}
        assert counts == {60}

        victim = min(_pids(folder, "gauge_livesum"))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while victim in _pids(folder, "gauge_livesum") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert victim not in _pids(folder, "gauge_livesum"), "the dead worker's gauges stay"
        while len(_pids(folder, "gauge_livesum")) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the supervisor starts another; it writes its gauges when it loads
        assert len(_pids(folder, "gauge_livesum")) == 2, server.log()
        _on_new_connections(server.url, 20)
        assert {_health_count(server.url) - before for _ in range(8)} == {80}
    finally:
        code = server.terminate()
    assert code == 0, server.log()


def test_without_a_token_only_this_machine_reads_and_not_through_a_proxy(
    database_url: str, tmp_path: Path
) -> None:
    server = Served(database_url, tmp_path, env={"WORKBRIDGE_METRICS_TOKEN": ""})
    try:
        direct = httpx.get(f"{server.url}/metrics")
        assert direct.status_code == 200 and "workbridge_database_up 1.0" in direct.text
        for header in ({"X-Forwarded-For": "203.0.113.7"}, {"Forwarded": "for=203.0.113.7"}):
            relayed = httpx.get(f"{server.url}/metrics", headers=header)
            assert relayed.status_code == 403, header
            assert relayed.json()["problems"][0]["rule"] == "metrics-token"
    finally:
        assert server.terminate() == 0, server.log()
