"""HTTP/2 connections retired by the client before the gateway retires them.

Servers end an HTTP/2 connection after a number of requests with a GOAWAY frame (nginx's
``keepalive_requests`` and Hypercorn's ``keep_alive_max_requests`` both default to 1,000).
httpcore does not replay the streams that were in flight when a GOAWAY arrives: it fails them
(``WriteError``/``ReadError``). Measured on this machine kind, 5,000 sends at a concurrency of 8
to Hypercorn over HTTP/2 failed 32; the gateway had received 16 of those, which the worker's
retry would have delivered twice (docs/SMS.md, *Connections*).

So the worker's client starts a fresh connection pool every ``max_requests`` requests, well
below any server's limit, and closes the old pool once its last response has been read. The
server never reaches its limit, and no request is in flight on a connection when it closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx


class _Pool:
    """One underlying transport and the responses it still has open."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport
        self.open = 0
        self.retired = False


class _Tracked(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, pool: _Pool, owner: RotatingTransport):
        self._inner = inner
        self._pool = pool
        self._owner = owner
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._inner.aclose()
        finally:
            await self._owner._release(self._pool)


class RotatingTransport(httpx.AsyncBaseTransport):
    """Hands each request to the current pool; after ``max_requests`` a new pool takes over."""

    def __init__(self, new_transport: Callable[[], httpx.AsyncBaseTransport], max_requests: int):
        if max_requests < 1:
            raise ValueError("max_requests must be positive")
        self._new_transport = new_transport
        self._max_requests = max_requests
        self._current = _Pool(new_transport())
        self._sent = 0
        self._retired: list[_Pool] = []
        self.pools_started = 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._sent >= self._max_requests:
            await self._rotate()
        pool = self._current
        self._sent += 1
        pool.open += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            await self._release(pool)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Tracked(response.stream, pool, self),
            extensions=response.extensions,
        )

    async def _rotate(self) -> None:
        old = self._current
        old.retired = True
        self._current = _Pool(self._new_transport())
        self._sent = 0
        self.pools_started += 1
        if old.open == 0:
            await old.transport.aclose()
        else:
            self._retired.append(old)

    async def _release(self, pool: _Pool) -> None:
        pool.open -= 1
        if pool.retired and pool.open == 0 and pool in self._retired:
            self._retired.remove(pool)
            await pool.transport.aclose()

    async def aclose(self) -> None:
        pools, self._retired = [*self._retired, self._current], []
        for pool in pools:
            await pool.transport.aclose()
