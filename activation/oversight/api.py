"""``GET /api/v1/oversight/report?month=YYYY-MM``: the month's oversight figures and alerts
(issue 17), so an upper-level bureau can collect many counties' figures without seeing persons.

For admins and supervisors across the county (``Access.COUNTY``: an office-bound account is
refused). The open report carries counts, rates and the never-fire checks' counts;
``refs=true`` adds the ids behind those checks, for the admins who must look at them (a
supervisor reads figures, never persons: 403).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request
from litestar.params import Parameter as QueryParameter
from sqlmodel import Field, SQLModel

from activation.oversight.alerts import Limits
from activation.oversight.report import oversight_report
from activation.oversight.words import alert_words
from benefits.payment_rules import Month
from kernel.auth import Role, requires
from kernel.clock import office_today
from kernel.errors import Forbidden, InvalidInput, Problem, request_language
from kernel.messages import render, say, uncarry
from kernel.visibility import Access
from kernel.web import Ctx, get, problem_responses

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


def _month(text: str | None, today: Any) -> Month:
    if text is None:
        return Month.of(today)
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise InvalidInput(Problem("month", "period-format", uncarry(str(exc)))) from None


CONTROLLERS = [OversightController]
