"""One error shape for every 4xx: RFC 9457 problem details listing every problem at once.

Rules return lists of ``Problem`` (field, rule, message) rather than raising on the first, so a
counsellor sees everything wrong with a form in one answer (the pfml lesson in ARCHITECTURE.md).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as SqlTimeout

from kernel.auth import RoleRefused
from kernel.capacity import ServiceBusy
from kernel.messages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    Gettext,
    Text,
    answer_gettext,
    choose_language,
    render,
    say,
    schema_text,
)
from kernel.policy import PolicyError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the field it is about, a stable rule code, and what to tell the reader
    (a catalog message, rendered in the reader's language by ``problem_response``)."""

    field: str | None
    rule: str
    message: str | Text

    def as_dict(self, gettext: Gettext | None = None) -> dict[str, Any]:
        return {
            "field": self.field,
            "rule": self.rule,
            "message": render(self.message, gettext or answer_gettext()),
        }


def _untranslated(message: str) -> str:
    return message


def request_language(request: Request[Any, Any, Any] | None) -> tuple[str, Gettext]:
    """The caller's language (``Accept-Language``) and its catalog lookup, for an API answer."""
    if request is None:
        return "en", _untranslated
    language = choose_language(request.headers.get("accept-language"), LANGUAGES, DEFAULT_LANGUAGE)
    translators = request.app.state.get("translators") or {}
    translator = translators.get(language)
    if translator is None:
        return "en", _untranslated
    return language, translator.gettext


# What a record is called, by the name of its id, for "no such record" problems.
RECORD_KINDS = {
    "household_id": N_("household"),
    "member_id": N_("member"),
    "application_id": N_("application"),
    "case_id": N_("case"),
    "run_id": N_("payment run"),
    "vacancy_id": N_("vacancy"),
    "provider_id": N_("training provider"),
    "course_id": N_("course"),
    "referral_id": N_("referral"),
    "decision_id": N_("decision"),
    "job_id": N_("job"),
    "sanction_id": N_("sanction"),
    "appeal_id": N_("appeal"),
    "enrolment_id": N_("enrolment"),
    "task_id": N_("task"),
    "message_id": N_("message"),
    "document_id": N_("document"),
    "version_id": N_("parameter version"),
    "replay_id": N_("replay"),
}


def missing(field: str, value: Any) -> Problem:
    """The problem of an id that names no record the caller may see: the same words whether
    the record does not exist or belongs to another office (kernel.visibility)."""
    kind = RECORD_KINDS.get(field, field.removesuffix("_id").replace("_", " "))
    return Problem(field, "exists", say("no %(kind)s %(id)s", kind=Text(kind), id=value))


