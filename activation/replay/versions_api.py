"""``/api/v1/parameter-versions``: propose a parameter version, replay it, sign it off (issue 16,
change control). County-wide benefit officers and admins; a version touches no person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from sqlmodel import Field, SQLModel

from activation.replay import versions
from activation.replay.api import OFFICER_OR_ADMIN, ReplayOut, Service, provide_service, replay_out
from activation.replay.models import PolicyReplay
from activation.replay.version_rules import (
    ChangeAsk,
    VersionAsk,
    not_replayed,
    preceding,
    replayable_changes,
)
from kernel.errors import Problem
from kernel.parameter_versions import ParameterVersion
from kernel.types import InputModel
from kernel.visibility import Access
from kernel.web import Ctx, Limit, Offset, PathId, get, post, problem_responses

Req = Request[Any, Any, Any]


class ChangeIn(InputModel):
    key: str = Field(max_length=120, schema_extra={"examples": ["activation.refusal.threshold"]})
    value: str = Field(
        max_length=20_000,
        description="As written: a number, true/false, a word, or JSON for a list",
        schema_extra={"examples": ["3"]},
    )
    basis: str = Field(
        max_length=2000,
        description="The legal basis of the change",
        schema_extra={"examples": ["县民政局文件 2027年第3号"]},
    )


class VersionIn(InputModel):
    version: str = Field(max_length=80, schema_extra={"examples": ["2027.1"]})
    effective_from: str = Field(
        max_length=20,
        description="YYYY-MM-DD, after today",
        schema_extra={"examples": ["2027-01-01"]},
    )
    note: str = Field(
        max_length=4000,
        description="Why the version is made",
        schema_extra={"examples": ["县民政局要求三次拒绝才停发"]},
    )
    changes: list[ChangeIn] = Field(max_length=60)


class DecisionIn(InputModel):
    note: str = Field(
        default="",
        max_length=4000,
        description="Why (required to refuse)",
        schema_extra={"examples": ["已阅读回放结果，同意"]},
    )


class VersionOut(SQLModel):
    id: int
    profile: str
    version: str
    version_id: str = Field(schema_extra={"examples": ["county-pilot@2027.1"]})
    effective_from: date
    note: str
    changes: dict[str, Any] = Field(description="key → {value, basis}")
    replayed_changes: list[str] = Field(description="The changes its replay follows, key=value")
    not_replayed: list[str] = Field(description="Changed parameters the replay cannot follow yet")
    state: str = Field(description="proposed, live, refused or withdrawn")
    proposed_by: str
    proposed_at: datetime
    replay_id: int | None
    replay: ReplayOut | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    blocking: list[dict[str, Any]] = Field(
        description="While proposed: what stands in the way of its sign-off now"
    )


def version_out(
    row: ParameterVersion,
    run: PolicyReplay | None,
    blocking: list[Problem],
    request: Req,
    before: dict[str, Any],
) -> VersionOut:
    from kernel.errors import request_language

    _, gettext = request_language(request)
    return VersionOut(
        **row.model_dump(),
        version_id=row.version_id,
        replayed_changes=replayable_changes(row.changes, before),
        not_replayed=not_replayed(row.changes, before),
        replay=replay_out(run) if run is not None else None,
        blocking=[problem.as_dict(gettext) for problem in blocking],
    )


def _out(ctx: Ctx, row: ParameterVersion, request: Req) -> VersionOut:
    session = ctx.session
    run = session.get(PolicyReplay, row.replay_id) if row.replay_id is not None else None
    blocking = (
        versions.sign_off_problems(session, ctx.policy, row, ctx.now, ctx.today)
        if row.state == versions.PROPOSED
        else []
    )
    return version_out(row, run, blocking, request, preceding(ctx.policy, row.effective_from))


def _ask(data: VersionIn) -> VersionAsk:
    return VersionAsk(
        version=data.version,
        effective_from=data.effective_from,
        note=data.note,
        changes=tuple(ChangeAsk(c.key, c.value, c.basis) for c in data.changes),
    )


class ParameterVersionController(Controller):
    path = "/api/v1/parameter-versions"
    tags = ["Parameter versions"]
    dependencies = {"service": Provide(provide_service, sync_to_thread=False)}

    @post(
        "",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Propose a parameter version",
        description="201: recorded as proposed; it goes live only when a second person signs "
        "off its replay. 422: every problem of the proposal; nothing is recorded.",
        responses={201: ResponseSpec(data_container=VersionOut), **problem_responses(422)},
    )
    def propose(self, ctx: Ctx, data: JSONBody[VersionIn], request: Req) -> Response[VersionOut]:
        row = versions.propose(
            ctx.session,
            ctx.policy,
            _ask(data),
            actor=ctx.actor.label,
            now=ctx.now,
            today=ctx.today,
        )
        return Response(_out(ctx, row, request), status_code=201)

    @get(
        "",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Parameter versions proposed in the service, latest first",
        responses=problem_responses(),
    )
    def index(
        self,
        ctx: Ctx,
        request: Req,
        limit: Annotated[int, Limit] = 50,
        offset: Annotated[int, Offset] = 0,
    ) -> list[VersionOut]:
        rows = versions.latest(ctx.session, ctx.policy.profile, limit, offset)
        return [_out(ctx, row, request) for row in rows]

    @get(
        "/{version_id:int}",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="A parameter version, its replay and what stands in the way of its sign-off",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, version_id: PathId, request: Req) -> VersionOut:
        return _out(ctx, versions.get(ctx.session, version_id), request)

    @post(
        "/{version_id:int}/replay",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Replay the last 12 months with the version's changes",
        description="202: the run goes on in the service and the version records its id. 409: "
        "the version was decided already, or a replay is running. 422: the replay cannot take "
        "a value of the version.",
        responses={
            202: ResponseSpec(data_container=ReplayOut, description="Started"),
            **problem_responses(404, 409, 422),
        },
    )
    def replay(self, service: Service, version_id: PathId) -> Response[ReplayOut]:
        run = versions.replay(
            service.engine,
            service.policy,
            version_id,
            actor=service.actor,
            now=service.now,
            today=service.today,
        )
        return Response(replay_out(run), status_code=202)

    @post(
        "/{version_id:int}/sign-off",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Sign off a version: it goes live on its day",
        description="403: the proposer may not sign off their own version. 409: its replay is "
        "missing, running, failed, its gate did not pass, it replayed other changes or is more "
        "than 7 days old; or the version's day is not after today and after the last version's.",
        responses=problem_responses(403, 404, 409),
        status_code=200,
    )
    def sign_off(
        self,
        ctx: Ctx,
        version_id: PathId,
        data: JSONBody[DecisionIn],
        request: Req,
    ) -> VersionOut:
        row = versions.sign_off(
            ctx.session,
            ctx.policy,
            version_id,
            data.note,
            actor=ctx.actor.label,
            now=ctx.now,
            today=ctx.today,
        )
        live = request.app.state.get("live_policy")
        if live is not None:
            live.refresh(ctx.session)
        return _out(ctx, row, request)

    @post(
        "/{version_id:int}/refuse",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Refuse a version, with the reason (a second person)",
        responses=problem_responses(403, 404, 409, 422),
        status_code=200,
    )
    def refuse(
        self,
        ctx: Ctx,
        version_id: PathId,
        data: JSONBody[DecisionIn],
        request: Req,
    ) -> VersionOut:
        row = versions.refuse(
            ctx.session, version_id, data.note, actor=ctx.actor.label, now=ctx.now
        )
        return _out(ctx, row, request)

    @post(
        "/{version_id:int}/withdraw",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Withdraw a version one proposed",
        responses=problem_responses(403, 404, 409),
        status_code=200,
    )
    def withdraw(
        self,
        ctx: Ctx,
        version_id: PathId,
        data: JSONBody[DecisionIn],
        request: Req,
    ) -> VersionOut:
        row = versions.withdraw(
            ctx.session, version_id, data.note, actor=ctx.actor.label, now=ctx.now
        )
        return _out(ctx, row, request)


CONTROLLERS = [ParameterVersionController]
