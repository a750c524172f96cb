"""Benefits HTTP API: thin controllers that parse, call one use case and shape the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, FromQuery, JSONBody, PathParameter
from litestar.response import Stream

from benefits import (
    bank_file,
    payments,
    roll,
    roll_check,
    roll_import,
    services,
    status_check,
    views,
)
from benefits.roll_pages import (
    register_download,
    roll_download,
    roll_result_download,
    start_roll_import,
)
from benefits.schemas import (
    EXAMPLE_ID,
    ApplicationIn,
    ApplicationOut,
    AppraisalIn,
    ApprovalCheckOut,
    CaseOut,
    CaseStatusChangeIn,
    DecisionIn,
    HouseholdIn,
    HouseholdOut,
    IncomeChangeIn,
    InvestigationIn,
    MemberIn,
    MemberOut,
    MemberUpdateIn,
    ObjectionIn,
    ObjectionResolutionIn,
    PaymentLineOut,
    PaymentRunIn,
    PaymentRunOut,
    ProblemOut,
    PublicNoticeIn,
    ReviewIn,
    RollCheckOut,
    RollImportOut,
    RollProblemOut,
    SecondApprovalIn,
    StatusOut,
)
from kernel.auth import Principal, Role, requires
from kernel.clock import office_today
from kernel.errors import InvalidInput
from kernel.read_routing import loop_reads_for
from kernel.visibility import Access, office_of
from kernel.web import (
    Ctx,
    FileUpload,
    Limit,
    Offset,
    PathId,
    QueryId,
    Upload,
    checked_day,
    get,
    patch,
    post,
    problem_responses,
    spooled_chunks,
)

OFFICER = requires(Role.BENEFIT_OFFICER)
OFFICER_OR_COUNSELLOR = requires(Role.BENEFIT_OFFICER, Role.COUNSELLOR)


class HouseholdController(Controller):
    path = "/api/v1/households"
    tags = ["Households"]

    @post(
        "/",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Register a household with its members and incomes",
        description="ID numbers are checked (GB 11643 MOD 11-2) and must agree with any stated "
        "sex and birth date; a person already in another live household is refused.",
        responses=problem_responses(400, 422),
    )
    def create(self, ctx: Ctx, data: JSONBody[HouseholdIn]) -> HouseholdOut:
        household = services.create_household(ctx, data)
        return views.household_out(ctx.session, household)

    @get(
        "/{household_id:int}",
        access=Access.PERSON,
        guards=[OFFICER_OR_COUNSELLOR],
        summary="A household, its members (IDs masked) and current incomes",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, household_id: PathId) -> HouseholdOut:
        return views.household_out(ctx.session, services.get_household(ctx.session, household_id))

    @post(
        "/{household_id:int}/members",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Add a member to a household",
        responses=problem_responses(404, 422),
    )
    def add_member(self, ctx: Ctx, household_id: PathId, data: JSONBody[MemberIn]) -> MemberOut:
        member = services.add_member(ctx, household_id, data)
        return views.member_out(member, [])


class MemberController(Controller):
    path = "/api/v1/members"
    tags = ["Households"]

    @patch(
        "/{member_id:int}",
        access=Access.PERSON,
        guards=[OFFICER_OR_COUNSELLOR],
        summary="Record changed circumstances (health, caring, study, pregnancy, phone...)",
        description="Circumstances drive the job-seeker duty and its exemptions.",
        responses=problem_responses(404, 422),
    )
    def update(self, ctx: Ctx, member_id: PathId, data: JSONBody[MemberUpdateIn]) -> MemberOut:
        member = services.update_member(ctx, member_id, data)
        return views.member_out(member, [])

    @post(
        "/{member_id:int}/incomes",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Record a member's new monthly income from one source",
        responses=problem_responses(404, 409, 422),
    )
    def change_income(
        self, ctx: Ctx, member_id: PathId, data: JSONBody[IncomeChangeIn]
    ) -> MemberOut:
        services.change_income(ctx, member_id, data)
        member = services.get_member(ctx.session, member_id)
        household = views.household_out(
            ctx.session, services.get_household(ctx.session, member.household_id)
        )
        return next(m for m in household.members if m.id == member_id)


class ApplicationController(Controller):
    path = "/api/v1/applications"
    tags = ["Applications"]

    @post(
        "/",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Open an application for a registered household",
        responses=problem_responses(404, 409, 422),
    )
    def create(self, ctx: Ctx, data: JSONBody[ApplicationIn]) -> ApplicationOut:
        return views.application_out(ctx.session, services.apply(ctx, data))

    @get(
        "/{application_id:int}",
        access=Access.PERSON,
        guards=[OFFICER_OR_COUNSELLOR],
        summary="An application with every procedure step and objection",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, application_id: PathId) -> ApplicationOut:
        return views.application_out(
            ctx.session, services.get_application(ctx.session, application_id)
        )

    @get(
        "/{application_id:int}/checks",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Every problem that would stop approval today, and the entitlement",
        responses=problem_responses(404),
    )
    def checks(self, ctx: Ctx, application_id: PathId) -> ApprovalCheckOut:
        application = services.get_application(ctx.session, application_id)
        result = services.check_approval(
            ctx, application, application.category_requested, ctx.today
        )
        return ApprovalCheckOut(
            application_id=application_id,
            approvable=not result.problems,
            problems=[ProblemOut(**p.as_dict()) for p in result.problems],
            entitlement=result.entitlement.explanation(),
        )

    @post(
        "/{application_id:int}/investigation",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Record the home investigation (入户调查)",
        responses=problem_responses(404, 409, 422),
    )
    def investigation(
        self, ctx: Ctx, application_id: PathId, data: JSONBody[InvestigationIn]
    ) -> ApplicationOut:
        return views.application_out(
            ctx.session, services.record_investigation(ctx, application_id, data)
        )

    @post(
        "/{application_id:int}/appraisal",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Record the democratic appraisal (民主评议)",
        responses=problem_responses(404, 409, 422),
    )
    def appraisal(
        self, ctx: Ctx, application_id: PathId, data: JSONBody[AppraisalIn]
    ) -> ApplicationOut:
        return views.application_out(
            ctx.session, services.record_appraisal(ctx, application_id, data)
        )

    @post(
        "/{application_id:int}/public-notice",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Post the public notice (公示); it runs for the policy's number of days",
        responses=problem_responses(404, 409, 422),
    )
    def public_notice(
        self, ctx: Ctx, application_id: PathId, data: JSONBody[PublicNoticeIn]
    ) -> ApplicationOut:
        return views.application_out(
            ctx.session, services.post_public_notice(ctx, application_id, data)
        )

    @post(
        "/{application_id:int}/objections",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Record an objection received during the public notice",
        responses=problem_responses(404, 409, 422),
    )
    def objection(
        self, ctx: Ctx, application_id: PathId, data: JSONBody[ObjectionIn]
    ) -> ApplicationOut:
        services.record_objection(ctx, application_id, data)
        return views.application_out(
            ctx.session, services.get_application(ctx.session, application_id)
        )

    @post(
        "/{application_id:int}/objections/{objection_id:int}/resolution",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Resolve an objection: upheld or not, with the finding",
        responses=problem_responses(404, 409, 422),
    )
    def resolve(
        self,
        ctx: Ctx,
        application_id: PathId,
        objection_id: PathId,
        data: JSONBody[ObjectionResolutionIn],
    ) -> ApplicationOut:
        services.resolve_objection(ctx, application_id, objection_id, data)
        return views.application_out(
            ctx.session, services.get_application(ctx.session, application_id)
        )

    @post(
        "/{application_id:int}/decision",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Approve (all problems listed at once if it cannot be) or reject with a reason",
        description="Approval opens an active benefit case. An official's close relative needs "
        "a second approver (report 3): the application then awaits /second-approval.",
        responses=problem_responses(404, 409, 422),
    )
    def decision(
        self, ctx: Ctx, application_id: PathId, data: JSONBody[DecisionIn]
    ) -> ApplicationOut:
        return views.application_out(ctx.session, services.decide(ctx, application_id, data))

    @post(
        "/{application_id:int}/reentry-decision",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Decide a fast re-entry (no appraisal, no notice); pays from the reported day",
        responses=problem_responses(404, 409, 422),
    )
    def reentry_decision(
        self, ctx: Ctx, application_id: PathId, data: JSONBody[DecisionIn]
    ) -> ApplicationOut:
        return views.application_out(
            ctx.session, services.decide_reentry(ctx, application_id, data)
        )

    @post(
        "/{application_id:int}/second-approval",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Second approver's decision (must be another officer)",
        responses=problem_responses(404, 409, 422),
    )
    def second_approval(
        self, ctx: Ctx, application_id: PathId, data: JSONBody[SecondApprovalIn]
    ) -> ApplicationOut:
        return views.application_out(
            ctx.session, services.second_approval(ctx, application_id, data)
        )


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["Cases"]

    @get(
        "/",
        access=Access.OFFICE_LIST,
        guards=[OFFICER_OR_COUNSELLOR],
        summary="Cases, filtered by status, community or re-review due date",
        responses=problem_responses(422),
    )
    def index(
        self,
        ctx: Ctx,
        status: FromQuery[str | None] = None,
        community: FromQuery[str | None] = None,
        review_due_by: FromQuery[date | None] = None,
        limit: Annotated[int, Limit] = 50,
        offset: Annotated[int, Offset] = 0,
    ) -> list[CaseOut]:
        rows, _ = services.list_cases(
            ctx.session,
            status=status,
            community=community,
            review_due_by=checked_day("review_due_by", review_due_by),
            limit=limit,
            offset=offset,
            office=office_of(ctx.actor),
        )
        return [views.case_out(ctx.session, c, with_history=False) for c in rows]

    @get(
        "/{case_id:int}",
        access=Access.PERSON,
        guards=[OFFICER_OR_COUNSELLOR],
        summary="A case: status, amount, itemised explanation and full status history",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, case_id: PathId) -> CaseOut:
        return views.case_out(ctx.session, services.get_case(ctx.session, case_id))

    @post(
        "/{case_id:int}/status",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Suspend, resume or terminate a case from a date, with a reason",
        responses=problem_responses(404, 409, 422),
    )
    def change_status(
        self, ctx: Ctx, case_id: PathId, data: JSONBody[CaseStatusChangeIn]
    ) -> CaseOut:
        return views.case_out(ctx.session, services.change_case_status(ctx, case_id, data))

    @post(
        "/{case_id:int}/reviews",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="Re-review (动态管理): reassess on current incomes; continue or exit",
        responses=problem_responses(404, 409, 422),
    )
    def review(self, ctx: Ctx, case_id: PathId, data: JSONBody[ReviewIn]) -> CaseOut:
        return views.case_out(ctx.session, services.review_case(ctx, case_id, data))


class StatusController(Controller):
    path = "/api/v1/status"
    tags = ["Status"]

    @get(
        "/{national_id:str}",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="A person's benefit status: household, case, category, amount, since, why",
        description="The benefit office's most frequent question. 404 for an unknown person, "
        "422 for a malformed ID number.",
        responses=problem_responses(404, 422),
    )
    async def status(
        self,
        request: Request[Principal, Any, Any],
        national_id: Annotated[
            str,
            PathParameter(description="GB 11643 ID number", examples=[Example(value=EXAMPLE_ID)]),
        ],
    ) -> StatusOut:
        # The busiest route reads on the event loop: no request thread, no session.
        value = status_check.asked_for(national_id)
        state = request.app.state
        reads = loop_reads_for(request)
        facts = await status_check.status_on_loop(reads, request.user, value)
        return status_check.status_out(facts, office_today(state.clock, state.settings.zone))


def provide_runner(request: Request[Any, Any, Any]) -> payments.Runner:
    """A payment run outlives its request, so it takes the service's engine, clock and policy
    rather than the request's session."""
    state = request.app.state
    user = request.user
    assert isinstance(user, Principal)
    return payments.Runner(
        engine=state.engine,
        policy=state.policy,
        clock=state.clock,
        zone=state.settings.zone,
        actor=user,
    )


