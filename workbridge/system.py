"""Service-wide endpoints: health and the policy in force."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery
from litestar.response import Response
from sqlmodel import Field, SQLModel

from kernel.auth import Role, requires
from kernel.db import database_reachable
from kernel.errors import PROBLEM_JSON
from kernel.visibility import Access
from kernel.web import Ctx, checked_day, get, problem_responses


class Health(SQLModel):
    status: str = Field(schema_extra={"examples": ["ok"]})
    database: str = Field(schema_extra={"examples": ["ok"]})
    version: str = Field(schema_extra={"examples": ["0.1.0"]})
    replica: str | None = Field(
        default=None,
        description="The read replica, when one is named: ok, lagging, not-a-replica or "
        "unreachable. Reads go to the primary while it is not ok; the service stays up.",
        schema_extra={"examples": ["ok"]},
    )
    replica_lag_seconds: float | None = Field(default=None, schema_extra={"examples": [0.0]})


@get(
    "/health",
    access=Access.PUBLIC,
    exclude_from_auth=True,
    summary="Liveness and database reachability",
    tags=["System"],
    responses={503: ResponseSpec(data_container=Health, description="Database unreachable")},
)
def health(request: Request[Any, Any, Any]) -> Response[Health]:
    from importlib.metadata import version

    ok = database_reachable(request.app.state.engine)
    replica = request.app.state.get("replica")
    state = replica.check() if replica is not None else None
    body = Health(
        status="ok" if ok else "unavailable",
        database="ok" if ok else "unreachable",
        version=version("workbridge"),
        replica=state.condition if state else None,
        replica_lag_seconds=state.lag_seconds if state else None,
    )
    return Response(
        body, status_code=200 if ok else 503, media_type="application/json" if ok else PROBLEM_JSON
    )


class PolicyParameterOut(SQLModel):
    key: str = Field(schema_extra={"examples": ["activation.refusal.threshold"]})
    value: Any = Field(schema_extra={"examples": [2]})
    basis: str = Field(schema_extra={"examples": ["Report 4 §五4: 两次以上不接受 ..."]})


class PolicyOut(SQLModel):
    profile: str = Field(schema_extra={"examples": ["county-pilot"]})
    version_id: str = Field(schema_extra={"examples": ["county-pilot@2020.1"]})
    effective_from: date
    jurisdiction: str
    parameters: list[PolicyParameterOut]


class PolicyController(Controller):
    path = "/api/v1/policy"
    tags = ["System"]

    @get(
        "/",
        access=Access.ANYONE,
        guards=[requires(*Role)],
        summary="The parameter version in force on a day (default today), with legal bases",
        responses=problem_responses(422),
        sync_to_thread=False,
    )
    def current(self, ctx: Ctx, on: FromQuery[date | None] = None) -> PolicyOut:
        params = ctx.params(checked_day("on", on))
        return PolicyOut(
            profile=params.profile,
            version_id=params.version_id,
            effective_from=params.effective_from,
            jurisdiction=params.jurisdiction,
            parameters=[PolicyParameterOut(**p) for p in params.describe()],
        )