class DomainError(Exception):
    status = 422
    title = N_("The request breaks a rule")
    slug = "invalid"

    def __init__(self, problems: list[Problem] | Problem | str, *, title: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(None, self.slug, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        if title:
            self.title = title
        super().__init__("; ".join(str(p.message) for p in problems))


class InvalidInput(DomainError):
    status = 422
    title = N_("The request has invalid fields")
    slug = "invalid-input"


class Conflict(DomainError):
    status = 409
    title = N_("The request conflicts with the current state")
    slug = "conflict"


class NotFound(DomainError):
    status = 404
    title = N_("Not found")
    slug = "not-found"


class Gone(DomainError):
    """The record existed and was moved out of the live database (a month archived): the
    caller learns it is not a wrong id, and what would bring it back."""

    status = 410
    title = N_("No longer here")
    slug = "gone"


class Forbidden(DomainError):
    status = 403
    title = N_("Forbidden")
    slug = "forbidden"


def problem_response(
    status: int,
    title: str,
    slug: str,
    problems: list[Problem],
    detail: str | None = None,
    request: Request[Any, Any, Any] | None = None,
) -> Response[dict[str, Any]]:
    """RFC 9457 problem details in the caller's language (``Accept-Language``, default zh_CN):
    the title and every problem's message rendered from the catalogs; ``rule`` stays the same
    code in every language, for programs."""
    language, gettext = request_language(request)
    items = [p.as_dict(gettext) for p in problems]
    body: dict[str, Any] = {
        "type": f"https://workbridge.example/problems/{slug}",
        "title": gettext(title),
        "status": status,
        "detail": detail or "; ".join(i["message"] for i in items) or gettext(title),
        "problems": items,
    }
    return Response(
        body,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={"Content-Language": language.replace("_", "-"), "Vary": "Accept-Language"},
    )


def _domain_error(request: Request, exc: DomainError) -> Response[dict[str, Any]]:
    return problem_response(exc.status, exc.title, exc.slug, exc.problems, request=request)


def _validation_error(request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    problems: list[Problem] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            field = item.get("key") or item.get("source")
            message = schema_text(str(item.get("message", "invalid value")))
            problems.append(Problem(field, "schema", message))
    if not problems:
        problems.append(Problem(None, "schema", exc.detail or "the request body is malformed"))
    malformed = not extra  # the body could not be parsed at all
    status = 400 if malformed else 422
    title = N_("The request is malformed") if malformed else N_("The request has invalid fields")
    return problem_response(status, title, "invalid-input", problems, request=request)


# What Litestar says itself, as catalog messages.
_HTTP_MESSAGES = {
    401: N_("no API token, or an unknown or revoked one"),
    403: N_("your role may not do this"),
    404: N_("there is nothing at this address"),
    405: N_("this address does not take this method"),
    415: N_("the body's Content-Type is not the one this address reads"),
}
_HTTP_TITLES = {
    401: N_("Not signed in"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    415: N_("Unsupported media type"),
}


def _http_error(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    slug = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        415: "unsupported-media-type",
    }.get(exc.status_code, "http-error")
    detail = exc.detail or "error"
    title = _HTTP_TITLES.get(exc.status_code, detail)
    ours = exc.detail and exc.detail not in _LITESTAR_DETAILS
    message = detail if ours else _HTTP_MESSAGES.get(exc.status_code, detail)
    return problem_response(
        exc.status_code, title, slug, [Problem(None, slug, message)], request=request
    )


def _role_refused(request: Request, exc: RoleRefused) -> Response[dict[str, Any]]:
    """403 naming the roles the route admits, in the reader's words."""
    return problem_response(
        403, _HTTP_TITLES[403], "forbidden", [Problem(None, "role", exc.text)], request=request
    )


_LITESTAR_DETAILS = frozenset(
    {"Not Found", "Method Not Allowed", "Unauthorized", "Forbidden", "Unsupported Media Type"}
)


def _policy_error(request: Request, exc: PolicyError) -> Response[dict[str, Any]]:
    """A day the policy book has no rules for (or a version it does not know) reached a rule.
    Input is checked against the book's first day before that (``kernel.types.Day``); this is
    the backstop, so such a request still gets a problem rather than a 500. Logged, because a
    missing parameter in a profile lands here too and should be noticed."""
    log.warning("answered 422 for a policy lookup: %s", exc)
    return problem_response(
        422,
        N_("The request has invalid fields"),
        "invalid-input",
        [Problem(None, "policy", str(exc))],
        request=request,
    )


def busy_reason(exc: BaseException) -> ServiceBusy | None:
    """The request could not be served in time: no thread, no pooled connection, or SQLite's
    write lock held elsewhere longer than the wait allowed (``kernel.capacity``)."""
    if isinstance(exc, ServiceBusy):
        return exc
    if isinstance(exc, SqlTimeout):
        return ServiceBusy("no database connection came free in time")
    # SQLite's busy error, wrapped by SQLAlchemy or straight from the driver (the BEGIN that
    # kernel.db issues itself)
    driver_error = exc.orig if isinstance(exc, OperationalError) else exc
    if isinstance(driver_error, sqlite3.OperationalError) and any(
        word in str(driver_error) for word in ("database is locked", "database is busy")
    ):
        return ServiceBusy("the database stayed locked by another process")
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in ("55P03", "57014"):
        # PostgreSQL's lock_timeout / statement_timeout
        return ServiceBusy("a row stayed locked by another request")
    return None


def unique_violation(exc: BaseException) -> bool:
    """Two requests created the same thing at the same moment and the database's uniqueness
    rule refused the second: PostgreSQL's unique_violation, SQLite's UNIQUE constraint."""
    if not isinstance(exc, IntegrityError):
        return False
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(
        exc.orig
    )


def _busy(busy: ServiceBusy, request: Request | None = None) -> Response[dict[str, Any]]:
    response = problem_response(
        503,
        N_("The service is busy"),
        "busy",
        [
            Problem(
                None, "busy", "the service could not take this request in time; nothing was written"
            )
        ],
        request=request,
    )
    response.headers["Retry-After"] = str(busy.retry_after)
    return response


def _unexpected(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    if unique_violation(exc):
        # Use cases check before they write, so only a race gets here; the first request won.
        log.warning("answered 409 for a uniqueness race: %s", type(exc).__name__)
        return problem_response(
            409,
            N_("The request conflicts with the current state"),
            "conflict",
            [
                Problem(
                    None,
                    "concurrent-change",
                    "the same record was created by another request at the same moment",
                )
            ],
            request=request,
        )
    busy = busy_reason(exc)
    if busy is not None:
        log.warning("answered 503: %s", busy.reason)
        return _busy(busy, request)
    log.exception("unhandled error", exc_info=exc)
    return problem_response(
        500,
        N_("Internal error"),
        "internal",
        [Problem(None, "internal", "an unexpected error")],
        request=request,
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: _domain_error,
    PolicyError: _policy_error,
    ValidationException: _validation_error,
    NotAuthorizedException: _http_error,
    RoleRefused: _role_refused,
    PermissionDeniedException: _http_error,
    NotFoundException: _http_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