PaymentRunner = NamedDependency[payments.Runner]


class PaymentController(Controller):
    path = "/api/v1/payments"
    tags = ["Payments"]
    dependencies = {"runner": Provide(provide_runner, sync_to_thread=False)}

    @post(
        "/runs",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="Run (or resume) the monthly payment for a period",
        description="202: the run has started or resumed and goes on in the service; follow it "
        "with GET /runs/{id}. 200: the period had already been paid in full; nothing was "
        "written. 409: another run is in progress, or an earlier run must be finished first. "
        "422: the period is malformed, more than a month ahead, or has no policy in force.",
        responses={
            202: ResponseSpec(data_container=PaymentRunOut, description="Started or resumed"),
            **problem_responses(409, 422),
        },
    )
    def start(self, runner: PaymentRunner, data: JSONBody[PaymentRunIn]) -> Response[PaymentRunOut]:
        started = payments.begin(runner, data.period)
        if started.lock is not None:
            payments.run_in_background(runner, started)
        return Response(
            views.payment_run_out(started.run), status_code=202 if started.lock else 200
        )

    @get(
        "/runs",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="Payment runs, latest period first",
        responses=problem_responses(),
    )
    def index(
        self,
        ctx: Ctx,
        limit: Annotated[int, Limit] = 50,
        offset: Annotated[int, Offset] = 0,
    ) -> list[PaymentRunOut]:
        return [views.payment_run_out(r) for r in payments.list_runs(ctx.session, limit, offset)]

    @get(
        "/runs/{run_id:int}",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="A payment run's progress and totals",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, run_id: PathId) -> PaymentRunOut:
        return views.payment_run_out(payments.get_run(ctx.session, run_id))

    @post(
        "/runs/{run_id:int}/sign-off",
        access=Access.COUNTY,
        guards=[OFFICER],
        status_code=200,
        summary="Sign a finished run off as the second officer, releasing its bank file",
        description="Four eyes on the money: the officer who started the run cannot sign it "
        "(403, rule four-eyes); a run still going or signed already is 409; until a run is "
        "signed off its bank file is 409.",
        responses=problem_responses(403, 404, 409),
    )
    def sign_off(self, ctx: Ctx, run_id: PathId) -> PaymentRunOut:
        return views.payment_run_out(payments.sign_off(ctx, run_id))

    @get(
        "/runs/{run_id:int}/bank-file",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="The bank payment file of a finished, signed-off run (CSV, UTF-8 with BOM)",
        description="Columns account, name (household head), amount (yuan), reference "
        "(WB-YYYY-MM-<case id>); lines of zero and lines without an account are left out. "
        "409 while the run is going or until a second officer has signed it off.",
        responses={
            200: ResponseSpec(data_container=str, media_type="text/csv", description="CSV"),
            **problem_responses(404, 409),
        },
    )
    def bank_file(self, ctx: Ctx, run_id: PathId) -> Stream:
        run = payments.get_run(ctx.session, run_id)
        payments.require_released(run)
        return Stream(
            spooled_chunks(bank_file.spooled(ctx.session, run.period)),
            media_type="text/csv",
            headers={
                "Content-Disposition": (f'attachment; filename="{bank_file.file_name(run.period)}"')
            },
        )

    @get(
        "/lines",
        access=Access.PERSON,
        guards=[OFFICER],
        summary="A case's payment lines, month by month, each with how it was computed",
        responses=problem_responses(404),
    )
    def lines(
        self,
        ctx: Ctx,
        case_id: Annotated[int, QueryId],
        period: FromQuery[str | None] = None,
    ) -> list[PaymentLineOut]:
        rows = payments.lines_of_case(ctx.session, ctx.policy, case_id, period)
        return [views.payment_line_out(line) for line in rows]


