"""Litestar glue every context's API shares: the use-case context as a dependency, paging."""

from __future__ import annotations

import functools
import inspect
import json
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, BinaryIO
from urllib.parse import parse_qsl

import anyio.to_thread
import litestar
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.params import Body, PathParameter, QueryParameter
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlmodel import Field, Session, SQLModel

from kernel.auth import Principal, RoleRule
from kernel.capacity import current_capacity, use_capacity
from kernel.clock import Clock, office_today
from kernel.context import ServiceContext
from kernel.errors import InvalidInput, Problem
from kernel.messages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    Gettext,
    answer_gettext,
    answering_in,
    choose_language,
)
from kernel.read_routing import request_session
from kernel.settings import Settings
from kernel.types import MAX_ID, MAX_OFFSET, DayBounds, bounded_days, day_bounds
from kernel.visibility import Access, check_request, require_county

# No request here nests deeper than a handful of levels; a body nested deeper is refused before
# any code walks it (Python's recursion limit is about a thousand frames).
MAX_JSON_DEPTH = 32


def _too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests deeper than ``limit`` arrays and objects (no recursion)."""
    level: list[tuple[Any, int]] = [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        level.extend((child, depth + 1) for child in children)
    return False


def _refuse_deep(value: Any) -> Any:
    if _too_deep(value):
        raise ValidationException(detail=f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def parse_json_body(body: bytes) -> Any:
    """A JSON body read by hand (webhooks): 400 unless it is UTF-8 JSON of sane depth."""
    try:
        return _refuse_deep(json.loads(body.decode("utf-8")))
    except RecursionError:
        raise ValidationException(
            detail=f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationException(detail=N_("the body is not valid UTF-8 JSON")) from exc


class WorkbridgeRequest(Request[Any, Any, Any]):
    """Litestar's request, except that a JSON body nested too deeply is a 400 (the decoder
    raises RecursionError for 100,000 nested arrays, which would otherwise be a 500)."""

    async def json(self) -> Any:
        try:
            return _refuse_deep(await super().json())
        except RecursionError:
            raise ValidationException(
                detail=f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels"
            ) from None


# The media type each kind of body must be sent with; anything else is 415.
_MEDIA_TYPES = {
    RequestEncodingType.JSON: ("application/json",),
    RequestEncodingType.MULTI_PART: ("multipart/form-data",),
    RequestEncodingType.URL_ENCODED: ("application/x-www-form-urlencoded",),
}
BODY_MEDIA_TYPE = "body_media_type"  # handler opt for handlers that read the raw body


def expected_body(handler: Any) -> RequestEncodingType | None:
    """The kind of body a handler reads: its ``data`` parameter's, or ``opt`` for raw bodies."""
    if (declared := handler.opt.get(BODY_MEDIA_TYPE)) is not None:
        return RequestEncodingType(declared)
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    kwarg = data.kwarg_definition
    media = getattr(kwarg, "media_type", None) or RequestEncodingType.JSON
    return RequestEncodingType(media)


def _media_type_matches(content_type: str, expected: RequestEncodingType) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    if expected is RequestEncodingType.JSON and media.startswith("application/"):
        return media == "application/json" or media.endswith("+json")
    return media in _MEDIA_TYPES.get(expected, ())


async def require_body_media_type(request: Request[Any, Any, Any]) -> None:
    """A body is read only as what its Content-Type says it is: a handler that reads JSON
    answers 415 to ``text/plain`` (Litestar would parse it as JSON regardless), a CSV upload
    to anything but multipart. An upload must carry a file in the field ``file`` (a text field
    of that name, or no field, is a 422 naming it). A JSON request without a body is left to
    the handler's validation."""
    expected = expected_body(request.route_handler)
    if expected is None:
        return
    content_type = request.headers.get("content-type")
    if content_type is None and await request.body():
        content_type = ""
    if content_type is not None and not _media_type_matches(content_type, expected):
        raise HTTPException(
            status_code=415,
            detail=f"send the body as {_MEDIA_TYPES[expected][0]}, not {content_type or 'untyped'}",
        )
    if expected is RequestEncodingType.MULTI_PART:
        form = await request.form() if content_type is not None else {}
        if not isinstance(form.get("file"), UploadFile):
            raise InvalidInput(
                Problem("file", "file-upload", "attach the file as the multipart form field file")
            )


@dataclass
class FileUpload:
    """A multipart form with one file in the field ``file`` (the CSV uploads)."""

    file: UploadFile


Upload = Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)]


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
        session=request_session(request, user),
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
        session = item.session if isinstance(item, ServiceContext) else item
        # A session the handler never used holds nothing (the status check reads without one).
        if isinstance(session, Session) and (session.in_transaction() or session.identity_map):
            session.close()


