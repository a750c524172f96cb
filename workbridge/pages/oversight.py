"""The oversight page (issue 17): the month's figures of the refusal rule by group, the alerts
and the cases behind the checks that must never fire, for admins across the county.

The same report as ``GET /api/v1/oversight/report`` (``activation.oversight.report``), with the
ids behind the checks (the admins are the people who must look at them), in the reader's
language; a month that is not YYYY-MM shows the page again with the problem.
"""

from __future__ import annotations

import io
from typing import Any

from litestar import Request, Response
from litestar.response import Template
from markupsafe import Markup

from activation.oversight.alerts import Limits
from activation.oversight.report import oversight_report
from activation.oversight.words import DIMENSION_WORDS, alert_words, group_words
from activation.oversight.workbook import csv_text, write_workbook
from benefits.payment_rules import Month
from kernel.auth import Role, requires
from kernel.clock import office_today
from kernel.errors import InvalidInput, Problem
from kernel.messages import render as render_text
from kernel.messages import uncarry
from kernel.pages import render, translator
from kernel.visibility import Access
from kernel.web import Ctx, get
from workbridge.pages.charts import BarChart, Series
from workbridge.pages.palette import CHART_SERIES

OVERSEERS = requires(Role.ADMIN, Role.SUPERVISOR)
SHOWN_REFS = 20  # the cases an alert links to on the page; the API gives them all


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
    t = translator(request)
    month, office, problems = _asked(request)
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
                    [float(row["share_under_stop"] or 0) for row in shown],
                )
            ],
            fmt=lambda v: t.percent(v),
        )
    return render(
        request,
        "shell/oversight.html",
        status=422 if problems else 200,
        report=report,
        month=month.label,
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


HANDLERS = [oversight, oversight_workbook, oversight_csv]
