"""Parameter version pages (issue 16, change control): propose a version, replay it, read the
replay beside its changes, and sign it off — or refuse or withdraw it.

The same use cases as ``/api/v1/parameter-versions`` (``activation.replay.versions``). A step
that a rule stops (the proposer signing off, a replay too old, a day already passed) shows the
version's page again with every problem, in the reader's language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from activation.replay import versions
from activation.replay.models import PolicyReplay
from activation.replay.version_rules import ChangeAsk, VersionAsk, not_replayed, preceding
from kernel.auth import Role, requires
from kernel.errors import DomainError, Problem
from kernel.pages import N_, register_labels, render, see_other, translator, value
from kernel.parameter_versions import ParameterVersion, live_versions
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get, post

register_labels(
    {
        "proposed": N_("proposed"),
        "live": N_("signed off"),
        "refused": N_("refused"),
        "withdrawn": N_("withdrawn"),
    }
)

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
OFFICER_OR_ADMIN = requires(Role.BENEFIT_OFFICER, Role.ADMIN)
Req = Request[Any, Any, Any]


def changes_of(text: str, basis: str) -> tuple[ChangeAsk, ...]:
    """``key=value`` lines, each with the form's one legal basis."""
    found = []
    for line in text.splitlines():
        if line.strip():
            key, _, raw = line.partition("=")
            found.append(ChangeAsk(key.strip(), raw.strip(), basis))
    return tuple(found)


def _list_page(
    request: Req, ctx: Ctx, problems: list[Problem] | None = None, asked: dict | None = None
) -> Template:
    book = ctx.policy
    live = {row.version for row in live_versions(ctx.session, book.profile)}
    return render(
        request,
        "shell/versions.html",
        status=422 if problems else 200,
        book=book,
        in_force=ctx.params(),
        signed_off=live,
        proposals=versions.latest(ctx.session, book.profile, 50, 0),
        problems=problems or [],
        asked=asked or {},
    )


@get("/parameter-versions", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN])
def version_list(request: Req, ctx: Ctx) -> Template:
    return _list_page(request, ctx)


@post("/parameter-versions", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN])
def propose(request: Req, ctx: Ctx, data: Form) -> Any:
    asked = {
        name: value(data, name) or ""
        for name in ("version", "effective_from", "note", "changes", "basis")
    }
    ask = VersionAsk(
        version=asked["version"],
        effective_from=asked["effective_from"],
        note=asked["note"],
        changes=changes_of(asked["changes"], asked["basis"]),
    )
    try:
        row = versions.propose(
            ctx.session, ctx.policy, ask, actor=ctx.actor.label, now=ctx.now, today=ctx.today
        )
    except DomainError as exc:
        ctx.session.rollback()
        return _list_page(request, ctx, exc.problems, asked)
    return see_other(f"/app/parameter-versions/{row.id}")


def _version_page(
    request: Req,
    ctx: Ctx,
    row: ParameterVersion,
    problems: list[Problem] | None = None,
    status: int = 200,
) -> Template:
    session = ctx.session
    run = session.get(PolicyReplay, row.replay_id) if row.replay_id is not None else None
    blocking = (
        versions.sign_off_problems(session, ctx.policy, row, ctx.now, ctx.today)
        if row.state == versions.PROPOSED
        else []
    )
    in_force = ctx.params()
    unfollowed = not_replayed(row.changes, preceding(ctx.policy, row.effective_from))
    t = translator(request)
    changes = [
        {
            "key": key,
            "before": in_force.params[key].value if key in in_force.params else None,
            "after": spec["value"],
            "basis": spec["basis"],
            "replayed": key not in unfollowed,
        }
        for key, spec in sorted(row.changes.items())
    ]
    report = (run.report or {}) if run is not None else {}
    return render(
        request,
        "shell/version.html",
        status=status,
        version=row,
        run=run,
        report=report,
        changes=changes,
        blocking=blocking,
        problems=problems or [],
        running=run is not None and run.state == "running",
        money=lambda text: t.money(Decimal(text)),
    )


@get("/parameter-versions/{version_id:int}", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN])
def version_page(request: Req, ctx: Ctx, version_id: PathId) -> Template:
    return _version_page(request, ctx, versions.get(ctx.session, version_id))


def _step(request: Req, ctx: Ctx, version_id: int, step: Any) -> Any:
    """Take a step; on a rule's refusal, the version's page with every problem."""
    try:
        step()
    except DomainError as exc:
        ctx.session.rollback()
        row = versions.get(ctx.session, version_id)
        return _version_page(request, ctx, row, exc.problems, exc.status)
    return see_other(f"/app/parameter-versions/{version_id}")


@post(
    "/parameter-versions/{version_id:int}/replay", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN]
)
def replay(request: Req, ctx: Ctx, version_id: PathId, data: Form) -> Any:
    state = request.app.state

    def start() -> None:
        ctx.session.close()  # the replay writes through its own sessions
        versions.replay(
            state.engine,
            state.policy,
            version_id,
            actor=ctx.actor.label,
            now=ctx.now,
            today=ctx.today,
        )

    return _step(request, ctx, version_id, start)


@post(
    "/parameter-versions/{version_id:int}/sign-off",
    access=Access.COUNTY,
    guards=[OFFICER_OR_ADMIN],
)
def sign_off(request: Req, ctx: Ctx, version_id: PathId, data: Form) -> Any:
    def step() -> None:
        versions.sign_off(
            ctx.session,
            ctx.policy,
            version_id,
            value(data, "note") or "",
            actor=ctx.actor.label,
            now=ctx.now,
            today=ctx.today,
        )
        live = request.app.state.get("live_policy")
        if live is not None:
            live.refresh(ctx.session)

    return _step(request, ctx, version_id, step)


@post(
    "/parameter-versions/{version_id:int}/refuse", access=Access.COUNTY, guards=[OFFICER_OR_ADMIN]
)
def refuse(request: Req, ctx: Ctx, version_id: PathId, data: Form) -> Any:
    return _step(
        request,
        ctx,
        version_id,
        lambda: versions.refuse(
            ctx.session, version_id, value(data, "note") or "", actor=ctx.actor.label, now=ctx.now
        ),
    )


@post(
    "/parameter-versions/{version_id:int}/withdraw",
    access=Access.COUNTY,
    guards=[OFFICER_OR_ADMIN],
)
def withdraw(request: Req, ctx: Ctx, version_id: PathId, data: Form) -> Any:
    return _step(
        request,
        ctx,
        version_id,
        lambda: versions.withdraw(
            ctx.session, version_id, value(data, "note") or "", actor=ctx.actor.label, now=ctx.now
        ),
    )


HANDLERS = [version_list, propose, version_page, replay, sign_off, refuse, withdraw]
