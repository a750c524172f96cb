"""Activation HTTP API: thin controllers over activation.services."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response
from litestar.params import FromQuery, JSONBody, QueryParameter

from activation import services, views
from activation.common import replay_decision, stored_decision
from activation.employment_file import as_csv, employment_file
from activation.schemas import (
    AnswerIn,
    AppealDecisionIn,
    AppealIn,
    CourseMatchOut,
    DecisionOut,
    DeliveryIn,
    DutyOut,
    EmploymentFileOut,
    EvidenceIn,
    GoodReasonDecisionIn,
    HiredIn,
    JobEndIn,
    JobIncomeIn,
    JobOut,
    JobStartIn,
    PersonActivationOut,
    PersonMatchesOut,
    ReferralIn,
    ReferralOut,
    RegistrationIn,
    RegistrationOut,
    ReplayOut,
    SanctionDecisionIn,
    SanctionOut,
    SweepOut,
    TaskOut,
    VulnerabilityReviewIn,
)
from kernel.auth import Role, requires
from kernel.messages import words
from kernel.visibility import Access
from kernel.web import Ctx, Limit, Offset, PathId, get, post, problem_responses

TopK = QueryParameter(ge=1, le=50, description="How many of each")
COUNSELLOR = requires(Role.COUNSELLOR)
OFFICER = requires(Role.BENEFIT_OFFICER)
STAFF = requires(Role.COUNSELLOR, Role.BENEFIT_OFFICER)
OFFICER_OR_ADMIN = requires(Role.BENEFIT_OFFICER, Role.ADMIN)


class PeopleController(Controller):
    path = "/api/v1/activation/people"
    tags = ["Activation"]

    @get(
        "/{member_id:int}",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404),
        summary="A person's duty, registration, referrals, warnings, sanctions and open tasks",
    )
    def read(self, ctx: Ctx, member_id: PathId) -> PersonActivationOut:
        return views.person_out(ctx, services.member_or_404(ctx, member_id))

    @post(
        "/{member_id:int}/registration",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 422),
        summary="Register the person as a job seeker (or update the registration)",
    )
    def register(
        self, ctx: Ctx, member_id: PathId, data: JSONBody[RegistrationIn]
    ) -> RegistrationOut:
        return views.registration_out(ctx, services.register(ctx, member_id, data))

    @get(
        "/{member_id:int}/matches",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404),
        summary="The person's best suitable vacancies and courses, each explained",
    )
    def matches(
        self, ctx: Ctx, member_id: PathId, limit: Annotated[int, TopK] = 10
    ) -> PersonMatchesOut:
        from matching import services as matching
        from matching import views as matching_views

        found, vacancies = matching.matches_for_seeker(ctx, member_id, limit)
        return PersonMatchesOut(
            member_id=member_id,
            vacancies=[
                matching_views.match_out(m, vacancies[m.vacancy_id]).model_dump(mode="json")
                for m in found
            ],
            courses=[
                CourseMatchOut(
                    course_id=course.id or 0,
                    title=course.title,
                    trade=course.trade,
                    starts_on=course.starts_on,
                    seats_left=seats,
                    score=round(match.score, 4),
                    fits=[words(f) for f in match.fits],
                    misfits=[words(m) for m in match.misfits],
                )
                for match, course, seats in services.course_matches(ctx, member_id, limit)
            ],
        )

    @get(
        "/{member_id:int}/file",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404),
        summary="The employment file: one timeline of duty, referrals, warnings, sanctions, "
        "training, jobs, continuation and benefit changes",
    )
    def file(self, ctx: Ctx, member_id: PathId) -> EmploymentFileOut:
        return employment_file(ctx, services.member_or_404(ctx, member_id))

    @get(
        "/{member_id:int}/file.csv",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404),
        summary="The employment file as CSV (UTF-8 with BOM)",
        media_type="text/csv",
    )
    def file_csv(self, ctx: Ctx, member_id: PathId) -> Response[str]:
        content = as_csv(employment_file(ctx, services.member_or_404(ctx, member_id)))
        return Response(
            content,
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="employment-file-{member_id}.csv"'
            },
        )


class JobController(Controller):
    path = "/api/v1/activation/jobs"
    tags = ["Into work"]

    @post(
        "/",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 409, 422),
        summary="Record a job start; the continuation starts automatically",
    )
    def start(self, ctx: Ctx, data: JSONBody[JobStartIn]) -> JobOut:
        return views.job_out(ctx, services.start_job(ctx, data))

    @get(
        "/{job_id:int}",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404),
        summary="A job and its continuation",
    )
    def read(self, ctx: Ctx, job_id: PathId) -> JobOut:
        return views.job_out(ctx, services.get_job(ctx, job_id))

    @post(
        "/{job_id:int}/income",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 409, 422),
        summary="Record a change of the job's monthly income (may move between full and half)",
    )
    def income(self, ctx: Ctx, job_id: PathId, data: JSONBody[JobIncomeIn]) -> JobOut:
        return views.job_out(ctx, services.change_job_income(ctx, job_id, data))

    @post(
        "/{job_id:int}/end",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 409, 422),
        summary="Record a job end: full amount during a continuation, fast re-entry after an exit",
    )
    def end(self, ctx: Ctx, job_id: PathId, data: JSONBody[JobEndIn]) -> JobOut:
        job, reentry = services.end_job(ctx, job_id, data)
        out = views.job_out(ctx, job)
        out.reentry = reentry
        return out


class DutyController(Controller):
    path = "/api/v1/activation/unregistered"
    tags = ["Activation"]

    @get(
        "/",
        access=Access.OFFICE_LIST,
        guards=[STAFF],
        responses=problem_responses(),
        summary="Obligated people not yet registered as job seekers, per community or township",
    )
    def index(self, ctx: Ctx, office: FromQuery[str | None] = None) -> list[DutyOut]:
        return [
            views.duty_out(ctx, m, h, d, False) for m, h, d in services.unregistered(ctx, office)
        ]


class ReferralController(Controller):
    path = "/api/v1/activation/referrals"
    tags = ["Referrals"]

    @post(
        "/",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 409, 422),
        summary="Refer a registered person to an offer; the suitability check is stored on it",
    )
    def create(self, ctx: Ctx, data: JSONBody[ReferralIn]) -> ReferralOut:
        return views.referral_out(ctx, services.refer(ctx, data))

    @get(
        "/{referral_id:int}",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404),
        summary="A referral with its suitability check, answer and good-reason review",
    )
    def read(self, ctx: Ctx, referral_id: PathId) -> ReferralOut:
        return views.referral_out(ctx, services.get_referral(ctx, referral_id))

    @post(
        "/{referral_id:int}/delivery",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 422),
        summary="Confirm the offer reached the person",
    )
    def delivery(self, ctx: Ctx, referral_id: PathId, data: JSONBody[DeliveryIn]) -> ReferralOut:
        return views.referral_out(ctx, services.confirm_delivery(ctx, referral_id, data))

    @post(
        "/{referral_id:int}/answer",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 409, 422),
        summary="Record the answer: accepted, declined (with the reason), no answer, not hired",
    )
    def answer(self, ctx: Ctx, referral_id: PathId, data: JSONBody[AnswerIn]) -> ReferralOut:
        return views.referral_out(ctx, services.answer(ctx, referral_id, data))

    @post(
        "/{referral_id:int}/hired",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 409, 422),
        summary="The employer confirmed an accepted offer: the job starts",
    )
    def hired(self, ctx: Ctx, referral_id: PathId, data: JSONBody[HiredIn]) -> JobOut:
        return views.job_out(ctx, services.hired(ctx, referral_id, data))

    @post(
        "/{referral_id:int}/evidence",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        responses=problem_responses(404, 409, 422),
        summary="Add the person's evidence of a good reason (until a sanction takes effect)",
    )
    def evidence(self, ctx: Ctx, referral_id: PathId, data: JSONBody[EvidenceIn]) -> ReferralOut:
        services.add_evidence(ctx, referral_id, data)
        return views.referral_out(ctx, services.get_referral(ctx, referral_id))

    @post(
        "/{referral_id:int}/good-reason",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404, 409, 422),
        summary="Decide the good-reason review; a decline without good reason counts as a refusal",
    )
    def good_reason(
        self, ctx: Ctx, referral_id: PathId, data: JSONBody[GoodReasonDecisionIn]
    ) -> ReferralOut:
        services.decide_good_reason(ctx, referral_id, data)
        return views.referral_out(ctx, services.get_referral(ctx, referral_id))


class SanctionController(Controller):
    path = "/api/v1/activation/sanctions"
    tags = ["Sanctions"]

    @get(
        "/",
        access=Access.OFFICE_LIST,
        guards=[STAFF],
        responses=problem_responses(),
        summary="Sanctions by state (the queue: state=proposed)",
    )
    def index(
        self, ctx: Ctx, sanction_state: Annotated[str | None, QueryParameter(name="state")] = None
    ) -> list[SanctionOut]:
        return [views.sanction_out(ctx, s) for s in services.sanctions(ctx, sanction_state)]

    @get(
        "/{sanction_id:int}",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404),
        summary="A sanction with its review, terms, notice and appeals",
    )
    def read(self, ctx: Ctx, sanction_id: PathId) -> SanctionOut:
        return views.sanction_out(ctx, services.get_sanction(ctx, sanction_id))

    @post(
        "/{sanction_id:int}/vulnerability-review",
        access=Access.PERSON,
        guards=[OFFICER],
        responses=problem_responses(404, 409, 422),
        summary="Vulnerability review by a second person before any cut",
    )
    def review(
        self, ctx: Ctx, sanction_id: PathId, data: JSONBody[VulnerabilityReviewIn]
    ) -> SanctionOut:
        return views.sanction_out(ctx, services.review_vulnerability(ctx, sanction_id, data))

    @post(
        "/{sanction_id:int}/decision",
        access=Access.PERSON,
        guards=[OFFICER],
        responses=problem_responses(404, 409, 422),
        summary="Confirm (notice issued, cut dated after the notice period) or reject",
    )
    def decide(
        self, ctx: Ctx, sanction_id: PathId, data: JSONBody[SanctionDecisionIn]
    ) -> SanctionOut:
        return views.sanction_out(ctx, services.decide_sanction(ctx, sanction_id, data))

    @post(
        "/{sanction_id:int}/appeals",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404, 409, 422),
        summary="Lodge a request for reconsideration",
    )
    def appeal(self, ctx: Ctx, sanction_id: PathId, data: JSONBody[AppealIn]) -> SanctionOut:
        services.lodge_appeal(ctx, sanction_id, data)
        return views.sanction_out(ctx, services.get_sanction(ctx, sanction_id))


class AppealController(Controller):
    path = "/api/v1/activation/appeals"
    tags = ["Sanctions"]

    @post(
        "/{appeal_id:int}/decision",
        access=Access.PERSON,
        guards=[OFFICER],
        responses=problem_responses(404, 409, 422),
        summary="Decide an appeal; upheld restores payment with back pay",
    )
    def decide(self, ctx: Ctx, appeal_id: PathId, data: JSONBody[AppealDecisionIn]) -> SanctionOut:
        appeal = services.decide_appeal(ctx, appeal_id, data)
        return views.sanction_out(ctx, services.get_sanction(ctx, appeal.sanction_id))


class TaskController(Controller):
    path = "/api/v1/activation/tasks"
    tags = ["Activation"]

    @get(
        "/",
        access=Access.OFFICE_LIST,
        guards=[STAFF],
        responses=problem_responses(),
        summary="Open tasks for counsellors, by due date",
    )
    def index(
        self,
        ctx: Ctx,
        kind: FromQuery[str | None] = None,
        limit: Annotated[int, Limit] = 50,
        offset: Annotated[int, Offset] = 0,
    ) -> list[TaskOut]:
        return [views.task_out(t) for t in services.open_tasks(ctx, kind, limit, offset)]


class DecisionController(Controller):
    path = "/api/v1/activation/decisions"
    tags = ["Activation"]

    @get(
        "/{decision_id:int}",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404, 410),
        summary="A stored decision: inputs, rule path, outcome, parameter version, officer",
    )
    def read(self, ctx: Ctx, decision_id: PathId) -> DecisionOut:
        return views.decision_out(stored_decision(ctx, decision_id))

    @get(
        "/{decision_id:int}/replay",
        access=Access.PERSON,
        guards=[STAFF],
        responses=problem_responses(404, 410),
        summary="Recompute a decision from its stored inputs and compare",
    )
    def replay(self, ctx: Ctx, decision_id: PathId) -> ReplayOut:
        decision, replayed = replay_decision(ctx, decision_id)
        return ReplayOut(
            decision_id=decision_id,
            agrees=replayed == decision.outcome,
            stored=decision.outcome,
            replayed=replayed,
        )


class SweepController(Controller):
    path = "/api/v1/activation/sweeps"
    tags = ["Activation"]

    @post(
        "/daily",
        access=Access.COUNTY,
        guards=[OFFICER_OR_ADMIN],
        responses=problem_responses(),
        summary="Run the daily sweep now (it is idempotent; the scheduler runs it every day)",
    )
    def daily(self, ctx: Ctx) -> SweepOut:
        return SweepOut(on=ctx.today, results=services.daily_sweep(ctx))


CONTROLLERS = [
    PeopleController,
    JobController,
    DutyController,
    ReferralController,
    SanctionController,
    AppealController,
    TaskController,
    DecisionController,
    SweepController,
]
