"""Policy replay pages (issue 16): ask for a replay, watch it, read its figures as charts and
tables in the reader's language, download it as a workbook.

The pages use the same use cases as ``/api/v1/replays`` (``activation.replay.runs``): a run is
checked whole (the form comes back with every problem), recorded and carried on in the
service; its page refreshes itself until it has finished. County-wide work: benefit officers
and admins without an office.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from markupsafe import Markup

from activation.replay import runs
from activation.replay.groups import DIMENSION_WORDS, value_words
from activation.replay.models import PolicyReplay
from activation.replay.workbook import write_workbook
from kernel.auth import Role, requires
from kernel.clock import office_today
from kernel.errors import DomainError
from kernel.messages import render as render_text
from kernel.pages import N_, register_labels, render, see_other, translator, value
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get, post
from workbridge.pages.charts import BarChart, Series
from workbridge.pages.heatmap import Cell, HeatMap
from workbridge.pages.palette import CHART_SERIES
from workbridge.pages.replay_surface import Point, grid_order, surfaces

register_labels({"running": N_("running"), "finished": N_("finished")})

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
OFFICER_OR_ADMIN = requires(Role.BENEFIT_OFFICER, Role.ADMIN)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _list_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    problems: list[Any] | None = None,
    asked: dict[str, str] | None = None,
) -> Template:
    return render(
        request,
        "shell/replays.html",
        status=422 if problems else 200,
        runs=runs.latest(ctx.session, 50, 0),
        problems=problems or [],
        asked=asked or {},
    )


@get("/replays", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN])
def replays(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    return _list_page(request, ctx)


@post("/replays", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN])
def ask(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Any:
    asked = {
        name: value(data, name) or ""
        for name in ("first_month", "last_month", "changes", "grid", "budget", "office", "whole")
    }
    question = runs.ReplayAsk(
        first_month=asked["first_month"],
        last_month=asked["last_month"],
        changes=_lines(asked["changes"]),
        grid=_lines(asked["grid"]),
        budget=asked["budget"] or None,
        office=asked["office"] or None,
        whole=asked["whole"] == "yes",
    )
    state = request.app.state
    try:
        run = runs.start(
            state.engine,
            state.policy,
            question,
            actor=ctx.actor.label,
            now=ctx.now,
            today=office_today(state.clock, state.settings.zone),
        )
    except DomainError as exc:
        return _list_page(request, ctx, exc.problems, asked)
    return see_other(f"/app/replays/{run.id}")


def _settings(pairs: Any) -> str:
    return ", ".join(f"{key}={value}" for key, value in pairs)


def _grid_maps(run: PolicyReplay, report: dict[str, Any], t: Any) -> list[Markup]:
    """The grid's points as heat maps: the difference from what was paid as colour and figure,
    the households that gain and lose beneath it; the budget's choice outlined, a point with
    cases not known dashed. The table under them carries the same figures."""
    points: list[Point] = report.get("points") or []
    peak = max((abs(float(p["difference"])) for p in points), default=0.0)
    chosen = report.get("within_budget")

    def cell(point: Point | None) -> Cell | None:
        if point is None:
            return None
        unknown = sum(point["unresolved"].values())
        hint = t.gettext(
            "%(settings)s: %(cost)s under the reform, %(difference)s against what was paid; "
            "%(gain)s households gain, %(lose)s lose",
            settings=_settings(point["reform"].items()),
            cost=t.money(point["cost_reform"]),
            difference=t.money(point["difference"]),
            gain=t.number(point["households_gain"]),
            lose=t.number(point["households_lose"]),
        )
        return Cell(
            value=float(point["difference"]),
            lines=[
                t.money(Decimal(point["difference"]).to_integral_value()),
                f"+{t.number(point['households_gain'])} / −{t.number(point['households_lose'])}",
            ],
            hint=hint,
            marked=chosen is not None and point["reform"] == chosen,
            dashed=unknown > 0,
        )

    notes = [
        t.gettext(
            "Each cell: the difference from what was paid; households that gain / that lose."
        ),
        t.gettext("Blue costs less than was paid, orange more; the deeper, the further."),
    ]
    if chosen is not None:
        notes.append(t.gettext("Heavy outline: the combination closest to the budget."))
    if any(sum(p["unresolved"].values()) for p in points):
        notes.append(t.gettext("Dashed outline: some cases not known, kept as recorded."))
    maps = []
    for surface in surfaces(points, grid_order(run.grid or [])):
        title = t.gettext("Difference from what was paid, by combination")
        if surface.facet:
            title = f"{title} · {_settings(surface.facet)}"
        maps.append(
            Markup(
                HeatMap(
                    title=title,
                    rows=surface.rows,
                    columns=surface.columns,
                    cells=[[cell(p) for p in row] for row in surface.points],
                    peak=peak,
                    row_title=surface.row_axis or "",
                    column_title=surface.column_axis,
                    notes=notes,
                ).svg()
            )
        )
    return maps


@get("/replays/{replay_id:int}", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN])
def replay(request: Request[Any, Any, Any], ctx: Ctx, replay_id: PathId) -> Template:
    run = runs.get(ctx.session, replay_id)
    t = translator(request)
    report = run.report or {}
    chart = None
    if report.get("by_month"):
        months = report["by_month"]
        chart = BarChart(
            title=t.gettext("Regular payments by month, as paid and under the reform"),
            categories=[row["month"] for row in months],
            series=[
                Series(
                    t.gettext("actual"), CHART_SERIES[0], [float(r["cost_actual"]) for r in months]
                ),
                Series(
                    t.gettext("under the reform"),
                    CHART_SERIES[1],
                    [float(r["cost_reform"]) for r in months],
                ),
            ],
            fmt=lambda v: t.money(Decimal(str(round(v)))),
        )
    groups = [
        (
            render_text(DIMENSION_WORDS[dimension], t.gettext),
            [
                {**group, "words": render_text(value_words(dimension, group["group"]), t.gettext)}
                for group in found
            ],
        )
        for dimension, found in (report.get("by_group") or {}).items()
    ]
    return render(
        request,
        "shell/replay.html",
        run=run,
        report=report,
        chart=Markup(chart.svg()) if chart else None,
        grid_maps=_grid_maps(run, report, t) if report.get("points") else [],
        groups=groups,
        money=lambda text: t.money(Decimal(text)),
    )


@get("/replays/{replay_id:int}/workbook", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN])
def workbook(request: Request[Any, Any, Any], ctx: Ctx, replay_id: PathId) -> Response[bytes]:
    import io

    run: PolicyReplay = runs.get(ctx.session, replay_id)
    if run.report is None:
        return see_other(f"/app/replays/{replay_id}")  # type: ignore[return-value]
    buffer = io.BytesIO()
    write_workbook(buffer, run.report, translator(request).gettext)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="replay-{replay_id}.xlsx"'},
    )


@post("/replays/{replay_id:int}/rerun", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN])
def rerun(request: Request[Any, Any, Any], ctx: Ctx, replay_id: PathId, data: Form) -> Any:
    state = request.app.state
    run = runs.rerun(
        state.engine,
        state.policy,
        replay_id,
        actor=ctx.actor.label,
        now=ctx.now,
        today=office_today(state.clock, state.settings.zone),
    )
    return see_other(f"/app/replays/{run.id}")


HANDLERS = [replays, ask, replay, workbook, rerun]