class RollController(Controller):
    path = "/api/v1/roll"
    tags = ["Registers"]

    @get(
        "/",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="The roll: every member of every household on the scheme, one row each",
        description="In the layout offices keep (Chinese headings, coded columns in words, "
        "one column per income source) and that `workbridge check roll` reads back. Full ID "
        "numbers and bank accounts, so county-wide officers only, and each export is audited.",
        responses={
            200: ResponseSpec(
                data_container=bytes,
                media_type=roll.XLSX,
                description="xlsx (default) or CSV (UTF-8 with BOM)",
            ),
            **problem_responses(403, 422),
        },
    )
    def roll(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        format: FromQuery[Literal["xlsx", "csv"]] = "xlsx",
    ) -> Stream:
        return roll_download(request, ctx, format)


ROLL_PROBLEMS_SHOWN = 1_000


def _check_upload(ctx: Ctx, data: FileUpload) -> RollCheckOut:
    try:
        summary = roll_check.check_content(
            data.file.file.read(), roll_check.categories_on(ctx.params()), ctx.today
        )
    except roll_check.RollFileError as exc:
        raise InvalidInput(exc.problems) from None
    return RollCheckOut(
        households=summary.households,
        members=summary.members,
        problems_total=len(summary.problems),
        problems=[RollProblemOut(**p.as_dict()) for p in summary.problems[:ROLL_PROBLEMS_SHOWN]],
    )


