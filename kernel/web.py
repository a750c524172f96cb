"""Litestar glue every context's API shares: the use-case context as a dependency, paging."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, BinaryIO

import anyio.to_thread
import litestar
from litestar import Request
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlmodel import Field, Session, SQLModel

from kernel.auth import Principal, RoleRule
from kernel.capacity import current_capacity, use_capacity
from kernel.clock import Clock, office_today
from kernel.context import ServiceContext
from kernel.db import RequestSession
from kernel.settings import Settings
from kernel.visibility import Access, check_request, require_county


def context_for(state: Any, session: Session, actor: Principal) -> ServiceContext:
    """A use-case context from the application's state (clock, zone, policy) and an actor."""
    settings: Settings = state.settings
    clock: Clock = state.clock
    return ServiceContext(
        session=session,
        actor=actor,
        now=clock.now(),
        today=office_today(clock, settings.zone),
        policy=state.policy,
    )


def provide_context(request: Request[Any, Any, Any]) -> ServiceContext:
    """The request's use-case context. Its session is opened lazily, on the handler's thread,
    and closed there too (``in_unit_of_work``): nothing here touches the database, so the event
    loop never waits for a connection, a lock or a query. (A handler that never uses the
    session leaves nothing to close.)"""
    state = request.app.state
    settings: Settings = state.settings
    clock: Clock = state.clock
    user = request.user
    assert isinstance(user, Principal)
    return ServiceContext(
        session=RequestSession(state.engine, writing=request.method not in ("GET", "HEAD")),
        actor=user,
        now=clock.now(),
        today=office_today(clock, settings.zone),
        policy=state.policy,
    )


async def close_session(session: Session) -> None:
    """A dependency's clean-up. ``in_unit_of_work`` has closed the session on the handler's
    thread already, so this does no I/O; a handler that ran elsewhere still gets its
    transaction rolled back off the event loop."""
    if session.in_transaction():
        await current_capacity().run(session.close)
    else:
        session.close()


def _release(values: Iterable[Any]) -> None:
    for item in values:
        if isinstance(item, ServiceContext):
            item.session.close()
        elif isinstance(item, Session):
            item.close()


def in_unit_of_work(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run a synchronous handler as one unit of work on a request thread.

    The office rule (``kernel.visibility``), the handler, the session it uses (its ``ctx`` or a
    ``Session`` argument) and the closing of that session all happen in one call on one thread
    (``kernel.capacity``): the connection is taken there and given back there, before the
    thread is, so no request holds a connection while it waits for a thread or a thread while
    it waits for a connection. What the handler returns has been read already (sessions do not
    expire on commit) and is shaped into the response on the event loop.
    """

    def call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            ctx = kwargs.get("ctx")
            if isinstance(ctx, ServiceContext):
                check_request(ctx.session, ctx.actor, kwargs)
            return fn(*args, **kwargs)
        finally:
            _release(kwargs.values())

    @functools.wraps(fn)
    async def handler(*args: Any, **kwargs: Any) -> Any:
        return await current_capacity().run(call, args, kwargs)

    return handler


async def enforce_access(request: Request[Any, Any, Any]) -> None:
    """Before a route's arguments are even read: the roles it admits, and county-wide work
    refused to accounts bound to an office (403). One hook instead of Litestar guards, which
    would copy the route handler on every request (``kernel.auth.RoleRule``)."""
    opt = request.route_handler.opt
    rule = opt.get("roles")
    if rule is not None:
        rule.check(request.scope.get("user"))
    if opt.get("access") is Access.COUNTY:
        user = request.scope.get("user")
        if isinstance(user, Principal):
            require_county(user)


def capacity_middleware(app: ASGIApp) -> ASGIApp:
    """Makes the serving application's request threads the ones ``in_unit_of_work`` uses."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            use_capacity(scope["litestar_app"].state.capacity)
        await app(scope, receive, send)

    return middleware


async def spooled_chunks(spool: BinaryIO, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A file made during the unit of work, sent after it: the database is not held while a
    slow client downloads."""
    try:
        while chunk := await anyio.to_thread.run_sync(spool.read, size):
            yield chunk
    finally:
        spool.close()


def _route(decorator: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(decorator)
    def route(
        path: str | list[str] | None = None, *, access: Access, **kwargs: Any
    ) -> Callable[[Any], Any]:
        on_loop = kwargs.pop("sync_to_thread", None) is False
        guards = kwargs.pop("guards", [])
        roles = [g for g in guards if isinstance(g, RoleRule)]
        others = [g for g in guards if not isinstance(g, RoleRule)]
        if others:
            kwargs["guards"] = others
        opt: dict[str, Any] = {**kwargs.get("opt", {}), "access": access}
        if roles:
            opt["roles"] = RoleRule(frozenset.intersection(*(r.roles for r in roles)))
        kwargs["opt"] = opt

        def register(fn: Callable[..., Any]) -> Any:
            if on_loop:  # no database, no blocking: answered on the event loop
                return decorator(path, sync_to_thread=False, **kwargs)(fn)
            return decorator(path, **kwargs)(in_unit_of_work(fn))

        return register

    return route


# Litestar's route decorators with two things every route needs: what it touches (``access``,
# kernel.visibility), and, unless it says ``sync_to_thread=False`` (it never touches the
# database), its call run as one unit of work on a request thread.
get = _route(litestar.get)
post = _route(litestar.post)
put = _route(litestar.put)
patch = _route(litestar.patch)
delete = _route(litestar.delete)


Ctx = NamedDependency[ServiceContext]
Limit = QueryParameter(ge=1, le=500, description="Page size")
Offset = QueryParameter(ge=0, description="Rows to skip")


class ProblemItem(SQLModel):
    field: str | None = Field(schema_extra={"examples": ["members.0.national_id"]})
    rule: str = Field(schema_extra={"examples": ["schema"]})
    message: str = Field(
        schema_extra={"examples": ["invalid national ID: check character is 4, MOD 11-2 gives 0"]}
    )


class ProblemDetails(SQLModel):
    """RFC 9457 problem details, with every problem listed."""

    type: str = Field(
        schema_extra={"examples": ["https://workbridge.example/problems/invalid-input"]}
    )
    title: str = Field(schema_extra={"examples": ["The request has invalid fields"]})
    status: int = Field(schema_extra={"examples": [422]})
    detail: str
    problems: list[ProblemItem]


_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No API token, or an unknown or revoked one",
    403: "The token's role may not do this",
    404: "No such record",
    409: "The current state forbids this change; nothing was written",
    422: "Invalid input; every problem is listed and nothing was written",
}


def problem_responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error answers an endpoint can give."""
    return {
        code: ResponseSpec(
            data_container=ProblemDetails,
            description=_DESCRIPTIONS[code],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for code in (401, 403, *codes)
    }