def run_unit_of_work(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The office rule, the handler and the closing of its sessions, on the calling thread.

    When the handler fails, the local variables of its frames are dropped before the session
    is closed: the traceback travels on to the error handler and the log, and with it any query
    result a frame had not read yet, whose open statement would otherwise go back to the pool
    with the connection — on SQLite a stale snapshot and a write lock that can never be had.
    """
    try:
        ctx = kwargs.get("ctx")
        if isinstance(ctx, ServiceContext):
            check_request(ctx.session, ctx.actor, kwargs)
        return fn(*args, **kwargs)
    except BaseException as failure:
        chained: BaseException | None = failure
        seen: set[int] = set()
        while chained is not None and id(chained) not in seen:  # and those it came from
            seen.add(id(chained))
            traceback.clear_frames(chained.__traceback__)
            chained = chained.__cause__ or chained.__context__
        raise
    finally:
        _release(kwargs.values())


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
        return run_unit_of_work(fn, args, kwargs)

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


def _refuse_nul_query(query: bytes) -> None:
    """Query parameters are read by Litestar, not by the schemas of ``kernel.types``, and most
    of them end up in a SQL filter, where PostgreSQL refuses a NUL character with an error.
    A query holding one is a 422 naming the parameter, before any handler runs."""
    if b"%00" in query or b"\x00" in query:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        names = sorted({name for name, value in pairs if "\x00" in name + value})
        raise InvalidInput(
            [
                Problem(name or None, "schema", "text must not contain NUL characters")
                for name in names or [""]
            ]
        )


def _reader_gettext(scope: Scope, state: Any) -> Gettext:
    """The catalog of the language the caller asks for (``Accept-Language``, default zh_CN)."""
    translators = state.get("translators") or {}
    header = None
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            header = value.decode("latin-1")
            break
    translator = translators.get(choose_language(header, LANGUAGES, DEFAULT_LANGUAGE))
    return translator.gettext if translator is not None else answer_gettext()


def request_frame_middleware(app: ASGIApp) -> ASGIApp:
    """What every HTTP request is framed by, in one layer (each ASGI layer costs every request):

    - the serving application's request threads are the ones ``in_unit_of_work`` uses
      (``kernel.capacity``);
    - a query string holding a NUL character is refused (``_refuse_nul_query``);
    - what the answer says is put into words in the caller's language (``kernel.messages``);
    - every day the request names must lie between the first day the policy book has rules for
      and a few years after the office's today (``kernel.types.Day``); the bounds come from the
      serving application's policy and clock, so a test standing on another day gets its own.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        state = scope["litestar_app"].state
        use_capacity(state.capacity)
        _refuse_nul_query(scope.get("query_string", b""))
        bounds = DayBounds.for_service(
            state.policy.versions[0].effective_from,
            office_today(state.clock, state.settings.zone),
        )
        with bounded_days(bounds), answering_in(_reader_gettext(scope, state)):
            await app(scope, receive, send)

    return middleware


def checked_day(name: str, day: date | None) -> date | None:
    """A day from a query string, inside the request's bounds (query parameters are read by
    Litestar, not pydantic, so ``kernel.types.Day`` does not run on them)."""
    if day is not None and (reason := day_bounds().problem(day)) is not None:
        raise InvalidInput(Problem(name, "day-bounds", reason))
    return day


def add_headers(message: Message, headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Add ``headers`` to a response's start message, unless the handler set them."""
    if message["type"] != "http.response.start":
        return
    present = {name.lower() for name, _ in message.get("headers", [])}
    message["headers"] = [  # type: ignore[typeddict-unknown-key]
        *message.get("headers", []),
        *(item for item in headers if item[0] not in present),
    ]


# Answers that carry personal data: no cache (a browser's, a proxy's) may keep them.
PRIVATE_PREFIXES = ("/api/", "/app", "/webhooks/")
PRIVATE_HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


async def private_answer_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook, so it reaches every answer, errors from middleware included:
    ``Cache-Control: no-store`` and ``nosniff`` on every API, page and webhook answer."""
    if scope["type"] == "http" and scope["path"].startswith(PRIVATE_PREFIXES):
        add_headers(message, PRIVATE_HEADERS)


async def admit(request: Request[Any, Any, Any]) -> None:
    """The API's one before-request hook: who may call the route (``enforce_access``), then
    whether the body is of the kind it reads (``require_body_media_type``)."""
    await enforce_access(request)
    await require_body_media_type(request)


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
            if inspect.iscoroutinefunction(fn):  # awaits its own I/O (kernel.loop_reads)
                return decorator(path, **kwargs)(fn)
            if on_loop:  # no database, no blocking: answered on the event loop
                return decorator(path, sync_to_thread=False, **kwargs)(fn)
            return decorator(path, **kwargs)(in_unit_of_work(fn))

        return register

    return route


# Litestar's route decorators with two things every route needs: what it touches (``access``,
# kernel.visibility), and, unless it says ``sync_to_thread=False`` (it never touches the
# database) or is a coroutine (it awaits its one read itself, kernel.loop_reads), its call run
# as one unit of work on a request thread.
get = _route(litestar.get)
post = _route(litestar.post)
put = _route(litestar.put)
patch = _route(litestar.patch)
delete = _route(litestar.delete)


Ctx = NamedDependency[ServiceContext]
Limit = QueryParameter(ge=1, le=500, description="Page size")
Offset = QueryParameter(ge=0, le=MAX_OFFSET, description="Rows to skip")
QueryId = QueryParameter(ge=1, le=MAX_ID, description="A record's id")
# A record's id in a path: outside 1..2^31-1 it can name no row, so it is a 422 naming the
# parameter (as an id in a body is) rather than an overflow in the database driver.
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="A record's id")]


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
    415: "The body's Content-Type is not the one this endpoint reads",
    401: "No API token, or an unknown or revoked one",
    403: "The token's role may not do this",
    404: "No such record",
    409: "The current state forbids this change; nothing was written",
    410: "The record existed and has been archived; restore the archive to read it",
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
