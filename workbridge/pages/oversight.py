"""The oversight page (issue 17): the month's figures of the refusal rule by group, the alerts
and the cases behind the checks that must never fire, for admins across the county.

The same report as ``GET /api/v1/oversight/report`` (``activation.oversight.report``), with the
ids behind the checks (the admins are the people who must look at them), in the reader's
language; a month that is not YYYY-MM shows the page again with the problem.
"""

from __future__ import annotations

import io
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from markupsafe import Markup

from activation.oversight.alerts import Limits
from activation.oversight.report import oversight_report
from activation.oversight.tasks import close_task, tasks_for
from activation.oversight.words import DIMENSION_WORDS, alert_words, group_words
from activation.oversight.workbook import csv_text, write_workbook
from benefits.payment_rules import Month
from kernel.auth import Role, requires
from kernel.clock import office_today
from kernel.errors import Conflict, InvalidInput, Problem
from kernel.messages import render as render_text
from kernel.messages import uncarry
from kernel.pages import render, see_other, translator, value
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get, post
from workbridge.pages.charts import BarChart, Series
from workbridge.pages.palette import CHART_SERIES

OVERSEERS = requires(Role.ADMIN, Role.SUPERVISOR)
SHOWN_REFS = 20  # the cases an alert links to on the page; the API gives them all
SHOWN_DONE = 10  # the role's tasks closed most recently, with their notes
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _asked(request: Request[Any, Any, Any]) -> tuple[Month, str | None, list[Problem]]:
    """The month and office asked for; a month that is not YYYY-MM is a problem, and the
    current month is shown meanwhile."""
    state = request.app.state
    asked_month = (request.query_params.get("month") or "").strip()
    office = (request.query_params.get("office") or "").strip() or None
    month = Month.of(office_today(state.clock, state.settings.zone))
    problems: list[Problem] = []
    if asked_month:
        try:
            month = Month.parse(asked_month)
        except ValueError as exc:
            problems.append(Problem("month", "period-format", uncarry(str(exc))))
    return month, office, problems


def _report(
    request: Request[Any, Any, Any], ctx: Ctx, month: Month, office: str | None, *, refs: bool
) -> dict[str, Any]:
    return oversight_report(
        ctx.session,
        ctx.policy,
        month,
        Limits.from_settings(request.app.state.settings),
        office=office,
        with_refs=refs,
    )


@get("/oversight", access=Access.COUNTY, guards=[OVERSEERS])
def oversight(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    month, office, problems = _asked(request)
    return _page(request, ctx, month, office, problems)


@post("/oversight/tasks/{task_id:int}/close", access=Access.COUNTY, guards=[OVERSEERS])
def close(request: Request[Any, Any, Any], ctx: Ctx, task_id: PathId, data: Form) -> Any:
    """Close a task of the reader's role with a note; the page again with the problem when the
    note is missing or the task was closed meanwhile (another role's task is a 404)."""
    month, office, _ = _asked(request)
    try:
        close_task(ctx, task_id, value(data, "note") or "")
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        return _page(request, ctx, month, office, [], exc.problems, exc.status, task_id)
    query = urlencode({"month": month.label, **({"office": office} if office else {})})
    return see_other(f"/app/oversight?{query}#tasks")


def _page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    month: Month,
    office: str | None,
    problems: list[Problem],
    task_problems: list[Problem] | None = None,
    status: int | None = None,
    task_id: int | None = None,
) -> Template:
    t = translator(request)
    # The ids behind the checks are for the admins who act on them; a supervisor reads figures.
    report = _report(request, ctx, month, office, refs=ctx.actor.role is Role.ADMIN)
    alerts = [
        {**alert, "words": render_text(alert_words(alert), t.gettext)} for alert in report["alerts"]
    ]
    groups = [
        (
            render_text(DIMENSION_WORDS[dimension], t.gettext),
            [
                {**row, "words": render_text(group_words(dimension, row["group"]), t.gettext)}
                for row in rows
            ],
        )
        for dimension, rows in report["by"].items()
        if rows
    ]
    shown = [row for row in report["by"]["community"] if not row["suppressed"]]
    chart = None
    if shown:
        chart = BarChart(
            title=t.gettext("Share of people under a stop on the month's last day, by community"),
            categories=[row["group"] for row in shown],
            series=[
                Series(
                    t.gettext("share under a stop"),
                    CHART_SERIES[0],
                    [float(row["share_under_stop"] or 0) * 100 for row in shown],  # percent
                )
            ],
            fmt=lambda v: t.percent(v),
        )
    role = ctx.actor.role
    tasks = [
        {"task": task, "words": render_text(alert_words(task.facts), t.gettext)}
        for task in tasks_for(ctx.session, role)
    ]
    done = [
        {"task": task, "words": render_text(alert_words(task.facts), t.gettext)}
        for task in tasks_for(ctx.session, role, "done")[:SHOWN_DONE]
    ]
    typed = (request.query_params.get("month") or "").strip()
    return render(
        request,
        "shell/oversight.html",
        status=status or (422 if problems else 200),
        report=report,
        month=typed if problems else month.label,
        tasks=tasks,
        done=done,
        task_problems=task_problems or [],
        task_id=task_id,
        office=office or "",
        problems=problems,
        alerts=alerts,
        groups=groups,
        chart=Markup(chart.svg()) if chart else None,
        shown_refs=SHOWN_REFS,
    )


@get("/oversight/report.xlsx", access=Access.COUNTY, guards=[OVERSEERS])
def oversight_workbook(request: Request[Any, Any, Any], ctx: Ctx) -> Response[bytes]:
    """The open figures as a workbook: what may leave the county, no person in it."""
    month, office, problems = _asked(request)
    if problems:
        raise InvalidInput(problems)
    buffer = io.BytesIO()
    report = _report(request, ctx, month, office, refs=False)
    write_workbook(buffer, report, translator(request).gettext)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="oversight-{month.label}.xlsx"'},
    )


@get("/oversight/report.csv", access=Access.COUNTY, guards=[OVERSEERS])
def oversight_csv(request: Request[Any, Any, Any], ctx: Ctx) -> Response[str]:
    month, office, problems = _asked(request)
    if problems:
        raise InvalidInput(problems)
    text = csv_text(_report(request, ctx, month, office, refs=False), translator(request).gettext)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="oversight-{month.label}.csv"'},
    )


HANDLERS = [oversight, close, oversight_workbook, oversight_csv]
