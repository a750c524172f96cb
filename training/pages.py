"""A training provider's own page: its courses and their outcome rates against the review and
reward lines (report 4 §五1), read through the same use cases the API uses."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from kernel.auth import Role, requires
from kernel.pages import render
from kernel.visibility import Access
from kernel.web import Ctx, get
from training import rules, services

PROVIDER = requires(Role.TRAINING_PROVIDER)


@get("/training", access=Access.PROVIDER, guards=[PROVIDER])
def my_courses(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    provider_id = ctx.actor.provider_id
    assert provider_id is not None
    provider = services.get_provider(ctx.session, provider_id)
    reports = services.course_reports(ctx, services.provider_courses(ctx.session, provider_id))
    total = rules.rates(sum((r.rates.counts for r in reports), rules.Counts()), ctx.params())
    params = ctx.params()
    return render(
        request,
        "training/courses.html",
        provider=provider,
        reports=reports,
        total=total.as_dict(),
        review_below=params.decimal("training.placement.review_below") * 100,
        reward_above=params.decimal("training.placement.reward_above") * 100,
    )


HANDLERS = [my_courses]
