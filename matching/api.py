"""Matching HTTP API: thin controllers that parse, call one use case and shape the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller
from litestar.params import FromQuery, JSONBody, QueryParameter

from kernel.auth import Role, requires
from kernel.visibility import Access
from kernel.web import (
    Ctx,
    Limit,
    Offset,
    PathId,
    Upload,
    checked_day,
    get,
    patch,
    post,
    problem_responses,
    put,
)
from matching import services, views
from matching.occupations import occupation_table
from matching.schemas import (
    MatchOut,
    OccupationOut,
    RowProblemOut,
    SeekerProfileIn,
    SeekerProfileOut,
    SuitabilityOut,
    VacancyImportOut,
    VacancyIn,
    VacancyOut,
    VacancyPatchIn,
)

COUNSELLOR = requires(Role.COUNSELLOR)
READERS = requires(Role.COUNSELLOR, Role.BENEFIT_OFFICER)
TopK = QueryParameter(ge=1, le=50, description="How many matches")


class SeekerController(Controller):
    path = "/api/v1/matching/seekers"
    tags = ["Matching"]

    @put(
        "/{member_id:int}",
        access=Access.PERSON,
        guards=[COUNSELLOR],
        summary="Create or replace a member's job-seeker profile",
        description="Activation calls the same use case at job-seeker registration.",
        responses=problem_responses(404, 422),
    )
    def upsert(
        self, ctx: Ctx, member_id: PathId, data: JSONBody[SeekerProfileIn]
    ) -> SeekerProfileOut:
        trades = services.trade_occupations(ctx.params())
        profile = services.upsert_seeker_profile(
            ctx.session, member_id, data, ctx.now, known_trades=trades, actor=ctx.actor
        )
        ctx.session.commit()
        return views.profile_out(profile)

    @get(
        "/{member_id:int}",
        access=Access.PERSON,
        guards=[READERS],
        summary="A member's job-seeker profile",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, member_id: PathId) -> SeekerProfileOut:
        return views.profile_out(services.get_seeker_profile(ctx.session, member_id))

    @get(
        "/{member_id:int}/vacancies",
        access=Access.PERSON,
        guards=[READERS],
        summary="The person's best suitable vacancies, explained",
        description="Hard suitability checks first (health, capacity, physical limit, commute, "
        "hours, shift and childcare, minimum wage, no labour dispute, still open), then a "
        "score; each match says why it fits and what does not.",
        responses=problem_responses(404),
    )
    def matches(
        self, ctx: Ctx, member_id: PathId, limit: Annotated[int, TopK] = 10
    ) -> list[MatchOut]:
        matches, vacancies = services.matches_for_seeker(ctx, member_id, limit)
        return [views.match_out(m, vacancies[m.vacancy_id]) for m in matches]


class VacancyController(Controller):
    path = "/api/v1/matching/vacancies"
    tags = ["Matching"]

    @post(
        "/",
        access=Access.ANYONE,
        guards=[COUNSELLOR],
        summary="Register a vacancy",
        responses=problem_responses(400, 422),
    )
    def create(self, ctx: Ctx, data: JSONBody[VacancyIn]) -> VacancyOut:
        return views.vacancy_out(services.create_vacancy(ctx, data))

    @post(
        "/csv",
        access=Access.ANYONE,
        guards=[COUNSELLOR],
        summary="Import vacancies from a CSV file (UTF-8 or GB 18030)",
        description="Columns: employer, occupation_code, title, skills (缝纫、熨烫), community, "
        "lat, lon, monthly_wage, hours_per_week, shift, openings, physical_demand, source, "
        "valid_until, labour_dispute. Good rows are written and each bad row's problems "
        "returned; with all_or_nothing=true any bad row rejects the file (422, nothing written).",
        responses=problem_responses(400, 415, 422),
    )
    def import_csv(
        self,
        ctx: Ctx,
        data: Upload,
        all_or_nothing: FromQuery[bool] = False,
    ) -> VacancyImportOut:
        result = services.import_vacancies_csv(
            ctx, data.file.file.read(), all_or_nothing=all_or_nothing
        )
        return VacancyImportOut(
            created=len(result.created),
            ids=result.created,
            rejected=len({p.row for p in result.problems}),
            problems=[RowProblemOut(**p.as_dict()) for p in result.problems],
        )

    @get(
        "/",
        access=Access.ANYONE,
        guards=[READERS],
        summary="Vacancies, optionally only those open on a day, by occupation group or place",
        responses=problem_responses(422),
    )
    def index(
        self,
        ctx: Ctx,
        open_on: FromQuery[date | None] = None,
        occupation: FromQuery[str | None] = None,
        community: FromQuery[str | None] = None,
        limit: Annotated[int, Limit] = 50,
        offset: Annotated[int, Offset] = 0,
    ) -> list[VacancyOut]:
        rows = services.list_vacancies(
            ctx.session,
            open_on=checked_day("open_on", open_on),
            occupation=occupation,
            community=community,
            limit=limit,
            offset=offset,
        )
        return [views.vacancy_out(v) for v in rows]

    @get(
        "/{vacancy_id:int}",
        access=Access.ANYONE,
        guards=[READERS],
        summary="A vacancy",
        responses=problem_responses(404),
    )
    def read(self, ctx: Ctx, vacancy_id: PathId) -> VacancyOut:
        return views.vacancy_out(services.get_vacancy(ctx.session, vacancy_id))

    @patch(
        "/{vacancy_id:int}",
        access=Access.ANYONE,
        guards=[COUNSELLOR],
        summary="Change openings, validity, wage, hours, shift or the labour-dispute flag",
        responses=problem_responses(404, 422),
    )
    def update(self, ctx: Ctx, vacancy_id: PathId, data: JSONBody[VacancyPatchIn]) -> VacancyOut:
        return views.vacancy_out(services.update_vacancy(ctx, vacancy_id, data))

    @get(
        "/{vacancy_id:int}/seekers",
        access=Access.OFFICE_LIST,
        guards=[READERS],
        summary="The registered people best suited to the vacancy, explained",
        responses=problem_responses(404),
    )
    def seekers(
        self, ctx: Ctx, vacancy_id: PathId, limit: Annotated[int, TopK] = 10
    ) -> list[MatchOut]:
        vacancy = services.get_vacancy(ctx.session, vacancy_id)
        return [
            views.match_out(m, vacancy)
            for m in services.matches_for_vacancy(ctx, vacancy_id, limit)
        ]

    @get(
        "/{vacancy_id:int}/suitability/{member_id:int}",
        access=Access.PERSON,
        guards=[READERS],
        summary="Every suitability check of this vacancy for one person, with reasons",
        description="The record activation stores on a referral (POLICY.md safeguards).",
        responses=problem_responses(404),
    )
    def suitability(self, ctx: Ctx, vacancy_id: PathId, member_id: PathId) -> SuitabilityOut:
        result = services.suitability_for(
            ctx.session, member_id, vacancy_id, ctx.params(), ctx.today
        )
        return views.suitability_out(result)


class OccupationController(Controller):
    path = "/api/v1/matching/occupations"
    tags = ["Matching"]

    @get(
        "/",
        access=Access.ANYONE,
        guards=[requires(*Role)],
        summary="The CSCO-2022 occupation codes Workbridge accepts, filtered by code or name",
        responses=problem_responses(),
        sync_to_thread=False,
    )
    def index(self, q: FromQuery[str | None] = None) -> list[OccupationOut]:
        return [
            OccupationOut(code=code, name=name)
            for code, name in occupation_table().items()
            if not q or q in code or q in name
        ]


CONTROLLERS = [SeekerController, VacancyController, OccupationController]
