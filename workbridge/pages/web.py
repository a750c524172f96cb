"""The pages' door: a session cookie becomes the same Principal an API token gives, every POST
must carry the session's CSRF token, and errors come back as pages rather than JSON.

Cookies: ``wb_session`` (random id, HttpOnly, SameSite=Lax, 8 hours) and, before sign-in,
``wb_login_csrf`` (double-submit token for the sign-in form) and ``wb_lang``; all three are
``Secure`` over HTTPS or with ``WORKBRIDGE_SECURE_COOKIES=on``. Every page answer carries a
Content-Security-Policy and refuses to be framed (``page_answer_headers``).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import Engine

from kernel.accounts import csrf_matches, live_session, principal_of
from kernel.capacity import current_capacity
from kernel.clock import Clock
from kernel.db import new_read_session
from kernel.errors import DomainError, busy_reason, unique_violation
from kernel.messages import answer_in
from kernel.pages import N_, PageUser, page_user, render, translator
from kernel.web import add_headers, enforce_access
from workbridge.pages.palette import palette_style

SESSION_COOKIE = "wb_session"
LOGIN_CSRF_COOKIE = "wb_login_csrf"
LANGUAGE_COOKIE = "wb_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LOGIN_PATH = "/app/login"
log = logging.getLogger(__name__)


def _style_hash(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


# Scripts and styles come from /static only (htmx is vendored there; eval is off in its
# config); the one inline style is the palette block, allowed by its hash. No page may be
# framed (clickjacking a sanction decision) and none sends a Referer: page addresses can hold
# a searched ID number.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' {_style_hash(palette_style())}",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PAGE_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


async def page_answer_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: the headers above on every /app answer (redirects to sign-in and
    error pages included)."""
    if scope["type"] == "http" and scope["path"].startswith("/app"):
        add_headers(message, PAGE_HEADERS)


def cookie_secure(request: Request[Any, Any, Any]) -> bool:
    """Cookies go over HTTPS only when the service is served that way: directly, or behind a
    TLS proxy that the operator declares with WORKBRIDGE_SECURE_COOKIES=on."""
    return bool(request.app.state.settings.secure_cookies or request.url.scheme == "https")


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, raw in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(raw.decode("latin-1"))
            except Exception:  # a malformed cookie header is as good as none
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def _lookup(engine: Engine, clock: Clock, raw: str) -> PageUser | None:
    with new_read_session(engine) as session:
        found = live_session(session, raw, clock.now())
        if found is None:
            return None
        row, account = found
        return PageUser(
            principal=principal_of(account),
            display_name=account.display_name,
            language=account.language,
            csrf_token=row.csrf_token,
        )


def _public(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("public"))


def session_middleware(app: ASGIApp) -> ASGIApp:
    """Router middleware for /app: sign-in state on every request; the way to sign-in if none."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        cookies = _cookies(scope)
        user = None
        if raw := cookies.get(SESSION_COOKIE):
            litestar_app = scope["litestar_app"]
            user = await current_capacity().run(
                _lookup, litestar_app.state.engine, litestar_app.state.clock, raw
            )
        if user is not None:
            state["page_user"] = user
            scope["user"] = user.principal
            scope["auth"] = user
        elif not _public(scope):
            await _to_sign_in(scope, send)
            return
        else:
            state["login_csrf"] = cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
            state["new_login_csrf"] = LOGIN_CSRF_COOKIE not in cookies
        await app(scope, receive, send)

    return middleware


async def _to_sign_in(scope: Scope, send: Send) -> None:
    path = scope.get("path", "/app")
    query = scope.get("query_string", b"").decode("latin-1")
    target = f"{LOGIN_PATH}?next={quote(path + ('?' + query if query else ''), safe='')}"
    headers = [(b"location", target.encode()), (b"content-length", b"0")]
    status = 303
    if any(name == b"hx-request" for name, _ in scope.get("headers", [])):
        headers = [(b"hx-redirect", target.encode()), (b"content-length", b"0")]
        status = 200
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """Before every page request: the route's roles (the pages' turn of
    ``kernel.web.enforce_access``, which this hook replaces under /app); and before every POST,
    the session's token (or, on the sign-in form, the double-submit cookie) must come back in
    the form field or the HTMX header; otherwise 403, nothing read further and nothing
    written. What the services explain is put into the page reader's language."""
    answer_in(translator(request).gettext)
    await enforce_access(request)
    if request.method != "POST":
        return
    given = request.headers.get(CSRF_HEADER)
    if not given:
        form = await request.form()
        given = form.get(CSRF_FIELD)
    user = page_user(request)
    expected = user.csrf_token if user else request.cookies.get(LOGIN_CSRF_COOKIE)
    if not csrf_matches(expected, given if isinstance(given, str) else None):
        raise PermissionDeniedException("csrf")


