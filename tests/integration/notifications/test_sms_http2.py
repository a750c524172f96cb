"""The worker's HTTPS gateways over HTTP/2 (issue 14: "HTTP/2 where the gateway offers it").

A real HTTP/2 server over TLS — Hypercorn, with a certificate from a throwaway CA (trustme) —
serves a Twilio-shaped gateway that records each request's HTTP version and client port.
``workbridge sms worker --once`` sends the queued messages to it, trusting that CA through
``WORKBRIDGE_SMS_CA_FILE``. With HTTP/2 the worker's concurrent sends arrive as streams of one
connection; a server that offers only HTTP/1.1 in ALPN, or ``WORKBRIDGE_SMS_HTTP2=false``, gets
HTTP/1.1; a certificate the configured CA did not sign is refused and nothing is sent.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import trustme

from sms_support import outbox, queue
from workbridge.cli import main

SHANGHAI = ZoneInfo("Asia/Shanghai")
GATEWAY_APP = Path(__file__).resolve().parents[2] / "h2_gateway.py"
MESSAGES = 24


class Gateway:
    def __init__(self, url: str, ca_file: Path) -> None:
        self.url = url
        self.ca_file = ca_file

    def seen(self) -> list[dict]:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.get(f"{self.url}/seen", verify=context, timeout=10).json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(tmp_path: Path, alpn: list[str], max_requests: int = 1000) -> Iterator[Gateway]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    config = tmp_path / "hypercorn.toml"
    config.write_text(
        "alpn_protocols = [" + ", ".join(f'"{p}"' for p in alpn) + "]\n"
        f"keep_alive_max_requests = {max_requests}\n"
    )
    port = _free_port()
    log = tmp_path / "hypercorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hypercorn", "--config", str(config),
             "--certfile", str(cert_file), "--keyfile", str(key_file),
             "--bind", f"127.0.0.1:{port}", f"{GATEWAY_APP}:app"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    gateway = Gateway(f"https://127.0.0.1:{port}", ca_file)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                gateway.seen()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"hypercorn did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.1)
        yield gateway
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


@pytest.fixture
def h2_gateway(tmp_path: Path) -> Iterator[Gateway]:
    yield from _serve(tmp_path, ["h2", "http/1.1"])


@pytest.fixture
def strict_h2_gateway(tmp_path: Path) -> Iterator[Gateway]:
    """Ends each connection with GOAWAY after 12 requests, as nginx does after 1,000."""
    yield from _serve(tmp_path, ["h2", "http/1.1"], max_requests=12)


@pytest.fixture
def http1_gateway(tmp_path: Path) -> Iterator[Gateway]:
    yield from _serve(tmp_path, ["http/1.1"])


def _send_all(engine, rules, database_url, monkeypatch, gateway: Gateway, **env: str) -> int:
    now = datetime.now(SHANGHAI)
    for n in range(MESSAGES):
        queue(engine, rules, now, key=f"sanction:{n}", template="sanction_notice", urgent=True)
    values = {
        "DATABASE_URL": database_url,
        "SMS_GATEWAY": "twilio",
        "SMS_TWILIO_BASE_URL": gateway.url,
        "SMS_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "SMS_TWILIO_AUTH_TOKEN": "token",
        "SMS_TWILIO_FROM": "+15005550006",
        "SMS_CA_FILE": str(gateway.ca_file),
        "SMS_CONCURRENCY": "8",
        "SMS_RATE_PER_SECOND": "0",
        **env,
    }
    for name, value in values.items():
        monkeypatch.setenv(f"WORKBRIDGE_{name}", value)
    return main(["sms", "worker", "--once"])


def test_concurrent_sends_are_streams_of_one_http2_connection(
    engine, rules, database_url, monkeypatch, capsys, h2_gateway
) -> None:
    assert _send_all(engine, rules, database_url, monkeypatch, h2_gateway) == 0
    assert f"claimed {MESSAGES}, sent {MESSAGES}" in capsys.readouterr().out
    seen = h2_gateway.seen()
    assert len(seen) == MESSAGES
    assert {request["http_version"] for request in seen} == {"2"}
    assert len({request["client_port"] for request in seen}) == 1
    assert {row.status for row in outbox(engine)} == {"sent"}
    assert {row.provider_message_id[:2] for row in outbox(engine)} == {"SM"}


def test_connections_are_renewed_before_the_gateway_ends_them(
    engine, rules, database_url, monkeypatch, capsys, strict_h2_gateway
) -> None:
    """httpcore fails the sends in flight when a GOAWAY arrives, some of which the gateway has
    already taken (gateways/rotation.py): a retry would deliver those twice. The client starts
    a new connection every 10 requests, so the gateway's limit of 12 is never reached."""
    code = _send_all(
        engine, rules, database_url, monkeypatch, strict_h2_gateway, SMS_HTTP2_MAX_REQUESTS="10"
    )
    assert code == 0
    assert f"claimed {MESSAGES}, sent {MESSAGES}" in capsys.readouterr().out
    seen = strict_h2_gateway.seen()
    assert len(seen) == MESSAGES  # each message reached the gateway once
    assert {request["http_version"] for request in seen} == {"2"}
    per_connection = Counter(request["client_port"] for request in seen)
    assert sorted(per_connection.values()) == [4, 10, 10]
    assert {row.attempts for row in outbox(engine)} == {1}


def test_a_gateway_that_offers_only_http1_gets_keep_alive_http1(
    engine, rules, database_url, monkeypatch, capsys, http1_gateway
) -> None:
    assert _send_all(engine, rules, database_url, monkeypatch, http1_gateway) == 0
    seen = http1_gateway.seen()
    assert len(seen) == MESSAGES
    assert {request["http_version"] for request in seen} == {"1.1"}
    # Keep-alive: at most one connection per concurrent send, not one per message.
    assert len({request["client_port"] for request in seen}) <= 8


def test_http2_can_be_turned_off(
    engine, rules, database_url, monkeypatch, capsys, h2_gateway
) -> None:
    code = _send_all(engine, rules, database_url, monkeypatch, h2_gateway, SMS_HTTP2="false")
    assert code == 0
    assert {request["http_version"] for request in h2_gateway.seen()} == {"1.1"}


def test_a_certificate_the_configured_ca_did_not_sign_sends_nothing(
    engine, rules, database_url, monkeypatch, capsys, h2_gateway, tmp_path
) -> None:
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    code = _send_all(
        engine, rules, database_url, monkeypatch, h2_gateway, SMS_CA_FILE=str(stranger)
    )
    assert code == 0
    assert "sent 0" in capsys.readouterr().out
    assert h2_gateway.seen() == []
    # A refused handshake is a transport failure: the messages wait for a retry, none is lost.
    assert {row.status for row in outbox(engine)} == {"queued"}
    assert all(row.attempts == 1 for row in outbox(engine))


def test_a_missing_ca_file_stops_the_worker_with_a_message(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("WORKBRIDGE_SMS_CA_FILE", str(tmp_path / "nowhere.pem"))
    assert main(["sms", "worker", "--once"]) == 2
    assert "WORKBRIDGE_SMS_CA_FILE" in capsys.readouterr().out