class RegisterController(Controller):
    path = "/api/v1/registers"
    tags = ["Registers"]

    @get(
        "/{kind:str}",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="A register reported upward, as Excel: quarterly, relatives or payments",
        description="quarterly: by township, scheme and category, households and persons on "
        "the scheme at the quarter's end, their monthly amount then and what was paid in the "
        "quarter (on=YYYY-Qn). relatives: members filed as officials' close relatives in live "
        "households, with full ID numbers (report 3). payments: the month's ledger by township "
        "and community with subtotals (on=YYYY-MM). Each export is audited.",
        responses={
            200: ResponseSpec(data_container=bytes, media_type=roll.XLSX, description="xlsx"),
            **problem_responses(422),
        },
    )
    def register(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        kind: Annotated[Literal["quarterly", "relatives", "payments"], PathParameter()],
        on: FromQuery[str | None] = None,
    ) -> Stream:
        return register_download(request, ctx, kind, on)


class RollCheckController(Controller):
    path = "/api/v1/roll/checks"
    tags = ["Registers"]

    @post(
        "/",
        access=Access.COUNTY,
        guards=[OFFICER],
        status_code=200,
        summary="Check a roll file: every problem of every row; nothing is written",
        description="A multipart form with the file in the field file: xlsx, or CSV in UTF-8 or "
        "GB 18030, in the layout GET /api/v1/roll gives. 422 when the file is not a roll at all "
        "(its kind, its headings).",
        responses=problem_responses(403, 415, 422),
    )
    def check(self, ctx: Ctx, data: Upload) -> RollCheckOut:
        return _check_upload(ctx, data)


