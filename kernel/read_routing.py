"""Which database a request's session uses, and the position a writer takes away with it.

The rules are ``kernel.replica``'s; this is where a request meets them. Without a replica every
session is the primary's, as before. With one, a request that only reads gets the replica when
it has replayed whatever the caller last wrote (``Workbridge-Read-After``, the cookie, or this
process's memory of the account), and a request that writes hands its position back on the way
out (``hand_back_position``). The status check's reads on the event loop follow the same
rules (``loop_reads_for``).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request
from litestar.types import Message, Scope

from kernel.auth import Principal
from kernel.db import RequestSession
from kernel.loop_reads import LoopReads
from kernel.replica import (
    READ_AFTER_COOKIE,
    READ_AFTER_HEADER,
    RecentWrites,
    Replica,
    format_position,
    keep_seconds,
    parse_position,
)

_WRITTEN = "workbridge_written_position"
log = logging.getLogger(__name__)


def _caller(actor: Principal) -> tuple[str, int]:
    return actor.kind, actor.id


def _read_after(request: Request[Any, Any, Any], recent: RecentWrites, actor: Principal) -> int:
    positions = [
        parse_position(request.headers.get(READ_AFTER_HEADER)),
        parse_position(request.cookies.get(READ_AFTER_COOKIE)),
        recent.position(_caller(actor)),
    ]
    return max((p for p in positions if p is not None), default=0)


def request_session(request: Request[Any, Any, Any], actor: Principal) -> RequestSession:
    state = request.app.state
    writing = request.method not in ("GET", "HEAD")
    replica: Replica | None = state.get("replica")
    if replica is None:
        return RequestSession(state.engine, writing=writing)
    recent: RecentWrites = state.recent_writes
    if not writing:
        read_from = replica.engine_for(_read_after(request, recent, actor))
        return RequestSession(state.engine, writing=False, read_from=read_from)

    def after_write() -> None:
        # Runs on the handler's thread, after the commit: one more round trip to the primary
        # for requests that wrote, and only where a replica is in use.
        try:
            position = replica.primary_position()
        except Exception:
            # The write is committed; failing its answer now would invite a second one. The
            # writer's next reads may then trail by at most the replica's lag.
            log.warning("the primary's WAL position could not be read after a write")
            return
        recent.wrote(_caller(actor), position)
        request.scope[_WRITTEN] = position  # type: ignore[typeddict-unknown-key]

    return RequestSession(state.engine, writing=True, after_write=after_write)


def loop_reads_for(request: Request[Any, Any, Any]) -> LoopReads:
    """Where the status check reads on the event loop: the replica's connections under the
    same rules as a request's session (``request_session``), else the primary's."""
    state = request.app.state
    replica: Replica | None = state.get("replica")
    actor = request.user
    if not isinstance(actor, Principal) or replica is None:
        return state.loop_reads
    read_after = _read_after(request, state.recent_writes, actor)
    return state.loop_reads if replica.engine_for(read_after) is None else state.replica_loop_reads


async def hand_back_position(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: an answer to a request that wrote carries the primary's position,
    as a header for API clients and a cookie for the browser, so the writer's next reads wait
    for a replica that has replayed it (or go to the primary)."""
    if message["type"] != "http.response.start":
        return
    position = scope.get(_WRITTEN)  # type: ignore[call-overload]
    if position is None:
        return
    replica: Replica | None = scope["app"].state.get("replica")
    lasting = int(keep_seconds(replica.max_lag_seconds if replica else 5.0))
    value = format_position(position).encode()
    settings = scope["app"].state.settings
    cookie = (
        f"{READ_AFTER_COOKIE}={value.decode()}; Max-Age={lasting}; Path=/; HttpOnly; "
        f"SameSite=Lax{'; Secure' if settings.secure_cookies else ''}"
    )
    message["headers"] = [  # type: ignore[typeddict-unknown-key]
        *message.get("headers", []),
        (READ_AFTER_HEADER.lower().encode(), value),
        (b"set-cookie", cookie.encode()),
    ]
