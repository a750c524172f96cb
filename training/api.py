"""Training HTTP API: thin controllers that parse, call one use case and shape the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response
from litestar.params import FromQuery, JSONBody

from kernel.auth import Role, requires
from kernel.errors import missing
from kernel.tabular import InputRow, csv_rows
from kernel.visibility import Access, visible_values
from kernel.web import Ctx, PathId, QueryId, Upload, checked_day, get, post, problem_responses
from training import rules, services, views
from training.schemas import (
    OUTCOME_CSV_COLUMNS,
    OUTCOME_CSV_REQUIRED,
    CourseIn,
    CourseOut,
    CourseRatesOut,
    EnrolmentIn,
    EnrolmentOut,
    OutcomeBatchIn,
    OutcomeBatchOut,
    ProviderIn,
    ProviderOut,
    ProviderRatesOut,
    TradeOut,
)

STAFF = requires(Role.COUNSELLOR, Role.BENEFIT_OFFICER)
STAFF_OR_PROVIDER = requires(Role.COUNSELLOR, Role.BENEFIT_OFFICER, Role.TRAINING_PROVIDER)
PROVIDER = requires(Role.TRAINING_PROVIDER)


def _batch_response(batch: services.BatchResult) -> Response[OutcomeBatchOut]:
    """201 when something new was written; 200 when every report was a replay."""
    return Response(views.batch_out(batch), status_code=201 if batch.count("accepted") else 200)


class ProviderController(Controller):
    path = "/api/v1/training/providers"
    tags = ["Training"]

    @post(
        "/",
        access=Access.ANYONE,
        guards=[STAFF],
        summary="Register a training provider",
        responses=problem_responses(409, 422),
    )
    def create(self, ctx: Ctx, data: JSONBody[ProviderIn]) -> ProviderOut:
        return views.provider_out(services.create_provider(ctx, data))

    @get(
        "/",
        access=Access.ANYONE,
        guards=[STAFF],
        summary="Training providers",
        responses=problem_responses(),
    )
    def index(self, ctx: Ctx) -> list[ProviderOut]:
        return [views.provider_out(p) for p in services.list_providers(ctx.session)]

    @get(
        "/{provider_id:int}",
        access=Access.PROVIDER,
        guards=[STAFF_OR_PROVIDER],
        summary="A training provider (a provider sees only itself)",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, provider_id: PathId) -> ProviderOut:
        services.ensure_own_provider(
            ctx.actor,
            provider_id,
            missing("provider_id", provider_id),
        )
        return views.provider_out(services.get_provider(ctx.session, provider_id))

    @get(
        "/{provider_id:int}/rates",
        access=Access.PROVIDER,
        guards=[STAFF],
        summary="Completion, certification and placement rates of a provider and its courses",
        description="Placement (输出) rate = placed ÷ completed; below the review line "
        "(training.placement.review_below, 60%) an accountability review, above the reward "
        "line (95%) a reward (report 4 §五1). Subsidies follow the outcomes.",
        responses=problem_responses(404),
    )
    def rates(self, ctx: Ctx, provider_id: PathId) -> ProviderRatesOut:
        provider = services.get_provider(ctx.session, provider_id)
        reports = services.course_reports(ctx, services.provider_courses(ctx.session, provider_id))
        total = sum((r.rates.counts for r in reports), rules.Counts())
        return views.provider_rates_out(provider, rules.rates(total, ctx.params()), reports)


class CourseController(Controller):
    path = "/api/v1/training/courses"
    tags = ["Training"]

    @post(
        "/",
        access=Access.ANYONE,
        guards=[STAFF],
        summary="Create a course in one of the policy's trades",
        responses=problem_responses(400, 422),
    )
    def create(self, ctx: Ctx, data: JSONBody[CourseIn]) -> CourseOut:
        course = services.create_course(ctx, data)
        return views.course_out(course, 0, rules.trades_from_policy(ctx.params()))

    @get(
        "/",
        access=Access.ANYONE,
        guards=[STAFF_OR_PROVIDER],
        summary="Courses (a provider sees only its own)",
        responses=problem_responses(422),
    )
    def index(
        self,
        ctx: Ctx,
        provider_id: Annotated[int | None, QueryId] = None,
        starts_from: FromQuery[date | None] = None,
    ) -> list[CourseOut]:
        courses = services.list_courses(
            ctx, provider_id=provider_id, open_on=checked_day("starts_from", starts_from)
        )
        taken = services.seats_taken(ctx.session, [c.id for c in courses if c.id is not None])
        trades = rules.trades_from_policy(ctx.params())
        return [views.course_out(c, taken.get(c.id or 0, 0), trades) for c in courses]

    @get(
        "/{course_id:int}",
        access=Access.ANYONE,
        guards=[STAFF_OR_PROVIDER],
        summary="A course (a provider only its own)",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, course_id: PathId) -> CourseOut:
        course = services.visible_course(ctx, course_id)
        taken = services.seats_taken(ctx.session, [course_id]).get(course_id, 0)
        return views.course_out(course, taken, rules.trades_from_policy(ctx.params()))

    @post(
        "/{course_id:int}/enrolments",
        access=Access.PERSON,
        guards=[STAFF],
        summary="Put a person on a course",
        responses=problem_responses(404, 409, 422),
    )
    def enrol(self, ctx: Ctx, course_id: PathId, data: JSONBody[EnrolmentIn]) -> EnrolmentOut:
        return views.enrolment_out(services.enrol(ctx, course_id, data))

    @get(
        "/{course_id:int}/enrolments",
        access=Access.OFFICE_LIST,
        guards=[STAFF_OR_PROVIDER],
        summary="The course's trainees and their progress (a provider only its own courses)",
        responses=problem_responses(404),
    )
    def enrolments(self, ctx: Ctx, course_id: PathId) -> list[EnrolmentOut]:
        services.visible_course(ctx, course_id)
        enrolments = services.list_enrolments(ctx.session, course_id)
        seen = visible_values(
            ctx.session, ctx.actor, "member_id", [e.member_id for e in enrolments]
        )
        return [views.enrolment_out(e) for e in enrolments if e.member_id in seen]

    @get(
        "/{course_id:int}/rates",
        access=Access.PROVIDER,
        guards=[STAFF],
        summary="A course's completion, certification and placement rates and its subsidy",
        responses=problem_responses(404),
    )
    def rates(self, ctx: Ctx, course_id: PathId) -> CourseRatesOut:
        course = services.get_course(ctx.session, course_id)
        return views.course_rates_out(services.course_reports(ctx, [course])[0])


class OutcomeController(Controller):
    path = "/api/v1/training/outcomes"
    tags = ["Training"]

    @post(
        "/",
        access=Access.PROVIDER,
        guards=[PROVIDER],
        summary="Report outcomes (one or many): enrolled, attended, dropped, completed, "
        "certified, placed",
        description="Idempotent by report_id (unique per provider): a replay returns the first "
        "result; the same id with other content is 409. Good reports are accepted and bad ones "
        "returned with every problem (row, field, rule, message) unless all_or_nothing. A "
        "report about another provider's course or trainee makes the request 403.",
        responses=problem_responses(400, 409, 422),
    )
    def report(self, ctx: Ctx, data: JSONBody[OutcomeBatchIn]) -> Response[OutcomeBatchOut]:
        rows = [InputRow(i, item) for i, item in enumerate(data.reports)]
        batch = services.report_outcomes(
            ctx, rows, all_or_nothing=data.all_or_nothing, prefix="reports"
        )
        return _batch_response(batch)

    @post(
        "/csv",
        access=Access.PROVIDER,
        guards=[PROVIDER],
        summary="Report outcomes from a CSV file (UTF-8 or GB 18030)",
        description="Columns: report_id, course_id, member_id, kind, on, sessions_attended, "
        "reason, certificate_no, employer, occupation, monthly_income, hours_per_week. Rows are "
        "numbered by their line in the file (the header is line 1).",
        responses=problem_responses(400, 409, 415, 422),
    )
    def report_csv(
        self,
        ctx: Ctx,
        data: Upload,
        all_or_nothing: FromQuery[bool] = False,
    ) -> Response[OutcomeBatchOut]:
        rows = csv_rows(
            data.file.file.read(), columns=OUTCOME_CSV_COLUMNS, required=OUTCOME_CSV_REQUIRED
        )
        batch = services.report_outcomes(ctx, rows, all_or_nothing=all_or_nothing, prefix="rows")
        return _batch_response(batch)


class TradeController(Controller):
    path = "/api/v1/training/trades"
    tags = ["Training"]

    @get(
        "/",
        access=Access.ANYONE,
        guards=[requires(*Role)],
        summary="The trades courses may be in (parameter training.trades, report 4 §五1)",
        responses=problem_responses(),
        sync_to_thread=False,
    )
    def index(self, ctx: Ctx) -> list[TradeOut]:
        return [
            TradeOut(
                code=t.code,
                label=t.label,
                physical_demand=t.physical_demand,
                occupations=list(t.occupations),
            )
            for t in rules.trades_from_policy(ctx.params()).values()
        ]


CONTROLLERS = [ProviderController, CourseController, OutcomeController, TradeController]
