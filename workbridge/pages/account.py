"""Signing in and out, and choosing a language (the administrator's pages: ``admin``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect

from kernel.accounts import (
    SESSION_LIFETIME,
    authenticate,
    end_session,
    open_session,
)
from kernel.auth import ROLE_WORDS, Role, requires
from kernel.db import new_session
from kernel.models import UserAccount
from kernel.pages import LANGUAGES, N_, page_user, register_labels, render, see_other, value
from kernel.visibility import Access
from kernel.web import Ctx, get, post
from workbridge.pages.web import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    cookie_secure,
    set_login_csrf_cookie,
)

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
ADMIN = requires(Role.ADMIN)

register_labels({role.value: words for role, words in ROLE_WORDS.items()})

LANDING = {
    Role.COUNSELLOR: "/app/today",
    Role.BENEFIT_OFFICER: "/app/applications",
    Role.TRAINING_PROVIDER: "/app/training",
    Role.ADMIN: "/app/dashboard",
    Role.SUPERVISOR: "/app/oversight",
}


def _safe_next(target: str | None) -> str | None:
    """Only paths inside the pages; never another site (an open redirect)."""
    if target and target.startswith("/app") and not target.startswith("//"):
        return target
    return None


@get("/", access=Access.ANYONE, sync_to_thread=False)
def home(request: Request[Any, Any, Any]) -> Redirect:
    user = page_user(request)
    assert user is not None
    return Redirect(path=LANDING[user.role], status_code=303)


@get("/login", access=Access.PUBLIC, opt={"public": True}, sync_to_thread=False)
def login_form(
    request: Request[Any, Any, Any],
    next: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
) -> Response[Any]:
    if page_user(request) is not None:
        return Redirect(path=_safe_next(next) or "/app", status_code=303)
    if lang in LANGUAGES:
        response: Response[Any] = Redirect(
            path="/app/login" + (f"?next={next}" if _safe_next(next) else ""), status_code=303
        )
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            samesite="lax",
            path="/app",
            httponly=True,
            secure=cookie_secure(request),
        )
        return response
    template = render(request, "shell/login.html", next=_safe_next(next) or "", error=None)
    set_login_csrf_cookie(request, template)
    return template


@post("/login", access=Access.PUBLIC, opt={"public": True})
def login(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    username = value(data, "username") or ""
    password = str(data.get("password") or "")
    target = _safe_next(value(data, "next"))
    state = request.app.state
    now = state.clock.now()
    with new_session(state.engine) as session:
        outcome = authenticate(session, username, password, now)
        raw = None
        if outcome.account is not None:
            _, raw = open_session(session, outcome.account, now)
            landing = LANDING[Role(outcome.account.role)]
        session.commit()
    if raw is None:
        error = (
            N_("This account is locked after 5 wrong passwords. Try again after %(until)s.")
            if outcome.refused == "locked"
            else N_("Wrong username or password.")
        )
        return render(
            request,
            "shell/login.html",
            status=423 if outcome.refused == "locked" else 401,
            next=target or "",
            error=error,
            locked_until=outcome.locked_until,
            username=username,
        )
    response: Response[Any] = Redirect(path=target or landing, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    return response


@post("/logout", access=Access.ANYONE)
def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    state = request.app.state
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        with new_session(state.engine) as session:
            end_session(session, raw, state.clock.now())
            session.commit()
    response: Response[Any] = Redirect(path="/app/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@post("/language", access=Access.ANYONE)
def language(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Redirect:
    """Stored on the account, so the choice follows the person to any browser."""
    chosen = value(data, "language")
    if chosen in LANGUAGES:
        account = ctx.session.get(UserAccount, ctx.actor.id)
        assert account is not None
        account.language = chosen
        ctx.session.commit()
    return see_other(_safe_next(value(data, "back")) or "/app")


HANDLERS = [home, login_form, login, logout, language]
