"""A Kannel-compatible fake SMS gateway on loopback, for the benchmark and worker tests.

It answers ``GET /cgi-bin/sendsms`` as smsbox does (SMS.md: ``202 0: Accepted for delivery``,
403 for a bad password, 400 without ``to``) and counts requests per outbox key, which it reads
from the ``dlr-url`` the Kannel adapter sends. Unlike a bare Kannel it honours that key: a
repeat is answered "accepted" but not delivered again — the gateway-side idempotency the
outbox relies on after a crash. ``GET /_stats`` reports the counts; ``fail_every`` makes every
n-th request answer 503 so retries can be exercised.

Run alone: ``python -m notifications.fake_gateway --port 13013``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

Scope = dict[str, Any]


@dataclass
class Delivery:
    key: str
    to: str
    text: str
    coding: str


@dataclass
class FakeKannel:
    username: str = "workbridge"
    password: str = "secret"
    fail_every: int = 0  # every n-th request answers 503 (0: never)
    requests: int = 0
    per_key: Counter[str] = field(default_factory=Counter)
    delivered: list[Delivery] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            repeats = {k: n for k, n in self.per_key.items() if n > 1}
            return {
                "requests": self.requests,
                "keys": len(self.per_key),
                "delivered": len(self.delivered),
                "keys_requested_more_than_once": len(repeats),
                "max_requests_per_key": max(self.per_key.values(), default=0),
                "max_deliveries_per_key": max(
                    Counter(d.key for d in self.delivered).values(), default=0
                ),
            }

    def handle_send(self, query: dict[str, str]) -> tuple[int, str]:
        with self._lock:
            self.requests += 1
            if self.fail_every and self.requests % self.fail_every == 0:
                return 503, "Service temporarily unavailable"
            if query.get("username") != self.username or query.get("password") != self.password:
                return 403, "Authorization failed for sendsms"
            if not query.get("to"):
                return 400, "Missing receiver number"
            dlr_url = query.get("dlr-url", "")
            key = parse_qs(urlsplit(dlr_url).query).get("key", [""])[0] or "-"
            self.per_key[key] += 1
            if self.per_key[key] == 1:
                self.delivered.append(
                    Delivery(key, query["to"], query.get("text", ""), query.get("coding", "0"))
                )
            return 202, "0: Accepted for delivery"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope.get("path", "")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("utf-8"), True))
        if path == "/cgi-bin/sendsms":
            status, body = self.handle_send(query)
            content_type = "text/html"
        elif path == "/_stats":
            status, body, content_type = 200, json.dumps(self.stats()), "application/json"
        else:
            status, body, content_type = 404, "not found", "text/plain"
        payload = body.encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class ServerThread:
    """Serve an ASGI app with uvicorn on loopback in a background thread (tests, bench)."""

    def __init__(self, app: Any, port: int, *, host: str = "127.0.0.1") -> None:
        import uvicorn

        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--username", default="workbridge")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--fail-every", type=int, default=0)
    args = parser.parse_args()
    import uvicorn

    app = FakeKannel(username=args.username, password=args.password, fail_every=args.fail_every)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False
    )
    asyncio.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
