"""``GET /api/v1/oversight/report?month=YYYY-MM``: the month's oversight figures and alerts
(issue 17), so an upper-level bureau can collect many counties' figures without seeing persons.

For admins and supervisors across the county (``Access.COUNTY``: an office-bound account is
refused). The open report carries counts, rates and the never-fire checks' counts;
``refs=true`` adds the ids behind those checks, for the admins who must look at them (a
supervisor reads figures, never persons: 403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request
from litestar.params import JSONBody, QueryParameter
from sqlmodel import Field, SQLModel

from activation.oversight.alerts import Limits
from activation.oversight.report import oversight_report
from activation.oversight.tasks import NOTE_MAX, STATES, close_task, tasks_for
from activation.oversight.words import alert_words
from benefits.payment_rules import Month
from kernel.auth import Role, requires
from kernel.clock import office_today
from kernel.errors import Forbidden, InvalidInput, Problem, request_language
from kernel.messages import render, say, uncarry
from kernel.types import InputModel
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get, post, problem_responses

OVERSEERS = requires(Role.ADMIN, Role.SUPERVISOR)


class OversightReportOut(SQLModel):
    month: str = Field(schema_extra={"examples": ["2026-05"]})
    office: str | None = Field(schema_extra={"examples": [None]})
    settings: dict[str, Any] = Field(
        schema_extra={"examples": [{"min_cell": 10, "ratio_high": 1.25, "ratio_low": 0.8}]}
    )
    overall: dict[str, Any] = Field(
        description="The month's counts, the share under a stop with its 95% interval, the "
        "reversal rates",
        schema_extra={"examples": [{"subject": 206, "under_stop": 42, "share_under_stop": 0.2039}]},
    )
    by: dict[str, list[dict[str, Any]]] = Field(
        description="The same by group; a cell under the minimum is {suppressed, people}",
        schema_extra={"examples": [{"community": [{"group": "新村", "suppressed": True}]}]},
    )
    office_medians: dict[str, float] = Field(schema_extra={"examples": [{"community": 0.16}]})
    alerts: list[dict[str, Any]] = Field(
        description="Each with its code, its facts and a message in the reader's language",
        schema_extra={
            "examples": [[{"alert": "office-above-median", "group": "北街社区", "value": 0.34}]]
        },
    )


class OversightTaskOut(SQLModel):
    id: int = Field(schema_extra={"examples": [3]})
    month: str = Field(schema_extra={"examples": ["2026-05"]})
    alert: str = Field(schema_extra={"examples": ["office-above-median"]})
    subject: str = Field(schema_extra={"examples": ["community:北街社区"]})
    owner: str = Field(
        description="The role it is work for", schema_extra={"examples": ["supervisor"]}
    )
    facts: dict[str, Any] = Field(
        description="The alert as it was raised (no ids)",
        schema_extra={"examples": [{"alert": "office-above-median", "value": 0.34}]},
    )
    message: str = Field(
        schema_extra={"examples": ["北街社区 停发比例为 0.34，超过中位数 0.16 的 2.0 倍"]}
    )
    state: str = Field(schema_extra={"examples": ["open"]})
    opened_at: datetime = Field(schema_extra={"examples": ["2026-05-02T01:00:00Z"]})
    closed_at: datetime | None = Field(schema_extra={"examples": [None]})
    closed_by: str | None = Field(schema_extra={"examples": [None]})
    note: str = Field(schema_extra={"examples": [""]})


class TaskCloseIn(InputModel):
    note: str = Field(
        min_length=1,
        max_length=NOTE_MAX,
        description="What was done",
        schema_extra={"examples": ["与北街社区讨论了停发情况，复核了 17 个案件"]},
    )


class OversightController(Controller):
    path = "/api/v1/oversight"
    tags = ["Oversight"]

    @get(
        "/report",
        access=Access.COUNTY,
        guards=[OVERSEERS],
        summary="The month's figures of the refusal rule, by group, with small cells suppressed, "
        "and the alerts",
        description="`month` defaults to the current month. Each alert has a code, its facts "
        "and a message in the reader's language. 422: a month that is not YYYY-MM, listed.",
        responses=problem_responses(422),
    )
    def report(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        month: Annotated[str | None, QueryParameter(description="YYYY-MM")] = None,
        office: Annotated[str | None, QueryParameter(description="A township or community")] = None,
        refs: Annotated[bool, QueryParameter(description="The ids behind the checks")] = False,
    ) -> OversightReportOut:
        state = request.app.state
        if refs and ctx.actor.role is not Role.ADMIN:
            raise Forbidden(
                Problem("refs", "admins-only", say("the ids behind the checks are for admins"))
            )
        wanted = _month(month, office_today(state.clock, state.settings.zone))
        found = oversight_report(
            ctx.session,
            state.policy,
            wanted,
            Limits.from_settings(state.settings),
            office=office or None,
            with_refs=refs,
        )
        _, gettext = request_language(request)
        for alert in found["alerts"]:
            alert["message"] = render(alert_words(alert), gettext)
        return OversightReportOut(**found)

    @get(
        "/tasks",
        access=Access.COUNTY,
        guards=[OVERSEERS],
        summary="The oversight tasks of the caller's role: the never-fire checks for admins, the "
        "patterns for supervisors",
        description="Raised from the month's alerts by the daily job (`workbridge scheduler "
        "run-once --job oversight-tasks` by hand). 422: a state other than open or done, or a "
        "month that is not YYYY-MM.",
        responses=problem_responses(422),
    )
    def tasks(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        wanted: Annotated[str, QueryParameter(name="state", description="open or done")] = "open",
        month: Annotated[str | None, QueryParameter(description="YYYY-MM")] = None,
    ) -> list[OversightTaskOut]:
        problems = []
        if wanted not in STATES:
            problems.append(Problem("state", "one-of", say("open or done")))
        if month is not None:
            try:
                Month.parse(month)
            except ValueError as exc:
                problems.append(Problem("month", "period-format", uncarry(str(exc))))
        if problems:
            raise InvalidInput(problems)
        _, gettext = request_language(request)
        return [
            _task_out(task, gettext)
            for task in tasks_for(ctx.session, ctx.actor.role, wanted, month)
        ]

    @post(
        "/tasks/{task_id:int}/close",
        status_code=200,
        access=Access.COUNTY,
        guards=[OVERSEERS],
        summary="Close a task of the caller's role with a note of what was done",
        description="404: no such task, or another role's. 409: already closed. 422: no note.",
        responses=problem_responses(404, 409, 422),
    )
    def close(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        task_id: PathId,
        data: JSONBody[TaskCloseIn],
    ) -> OversightTaskOut:
        _, gettext = request_language(request)
        return _task_out(close_task(ctx, task_id, data.note), gettext)


def _task_out(task: Any, gettext: Any) -> OversightTaskOut:
    return OversightTaskOut(
        **task.model_dump(exclude={"facts"}),
        facts=task.facts,
        message=render(alert_words(task.facts), gettext),
    )


def _month(text: str | None, today: Any) -> Month:
    if text is None:
        return Month.of(today)
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise InvalidInput(Problem("month", "period-format", uncarry(str(exc)))) from None


CONTROLLERS = [OversightController]
