"""The dashboard: the way into work month by month, refusals and sanctions by office, training
placement against the 60% / 95% lines, and money by case status, as server-drawn SVG."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Request
from litestar.response import Template
from markupsafe import Markup

from kernel.auth import Role, requires
from kernel.pages import N_, label_message, register_labels, render, translator
from kernel.visibility import Access
from kernel.web import Ctx, get
from workbridge.pages import stats
from workbridge.pages.charts import BarChart, Line, Series
from workbridge.pages.palette import CHART_SERIES, PALETTE

STAFF_OR_ADMIN = requires(Role.COUNSELLOR, Role.BENEFIT_OFFICER, Role.ADMIN)

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


@get("/dashboard", access=Access.ANYONE, guards=[STAFF_OR_ADMIN])
def dashboard(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    t = translator(request)
    months = stats.last_months(ctx.today)
    month_names = [_month_label(m, t.locale) for m in months]

    def label(code: str) -> str:
        return t.gettext(label_message(code) or code)

    funnel = stats.funnel(ctx.session, months)
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
    offices = stats.refusals_and_sanctions(ctx.session)
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
    money = stats.money_by_status(ctx, months)
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
    )


def _month_label(month: str, locale: str) -> str:
    from babel.dates import format_skeleton

    return format_skeleton("yMMM", date.fromisoformat(month + "-01"), locale=locale)


HANDLERS = [dashboard]
