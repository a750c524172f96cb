"""Litestar glue every context's API shares: the use-case context as a dependency, paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import QueryParameter
from sqlmodel import Field, Session, SQLModel

from kernel.auth import Principal
from kernel.clock import Clock, office_today
from kernel.context import ServiceContext
from kernel.db import new_read_session, new_session
from kernel.policy import PolicyBook
from kernel.settings import Settings


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


def provide_context(request: Request[Any, Any, Any]) -> Iterator[ServiceContext]:
    """One session per request, closed afterwards; services commit their own unit of work."""
    state = request.app.state
    settings: Settings = state.settings
    clock: Clock = state.clock
    policy: PolicyBook = state.policy
    reading = request.method in ("GET", "HEAD")
    session: Session = new_read_session(state.engine) if reading else new_session(state.engine)
    try:
        now = clock.now()
        user = request.user
        assert isinstance(user, Principal)
        yield ServiceContext(
            session=session,
            actor=user,
            now=now,
            today=office_today(clock, settings.zone),
            policy=policy,
        )
    finally:
        session.rollback()
        session.close()


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
