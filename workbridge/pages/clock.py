"""The training clock's page: where a training copy stands, and a button to move it forward.

A trainer walking a class through the lifecycle moves the copy past a notice period, to a
continuation's end or a review date, and the class sees what the service then does
(kernel.training_clock). Only an administrator moves it, each move is audited, and on the real
service the page does not exist (404).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from kernel import audit
from kernel.auth import Role, requires
from kernel.errors import NotFound, Problem
from kernel.messages import say
from kernel.pages import render, see_other, value
from kernel.training_clock import MAX_ADVANCE_DAYS, TrainingClock
from kernel.visibility import Access
from kernel.web import Ctx, get, post

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
ADMIN = requires(Role.ADMIN)


def _clock(request: Request[Any, Any, Any]) -> TrainingClock:
    clock = request.app.state.get("clock")
    if not isinstance(clock, TrainingClock):
        raise NotFound(Problem(None, "training-copy", "this is not a training copy"))
    return clock


def _page(
    request: Request[Any, Any, Any],
    clock: TrainingClock,
    problems: list[Problem] | None = None,
    days: str = "",
) -> Template:
    return render(
        request,
        "shell/clock.html",
        status=422 if problems else 200,
        today=clock.today(),
        most=MAX_ADVANCE_DAYS,
        problems=problems or [],
        days=days,
        moved=request.query_params.get("moved"),
    )


@get("/admin/clock", access=Access.ANYONE, guards=[ADMIN])
def clock_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    return _page(request, _clock(request))


@post("/admin/clock", access=Access.ANYONE, guards=[ADMIN])
def advance_clock(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Any:
    clock = _clock(request)
    text = value(data, "days") or ""
    days = int(text) if text.isdigit() else 0
    if not 1 <= days <= MAX_ADVANCE_DAYS:
        problem = Problem(
            "days",
            "days-forward",
            say("a whole number of days from 1 to %(most)s", most=MAX_ADVANCE_DAYS),
        )
        return _page(request, clock, [problem], text)
    before = clock.today()
    after = clock.advance(ctx.session, days, ctx.actor.label)
    audit.record(
        ctx.session,
        actor=ctx.actor,
        at=ctx.now,
        entity="training_clock",
        entity_id=1,
        action="advanced",
        details={"from": before.isoformat(), "to": after.isoformat(), "days": days},
    )
    ctx.session.commit()
    return see_other(f"/app/admin/clock?moved={after.isoformat()}")


HANDLERS = [clock_page, advance_clock]
