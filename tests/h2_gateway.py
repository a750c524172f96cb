"""A Twilio-shaped gateway for Hypercorn that remembers how each request reached it.

``tests/integration/notifications/test_sms_http2.py`` serves it over TLS with Hypercorn, which
speaks HTTP/2 when the client offers h2 in ALPN. Each accepted send records the HTTP version and
the client's port (one port per TCP connection); ``GET /seen`` answers what was recorded.
"""

from __future__ import annotations

import json
from typing import Any

SEEN: list[dict[str, Any]] = []


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Any, status: int, payload: Any) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await _body(receive)
    if scope["method"] == "GET" and scope["path"] == "/seen":
        await _answer(send, 200, SEEN)
        return
    if scope["method"] == "POST" and scope["path"].endswith("/Messages.json"):
        SEEN.append({"http_version": scope["http_version"], "client_port": scope["client"][1]})
        await _answer(send, 201, {"sid": f"SM{len(SEEN):032d}", "status": "queued"})
        return
    await _answer(send, 404, {"message": "not found"})
