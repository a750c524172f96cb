"""``/api/v1/replays``: ask for a replay, follow it, list the runs, re-run one (issue 16).

Replays are county-wide work over everyone's history, so they are for accounts without an
office (``Access.COUNTY``: 403 for an office-bound account), benefit officers and admins; the
runs hold aggregates only, never a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from pydantic import Field as PydanticField
from sqlalchemy import Engine
from sqlmodel import Field, SQLModel

from activation.replay import runs
from activation.replay.models import PolicyReplay
from kernel.auth import Principal, Role, requires
from kernel.clock import office_today
from kernel.policy import PolicyBook
from kernel.types import Flag, InputModel
from kernel.visibility import Access
from kernel.web import Ctx, Limit, Offset, PathId, get, post, problem_responses

OFFICER_OR_ADMIN = requires(Role.BENEFIT_OFFICER, Role.ADMIN)


class ReplayIn(InputModel):
    first_month: str = Field(
        alias="from", description="The first month, YYYY-MM", schema_extra={"examples": ["2026-01"]}
    )
    last_month: str = Field(
        alias="to", description="The last month, YYYY-MM", schema_extra={"examples": ["2026-12"]}
    )
    set: list[Annotated[str, PydanticField(max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="Parameter changes, key=value",
        schema_extra={"examples": [["activation.refusal.threshold=3"]]},
    )
    grid: list[Annotated[str, PydanticField(max_length=2000)]] = Field(
        default_factory=list,
        max_length=10,
        description="Axes of a grid of reforms, key=v1,v2,...",
        schema_extra={"examples": [["continuation.months=6,9,12"]]},
    )
    budget: str | None = Field(
        default=None, max_length=24, description="Yuan; with a grid, the dearest point that fits"
    )
    office: str | None = Field(
        default=None, max_length=120, description="Only this township's or community's cases"
    )
    whole: Flag = Field(
        default=False,
        description="Price a reform of several changes once, without the steps that show each "
        "change's own effect (faster: n changes are otherwise priced n times)",
    )

    model_config = {"populate_by_name": True}


class ReplayOut(SQLModel):
    id: int = Field(schema_extra={"examples": [3]})
    state: str = Field(
        schema_extra={"examples": ["finished"]}, description="running, finished or failed"
    )
    requested_at: datetime
    requested_by: str
    first_month: str = Field(schema_extra={"examples": ["2026-01"]})
    last_month: str = Field(schema_extra={"examples": ["2026-12"]})
    office: str | None
    changes: list[str]
    grid: list[str]
    budget: str | None
    whole: bool
    rerun_of: int | None
    gate_passed: bool | None
    finished_at: datetime | None
    report: dict[str, Any] | None = Field(
        description="The gate, and when it passed the costs, people and groups; a grid's points"
    )


def replay_out(run: PolicyReplay) -> ReplayOut:
    return ReplayOut(**run.model_dump())


@dataclass(frozen=True)
class ReplayService:
    """What starting a run needs: it outlives its request, so it takes the service's engine
    and policy rather than the request's session (which it never opens)."""

    engine: Engine
    policy: PolicyBook
    actor: str
    now: datetime
    today: date


def provide_service(request: Request[Any, Any, Any]) -> ReplayService:
    state = request.app.state
    user = request.user
    assert isinstance(user, Principal)
    now = state.clock.now()
    return ReplayService(
        engine=state.engine,
        policy=state.policy,
        actor=user.label,
        now=now,
        today=office_today(state.clock, state.settings.zone),
    )


Service = NamedDependency[ReplayService]


class ReplayController(Controller):
    path = "/api/v1/replays"
    tags = ["Policy replay"]
    dependencies = {"service": Provide(provide_service, sync_to_thread=False)}

    @post(
        "",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Replay the caseload under a reform (or a grid of reforms)",
        description="202: the run is recorded and goes on in the service; follow it with GET "
        "/replays/{id}. 409: a replay is running in this process already; ask again when it has "
        "finished. 422: every problem of the request (months, parameters and values, grid, "
        "budget, office); nothing is recorded.",
        responses={
            202: ResponseSpec(data_container=ReplayOut, description="Started"),
            **problem_responses(409, 422),
        },
    )
    def start(self, service: Service, data: JSONBody[ReplayIn]) -> Response[ReplayOut]:
        run = runs.start(
            service.engine,
            service.policy,
            _ask(data),
            actor=service.actor,
            now=service.now,
            today=service.today,
        )
        return Response(replay_out(run), status_code=202)

    @get(
        "",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Replay runs, latest first",
        responses=problem_responses(),
    )
    def index(
        self,
        ctx: Ctx,
        limit: Annotated[int, Limit] = 50,
        offset: Annotated[int, Offset] = 0,
    ) -> list[ReplayOut]:
        return [replay_out(run) for run in runs.latest(ctx.session, limit, offset)]

    @get(
        "/{replay_id:int}",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="A replay run: what was asked, the gate and the figures",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, replay_id: PathId) -> ReplayOut:
        return replay_out(runs.get(ctx.session, replay_id))

    @post(
        "/{replay_id:int}/rerun",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        summary="Replay again what a run asked, on the caseload as it is now",
        responses=problem_responses(404, 409, 422),
        status_code=202,
    )
    def rerun(self, service: Service, replay_id: PathId) -> ReplayOut:
        return replay_out(
            runs.rerun(
                service.engine,
                service.policy,
                replay_id,
                actor=service.actor,
                now=service.now,
                today=service.today,
            )
        )


def _ask(data: ReplayIn) -> runs.ReplayAsk:
    return runs.ReplayAsk(
        first_month=data.first_month,
        last_month=data.last_month,
        changes=list(data.set),
        grid=list(data.grid),
        budget=data.budget,
        office=data.office,
        whole=data.whole,
    )


CONTROLLERS = [ReplayController]
