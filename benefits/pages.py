"""The benefit office's desk: applications through the procedure, and the status look-up.

Each step's form posts to the same use case the API calls; approval that cannot happen shows
every problem the service listed, at once.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Response, Template
from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from benefits import documents, services, status_check, views
from benefits.models import Application, Household, Member
from benefits.offices import communities_in, households_in
from benefits.schemas import (
    AppraisalIn,
    DecisionIn,
    DocumentKind,
    InvestigationIn,
    ObjectionIn,
    ObjectionResolutionIn,
    PublicNoticeIn,
    SecondApprovalIn,
)
from kernel.auth import Role, requires
from kernel.errors import InvalidInput, Problem
from kernel.listing import Column, Listing, one_of, query_of
from kernel.messages import N_, say
from kernel.national_id import InvalidNationalId, mask, parse_national_id
from kernel.pages import (
    attempt,
    checked,
    parse,
    render,
    see_other,
    translator,
    value,
    words,
    yes_or_no,
)
from kernel.visibility import Access, office_of
from kernel.web import Ctx, PathId, get, post

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
OFFICER = requires(Role.BENEFIT_OFFICER)

NEXT_STEP = {
    "applied": "investigation",
    "investigated": "appraisal",
    "appraised": "public-notice",
    "public_notice": "decision",
    "awaiting_second_approval": "second-approval",
}


APPLICATION_STATES = (
    "applied",
    "investigated",
    "appraised",
    "public_notice",
    "awaiting_second_approval",
    "approved",
    "rejected",
)
_HEAD = aliased(Member)
APPLICATIONS: Listing[Any] = Listing(
    "applications",
    N_("Applications"),
    [
        Column("id", N_("No."), lambda r: r[0].id, order=col(Application.id)),
        Column("applicant", N_("Applicant"), lambda r: r[2].name if r[2] else "", _HEAD.name),
        Column(
            "national_id",
            N_("ID number"),
            lambda r: mask(r[2].national_id) if r[2] else "",
        ),
        Column("township", N_("Township"), lambda r: r[1].township, col(Household.township)),
        Column("community", N_("Community"), lambda r: r[1].community, col(Household.community)),
        Column("kind", N_("Kind"), lambda r: r[0].kind, col(Application.kind), code=True),
        Column("applied_on", N_("Applied"), lambda r: r[0].applied_on, col(Application.applied_on)),
        Column("state", N_("State"), lambda r: r[0].state, col(Application.state), code=True),
    ],
    sort="applied_on",
    filters=("state", "community", "kind"),
    tiebreak=col(Application.id),
)


@get("/applications", access=Access.OFFICE_LIST, guards=[OFFICER])
def applications(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    """Every application of the office, a page at a time (issue 12: the list stopped at 200
    without a word), filtered by state, community and kind, and exportable."""
    asked = APPLICATIONS.ask(query_of(request))
    state = asked.filters.get("state", "open")
    community = asked.filters.get("community")
    kind = asked.filters.get("kind")
    office = office_of(ctx.actor)
    communities = communities_in(ctx.session, office)
    one_of(state, ("open", "all", *APPLICATION_STATES), "state")
    one_of(kind, ("new", "reentry"), "kind")
    one_of(community, [c for c, _ in communities], "community")
    query = (
        select(Application, Household, _HEAD)
        .join(Household, col(Household.id) == Application.household_id)
        .outerjoin(_HEAD, and_(_HEAD.household_id == Household.id, _HEAD.relation == "head"))
    )
    if state == "open":
        query = query.where(
            col(Application.state).in_([s.value for s in services.OPEN_APPLICATION_STATES])
        )
    elif state != "all":
        query = query.where(Application.state == state)
    if community:
        query = query.where(Household.community == community)
    if kind:
        query = query.where(Application.kind == kind)
    counting = select(Application.state, func.count()).group_by(Application.state)
    if office:  # an office's desk lists its own households only
        query = query.where(col(Application.household_id).in_(households_in(office)))
        counting = counting.where(col(Application.household_id).in_(households_in(office)))
    if asked.format:
        rows = APPLICATIONS.all_of_query(ctx.session, query, asked)
        return APPLICATIONS.export(rows, asked, translator(request).gettext)
    page = APPLICATIONS.page_of_query(ctx.session, query, asked)
    counts = dict(ctx.session.exec(counting).all())  # type: ignore[arg-type]
    return render(
        request,
        "benefits/applications.html",
        page=page,
        state=state,
        states=APPLICATION_STATES,
        community=community,
        communities=communities,
        kind=kind,
        counts=counts,
    )


def application_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    application_id: int,
    problems: list[Problem] | None = None,
    form_name: str | None = None,
    form: dict[str, Any] | None = None,
    heading: str = "step",
) -> Template:
    """The application with its procedure so far, its documents and the next step's form;
    ``problems`` of the form named ``form_name`` (a step's, or a document upload's when
    ``heading`` is "document") are listed at the top and beside their fields."""
    application = services.get_application(ctx.session, application_id)
    household = views.household_out(
        ctx.session, services.get_household(ctx.session, application.household_id)
    )
    out = views.application_out(ctx.session, application)
    checks: list[Problem] = []
    entitlement = None
    itemised = None
    categories: list[str] = []
    if application.state in ("public_notice", "awaiting_second_approval") or (
        application.kind == "reentry" and application.state == "applied"
    ):
        # What approving today would pay, shown before the officer decides (issue 12).
        result = services.check_approval(
            ctx, application, application.category_requested, ctx.today
        )
        checks, entitlement = result.problems, result.entitlement
        if entitlement is not None:
            itemised = views.explanation_out(entitlement.explanation())
        categories = services.categories_of(ctx, household.scheme, ctx.today)
    return render(
        request,
        "benefits/application.html",
        status=422 if problems else 200,
        itemised=itemised,
        application=out,
        kind=application.kind,
        household=household,
        next_step=(
            "reentry-decision"
            if application.kind == "reentry" and application.state == "applied"
            else NEXT_STEP.get(application.state)
        ),
        checks=checks,
        entitlement=entitlement,
        categories=categories,
        problems=problems or [],
        problems_about=heading,
        form_name=form_name,
        form=form or {},
        today=ctx.today,
        documents=documents.documents_of(ctx.session, application_id),
        missing_documents=documents.missing_documents(ctx, application),
        document_kinds=get_args(DocumentKind),
        takes_documents=application.state in {s.value for s in services.OPEN_APPLICATION_STATES},
        max_megabytes=documents.MAX_BYTES // (1024 * 1024),
    )


@get("/applications/{application_id:int}", access=Access.PERSON, guards=[OFFICER])
def application(request: Request[Any, Any, Any], ctx: Ctx, application_id: PathId) -> Template:
    return application_page(request, ctx, application_id)


def _step_body(step: str, data: dict[str, Any]) -> tuple[type[Any], dict[str, Any]]:
    if step == "investigation":
        return InvestigationIn, {
            "visited_on": value(data, "visited_on"),
            "visitors": words(data, "visitors"),
            "findings": value(data, "findings"),
            "incomes_confirmed": checked(data, "incomes_confirmed"),
        }
    if step == "appraisal":
        return AppraisalIn, {
            "held_on": value(data, "held_on"),
            "passed": yes_or_no(data, "passed"),
            "votes_for": value(data, "votes_for"),
            "votes_against": value(data, "votes_against"),
            "notes": value(data, "notes") or "",
        }
    if step == "public-notice":
        return PublicNoticeIn, {
            "starts_on": value(data, "starts_on"),
            "place": value(data, "place"),
        }
    if step == "objection":
        return ObjectionIn, {
            "received_on": value(data, "received_on"),
            "objector": value(data, "objector"),
            "text": value(data, "text"),
        }
    if step == "second-approval":
        return SecondApprovalIn, {
            "approve": value(data, "approve") == "yes",
            "reason": value(data, "reason") or "",
        }
    return DecisionIn, {
        "approve": value(data, "approve") == "yes",
        "category": value(data, "category"),
        "reason": value(data, "reason") or "",
    }


USE_CASES = {
    "investigation": services.record_investigation,
    "appraisal": services.record_appraisal,
    "public-notice": services.post_public_notice,
    "objection": services.record_objection,
    "decision": services.decide,
    "reentry-decision": services.decide_reentry,
    "second-approval": services.second_approval,
}


@post("/applications/{application_id:int}/{step:str}", access=Access.PERSON, guards=[OFFICER])
def step(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    application_id: PathId,
    step: FromPath[str],
    data: Form,
) -> Any:
    use_case = USE_CASES.get(step)
    if use_case is None:
        raise InvalidInput(Problem("step", "known-step", say("no step %(step)s", step=step)))
    schema, body = _step_body(step, data)
    _, problems = attempt(ctx.session, lambda: use_case(ctx, application_id, parse(schema, body)))
    if problems:
        return application_page(request, ctx, application_id, problems, step, data)
    return see_other(f"/app/applications/{application_id}")


@post(
    "/applications/{application_id:int}/objections/{objection_id:int}",
    access=Access.PERSON,
    guards=[OFFICER],
)
def resolve(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    application_id: PathId,
    objection_id: PathId,
    data: Form,
) -> Any:
    body = {
        "upheld": yes_or_no(data, "upheld"),
        "resolution": value(data, "resolution"),
        "resolved_on": value(data, "resolved_on"),
    }
    _, problems = attempt(
        ctx.session,
        lambda: services.resolve_objection(
            ctx, application_id, objection_id, parse(ObjectionResolutionIn, body)
        ),
    )
    if problems:
        return application_page(
            request, ctx, application_id, problems, f"resolve-{objection_id}", data
        )
    return see_other(f"/app/applications/{application_id}")


@get("/status", access=Access.PERSON, guards=[OFFICER])
def status(request: Request[Any, Any, Any], ctx: Ctx, national_id: FromQuery[str] = "") -> Template:
    """The office's most frequent question, by ID number (the same use case as the API):
    a malformed number is 422 with every reason, an unknown person 404."""
    problems: list[Problem] = []
    found = None
    code = 200
    if national_id.strip():
        try:
            number = parse_national_id(national_id).value
        except InvalidNationalId as exc:
            problems, code = [Problem("national_id", "national-id", r) for r in exc.reasons], 422
        else:
            engine = request.app.state.engine
            facts, problems = attempt(
                ctx.session, lambda: status_check.status_for(engine, ctx.actor, number)
            )
            found = status_check.status_out(facts, ctx.today) if facts else None
            code = 404 if problems else 200
    return render(
        request,
        "benefits/status.html",
        status=code,
        national_id=national_id,
        found=found,
        problems=problems,
    )


HANDLERS = [applications, application, step, resolve, status]
