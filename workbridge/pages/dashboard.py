"""The dashboard: the way into work month by month, refusals and sanctions by office, training
placement against the 60% / 95% lines, and money by case status, as server-drawn SVG."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Request, Response
from litestar.response import Template
from markupsafe import Markup

from activation.oversight.alerts import Limits
from activation.oversight.report import oversight_report
from activation.oversight.tasks import tasks_for
from activation.oversight.words import alert_words
from benefits.offices import communities_in
from benefits.payment_rules import Month
from kernel.auth import Role, requires
from kernel.errors import InvalidInput, Problem
from kernel.listing import FORMATS, attachment, csv_bytes, query_of, xlsx_bytes
from kernel.messages import render as render_text
from kernel.messages import say
from kernel.pages import N_, label_message, register_labels, render, translator
from kernel.visibility import Access, office_of
from kernel.web import Ctx, get
from workbridge.pages import stats
from workbridge.pages.charts import BarChart, Line, Series
from workbridge.pages.palette import CHART_SERIES, PALETTE

# Aggregates only: the supervisor reads them across offices too (issue 17).
DASHBOARD_READERS = requires(Role.COUNSELLOR, Role.BENEFIT_OFFICER, Role.ADMIN, Role.SUPERVISOR)

register_labels(
    {
        "obligated": N_("obligated"),
        "registered_people": N_("registered"),
        "referred": N_("referred"),
        "in_work": N_("in work"),
        "continuation_started": N_("continuation"),
        "exit": N_("exit"),
        "reentry_started": N_("re-entry"),
        "refusals": N_("refusals counted"),
        "sanctions": N_("sanctions confirmed"),
    }
)
# Funnel stages whose code is also used elsewhere with another meaning get their own label key.
STAGE_LABEL = {
    "obligated": "obligated",
    "registered": "registered_people",
    "referred": "referred",
    "accepted": "accepted",
    "in_work": "in_work",
    "continuation": "continuation_started",
    "exit": "exit",
    "reentry": "reentry_started",
}


TABLES = ("funnel", "conversion", "offices", "providers", "money")
SPANS = ("6", "12")


def _asked(ctx: Ctx, query: dict[str, str]) -> tuple[str | None, list[str], str | None, str | None]:
    """The office, the months, and a table to export (with its format), or every problem."""
    problems: list[Problem] = []
    bound = office_of(ctx.actor)
    office = query.get("office") or bound
    places = {c for pair in communities_in(ctx.session, bound) for c in pair}
    if office and office not in places and office != bound:
        problems.append(Problem("office", "filter-choice", say("not one of the choices")))
    span = query.get("months") or "6"
    if span not in SPANS:
        problems.append(Problem("months", "filter-choice", say("not one of the choices")))
    last = query.get("to") or ctx.today.strftime("%Y-%m")
    try:
        last_day: date | None = date.fromisoformat(f"{last}-01")
    except ValueError:
        last_day = None
    if last_day is None or not 2000 <= last_day.year <= 2100:
        last_day = None
        problems.append(Problem("to", "month", say("a month as YYYY-MM")))
    table, fmt = query.get("table"), query.get("format")
    if table is not None and table not in TABLES:
        problems.append(Problem("table", "filter-choice", say("not one of the choices")))
    if fmt is not None and fmt not in FORMATS:
        problems.append(
            Problem("format", "export-format", say("exports are CSV or Excel (csv, xlsx)"))
        )
    if problems or last_day is None:
        raise InvalidInput(problems)
    months = stats.last_months(last_day, int(span))
    return office, months, table, fmt


@get("/dashboard", access=Access.ANYONE, guards=[DASHBOARD_READERS])
def dashboard(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    """The office's figures for the months chosen; an office-bound counsellor or officer sees
    their office's only. Every chart's table downloads as CSV or Excel."""
    t = translator(request)
    office, months, table, fmt = _asked(ctx, query_of(request))
    month_names = [_month_label(m, t.locale) for m in months]

    def label(code: str) -> str:
        return t.gettext(label_message(code) or code)

    funnel = stats.funnel(ctx.session, months, office)
    funnel_chart = BarChart(
        title=t.gettext("The way into work, month by month"),
        categories=month_names,
        series=[
            Series(label(STAGE_LABEL[stage]), CHART_SERIES[i % len(CHART_SERIES)], values)
            for i, (stage, values) in enumerate(funnel.items())
        ],
        fmt=lambda v: t.number(int(v)),
        integer=True,
        height=320,
    )
    offices = stats.refusals_and_sanctions(ctx.session, office)
    office_chart = BarChart(
        title=t.gettext("Refusals and sanctions by office"),
        categories=[o.office for o in offices],
        series=[
            Series(label("refusals"), CHART_SERIES[1], [o.refusals for o in offices]),
            Series(label("sanctions"), CHART_SERIES[4], [o.sanctions for o in offices]),
        ],
        integer=True,
        fmt=lambda v: t.number(int(v)),
    )
    params = ctx.params()
    review = float(params.decimal("training.placement.review_below") * 100)
    reward = float(params.decimal("training.placement.reward_above") * 100)
    providers = stats.placement_rates(ctx)
    placement_chart = BarChart(
        title=t.gettext("Training placement rate per provider"),
        categories=[p.name for p in providers],
        series=[
            Series(
                t.gettext("placed ÷ completed"),
                CHART_SERIES[0],
                [float(p.rate_percent or 0) for p in providers],
            )
        ],
        lines=[
            Line(
                t.gettext("review below %(line)s%%", line=f"{review:g}"), review, PALETTE["danger"]
            ),
            Line(
                t.gettext("reward above %(line)s%%", line=f"{reward:g}"), reward, PALETTE["success"]
            ),
        ],
        fixed_top=100.0,
        fmt=lambda v: t.percent(Decimal(str(v))),
    )
    money = stats.money_by_status(ctx, months, office)
    paid = stats.paid_by_month(ctx.session, months, office)
    conversion = stats.conversion(funnel)
    if table and fmt:
        return _export(
            t,
            table,
            fmt,
            month_names,
            months,
            funnel,
            conversion,
            offices,
            providers,
            money,
            paid,
            label,
        )
    money_chart = BarChart(
        title=t.gettext("Money by case status (estimated)"),
        categories=month_names,
        series=[
            Series(label(status), CHART_SERIES[i], [float(v) for v in values])
            for i, (status, values) in enumerate(money.items())
        ],
        stacked=True,
        fmt=lambda v: t.money(Decimal(str(round(v)))),
    )
    return render(
        request,
        "shell/dashboard.html",
        oversight_alerts=_oversight_alerts(request, ctx, months[-1]),
        oversight_tasks=len(tasks_for(ctx.session, ctx.actor.role))
        if ctx.actor.role in (Role.ADMIN, Role.SUPERVISOR)
        else 0,
        months=months,
        month_names=month_names,
        funnel=funnel,
        stage_label=STAGE_LABEL,
        funnel_svg=Markup(funnel_chart.svg()),
        offices=offices,
        office_svg=Markup(office_chart.svg()),
        providers=providers,
        placement_svg=Markup(placement_chart.svg()),
        review_line=review,
        reward_line=reward,
        money=money,
        money_svg=Markup(money_chart.svg()),
        paid=paid,
        conversion=conversion,
        office=office,
        bound=office_of(ctx.actor),
        places=communities_in(ctx.session, office_of(ctx.actor)),
        span=str(len(months)),
        to=months[-1],
    )


def _export(
    t: Any,
    table: str,
    fmt: str,
    month_names: list[str],
    months: list[str],
    funnel: dict[str, list[int]],
    conversion: list[tuple[str, int, Decimal | None]],
    offices: list[stats.OfficeCounts],
    providers: list[stats.ProviderRate],
    money: dict[str, list[Decimal]],
    paid: dict[str, Decimal],
    label: Any,
) -> Response[bytes]:
    """A chart's table as a spreadsheet, headed in the reader's language."""
    g = t.gettext
    if table == "funnel":
        head = [g(N_("Step")), *month_names]
        rows: list[list[Any]] = [
            [label(STAGE_LABEL[stage]), *values] for stage, values in funnel.items()
        ]
    elif table == "conversion":
        head = [
            g(N_("Step")),
            g(N_("People in these months")),
            g(N_("Share of the step before (%)")),
        ]
        rows = [[label(STAGE_LABEL[stage]), total, share] for stage, total, share in conversion]
    elif table == "offices":
        head = [g(N_("Office")), label("refusals"), label("sanctions")]
        rows = [[o.office, o.refusals, o.sanctions] for o in offices]
    elif table == "providers":
        head = [
            g(N_("Training provider")),
            g(N_("Completed")),
            g(N_("Placed")),
            g(N_("Placement rate")),
        ]
        rows = [[p.name, p.completed, p.placed, p.rate_percent] for p in providers]
    else:
        head = [g(N_("Status")), *month_names]
        rows = [[label(status), *values] for status, values in money.items()]
        rows.append([g(N_("paid by payment runs")), *(paid.get(m) for m in months)])
    name = f"dashboard-{table}.{fmt}"
    if fmt == "xlsx":
        content = xlsx_bytes(g(N_("Dashboard")), head, rows)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content, media = csv_bytes(head, rows), "text/csv"
    return Response(
        content=content, media_type=media, headers={"Content-Disposition": attachment(name)}
    )


def _month_label(month: str, locale: str) -> str:
    from babel.dates import format_skeleton

    return format_skeleton("yMMM", date.fromisoformat(month + "-01"), locale=locale)


HANDLERS = [dashboard]


def _oversight_alerts(
    request: Request[Any, Any, Any], ctx: Ctx, month: str
) -> list[dict[str, Any]] | None:
    """The last month's oversight alerts for those who watch the refusal rule (issue 17:
    "alerts appear on the dashboard"); None for everyone else, who sees no such card."""
    if ctx.actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        return None
    t = translator(request)
    report = oversight_report(
        ctx.session,
        ctx.policy,
        Month.parse(month),
        Limits.from_settings(request.app.state.settings),
    )
    return [
        {"words": render_text(alert_words(alert), t.gettext), "never": alert["zero_tolerance"]}
        for alert in report["alerts"]
    ]