ROLL_UPLOAD_LIMIT = 128 * 1024 * 1024  # a province's roll in Excel: some ten bytes a cell


@dataclass
class RollImportUpload:
    """The roll in the field ``file``; ``mode`` preview (the default: nothing written) or
    commit."""

    file: UploadFile
    mode: Literal["preview", "commit"] = "preview"


RollImportForm = Annotated[RollImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)]


class RollImportController(Controller):
    path = "/api/v1/roll/imports"
    tags = ["Registers"]

    @post(
        "/",
        access=Access.COUNTY,
        guards=[OFFICER],
        status_code=202,
        request_max_body_size=ROLL_UPLOAD_LIMIT,
        summary="Bring a roll in: check, then preview or commit, in the service",
        description="A multipart form with the roll in the field file (xlsx, or CSV in UTF-8 or "
        "GB 18030, in the layout GET /api/v1/roll gives) and mode preview (the default: each "
        "household's plan kept, nothing written) or commit. 202: the import goes on in the "
        "service; follow it with GET /imports/{id}. A file with any problem is refused whole "
        "(state refused, its problems listed). A commit of a file whose commit stopped resumes "
        "it. 409: another commit is in progress.",
        responses={
            202: ResponseSpec(data_container=RollImportOut, description="Started"),
            **problem_responses(403, 409, 415, 422),
        },
    )
    def start(
        self, request: Request[Any, Any, Any], data: RollImportForm
    ) -> Response[RollImportOut]:
        started = start_roll_import(request, data.file, data.mode)
        return Response(views.roll_import_out(started), status_code=202)

    @get(
        "/",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="Roll imports, latest first",
        responses=problem_responses(),
    )
    def index(
        self,
        ctx: Ctx,
        limit: Annotated[int, Limit] = 50,
        offset: Annotated[int, Offset] = 0,
    ) -> list[RollImportOut]:
        runs = roll_import.list_imports(ctx.session, limit, offset)
        return [views.roll_import_out(run) for run in runs]

    @get(
        "/{import_id:int}",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="A roll import's progress, counts and the file's problems",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, import_id: PathId) -> RollImportOut:
        return views.roll_import_out(roll_import.get_import(ctx.session, import_id))

    @get(
        "/{import_id:int}/result",
        access=Access.COUNTY,
        guards=[OFFICER],
        summary="The import's result: a status per row of the file (xlsx)",
        responses={
            200: ResponseSpec(data_container=bytes, media_type=roll.XLSX, description="xlsx"),
            **problem_responses(404, 409),
        },
    )
    def result(self, request: Request[Any, Any, Any], ctx: Ctx, import_id: PathId) -> Stream:
        return roll_result_download(request, ctx, import_id)


CONTROLLERS = [
    HouseholdController,
    MemberController,
    ApplicationController,
    CaseController,
    StatusController,
    PaymentController,
    RollController,
    RollCheckController,
    RollImportController,
    RegisterController,
]
