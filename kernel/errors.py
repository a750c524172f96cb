"""One error shape for every 4xx: RFC 9457 problem details listing every problem at once.

Rules return lists of ``Problem`` (field, rule, message) rather than raising on the first, so a
counsellor sees everything wrong with a form in one answer (the pfml lesson in ARCHITECTURE.md).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import asdict, dataclass
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

from kernel.capacity import ServiceBusy
from kernel.policy import PolicyError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    field: str | None
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class DomainError(Exception):
    status = 422
    title = "The request breaks a rule"
    slug = "invalid"

    def __init__(self, problems: list[Problem] | Problem | str, *, title: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(None, self.slug, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        if title:
            self.title = title
        super().__init__("; ".join(p.message for p in problems))


class InvalidInput(DomainError):
    status = 422
    title = "The request has invalid fields"
    slug = "invalid-input"


class Conflict(DomainError):
    status = 409
    title = "The request conflicts with the current state"
    slug = "conflict"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


def problem_response(
    status: int, title: str, slug: str, problems: list[Problem], detail: str | None = None
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"https://workbridge.example/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail or "; ".join(p.message for p in problems) or title,
        "problems": [p.as_dict() for p in problems],
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _domain_error(_: Request, exc: DomainError) -> Response[dict[str, Any]]:
    return problem_response(exc.status, exc.title, exc.slug, exc.problems)


def _validation_error(_: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    problems: list[Problem] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            field = item.get("key") or item.get("source")
            message = str(item.get("message", "invalid value"))
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            problems.append(Problem(field, "schema", message))
    if not problems:
        problems.append(Problem(None, "schema", exc.detail or "the request body is malformed"))
    malformed = not extra  # the body could not be parsed at all
    status = 400 if malformed else 422
    title = "The request is malformed" if malformed else "The request has invalid fields"
    return problem_response(status, title, "invalid-input", problems)


def _http_error(_: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    slug = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        415: "unsupported-media-type",
    }.get(exc.status_code, "http-error")
    detail = exc.detail or "error"
    return problem_response(exc.status_code, detail, slug, [Problem(None, slug, detail)])


def _policy_error(_: Request, exc: PolicyError) -> Response[dict[str, Any]]:
    """A day the policy book has no rules for (or a version it does not know) reached a rule.
    Input is checked against the book's first day before that (``kernel.types.Day``); this is
    the backstop, so such a request still gets a problem rather than a 500. Logged, because a
    missing parameter in a profile lands here too and should be noticed."""
    log.warning("answered 422 for a policy lookup: %s", exc)
    return problem_response(
        422,
        "The request has invalid fields",
        "invalid-input",
        [Problem(None, "policy", str(exc))],
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


def _busy(busy: ServiceBusy) -> Response[dict[str, Any]]:
    response = problem_response(
        503,
        "The service is busy",
        "busy",
        [
            Problem(
                None, "busy", "the service could not take this request in time; nothing was written"
            )
        ],
    )
    response.headers["Retry-After"] = str(busy.retry_after)
    return response


def _unexpected(_: Request, exc: Exception) -> Response[dict[str, Any]]:
    if unique_violation(exc):
        # Use cases check before they write, so only a race gets here; the first request won.
        log.warning("answered 409 for a uniqueness race: %s", type(exc).__name__)
        return problem_response(
            409,
            "The request conflicts with the current state",
            "conflict",
            [
                Problem(
                    None,
                    "concurrent-change",
                    "the same record was created by another request at the same moment",
                )
            ],
        )
    busy = busy_reason(exc)
    if busy is not None:
        log.warning("answered 503: %s", busy.reason)
        return _busy(busy)
    log.exception("unhandled error", exc_info=exc)
    return problem_response(
        500, "Internal error", "internal", [Problem(None, "internal", "an unexpected error")]
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: _domain_error,
    PolicyError: _policy_error,
    ValidationException: _validation_error,
    NotAuthorizedException: _http_error,
    PermissionDeniedException: _http_error,
    NotFoundException: _http_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