def set_login_csrf_cookie(request: Request[Any, Any, Any], response: Response[Any]) -> None:
    state = request.scope.get("state", {})
    if state.get("new_login_csrf"):
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            state["login_csrf"],
            httponly=True,
            samesite="lax",
            path="/app",
            secure=cookie_secure(request),
        )


# --- errors as pages ---------------------------------------------------------------------

MESSAGES = {
    400: N_("The request could not be read. Nothing was changed."),
    403: N_("You may not open this page or do this."),
    404: N_("There is no such page or record."),
    405: N_("This page cannot be used that way."),
    409: N_("This cannot be done in the record's present state."),
    413: N_("What was sent is too large for this page. Nothing was changed."),
    415: N_("The form was sent in a way this page does not read. Nothing was changed."),
    422: N_("Something in the request is not valid."),
    500: N_("Something went wrong on our side. Nothing was changed."),
    503: N_("Many people are working at once. Please try again in a moment. Nothing was changed."),
}


def _error_page(request: Request[Any, Any, Any], status: int, problems: list[Any]) -> Any:
    return render(
        request,
        "shell/error.html",
        status=status,
        status_code=status,
        message=MESSAGES.get(status, MESSAGES[500]),
        problems=problems,
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Any:
    if exc.status_code == 401:
        return Response(content=b"", status_code=303, headers={"Location": LOGIN_PATH})
    return _error_page(request, exc.status_code, [])


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Any:
    return _error_page(request, exc.status, exc.problems)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Any:
    if unique_violation(exc):  # two people created the same thing at once; the first won
        return _error_page(request, 409, [])
    if (busy := busy_reason(exc)) is not None:
        log.warning("page answered 503: %s", busy.reason)
        page = _error_page(request, 503, [])
        page.headers["Retry-After"] = str(busy.retry_after)
        return page
    log.exception("page error", exc_info=exc)
    return _error_page(request, 500, [])


PAGE_EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: _domain_error,
    NotAuthorizedException: _http_error,
    PermissionDeniedException: _http_error,
    NotFoundException: _http_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}


PAGE_PREFIX = "/app"


def _page_handler(exc: Exception) -> Any:
    for kind in type(exc).__mro__:
        if kind in PAGE_EXCEPTION_HANDLERS:
            return PAGE_EXCEPTION_HANDLERS[kind]
    return _unexpected


def answer_pages_as_pages(api_handlers: dict[type[Exception] | int, Any]) -> dict[Any, Any]:
    """The application's error handlers, with one difference: an error on a page address that
    no page route took (an unknown ``/app/...`` path, a method the address does not take) is
    answered with a page in the reader's language, as the page routes' own errors are, and
    not with the API's problem JSON."""

    def choose(api: Any) -> Any:
        def handler(request: Request[Any, Any, Any], exc: Exception) -> Any:
            path = request.url.path
            if path == PAGE_PREFIX or path.startswith(PAGE_PREFIX + "/"):
                return _page_handler(exc)(request, exc)
            return api(request, exc)

        return handler

    return {kind: choose(api) for kind, api in api_handlers.items()}
