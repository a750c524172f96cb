"""Matching use cases: seeker profiles, vacancies (one by one or from CSV), ranked matches.

``upsert_seeker_profile`` and ``suitability_for`` are the entry points activation calls (at
registration, and when it makes a referral and must store the suitability check on it).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy import column, select, table
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from kernel import audit
from kernel.auth import Principal
from kernel.context import ServiceContext
from kernel.errors import InvalidInput, NotFound, Problem, missing
from kernel.messages import say
from kernel.money import from_fen, to_fen, yuan_text
from kernel.policy import ParameterSet
from kernel.tabular import RowProblem, csv_rows, validation_problems
from kernel.visibility import visible_values
from matching import kept_index
from matching.models import SeekerProfile, Vacancy
from matching.ranking import (
    Match,
    VacancyIndex,
    build_vacancy_index,
    rank_seekers_for,
    rank_vacancies_for,
)
from matching.rules import SeekerFacts, Suitability, VacancyFacts, check_suitability
from matching.schemas import (
    VACANCY_CSV_COLUMNS,
    VACANCY_CSV_REQUIRED,
    SeekerProfileIn,
    VacancyIn,
    VacancyPatchIn,
)

MINIMUM_WAGE = "activation.suitability.minimum_wage_monthly"
_member = table("member", column("id"))  # benefits' table, read by id only (no import)


# --- policy -------------------------------------------------------------------------------


def trade_occupations(params: ParameterSet) -> dict[str, tuple[str, ...]]:
    """Trade code → the CSCO groups it leads to (parameter training.trades, report 4 §五1)."""
    return {t["code"]: tuple(t.get("occupations", ())) for t in params.raw("training.trades")}


def minimum_wage(params: ParameterSet) -> Decimal:
    return params.decimal(MINIMUM_WAGE)


# --- facts --------------------------------------------------------------------------------


def seeker_facts(profile: SeekerProfile) -> SeekerFacts:
    return SeekerFacts(
        member_id=profile.member_id,
        work_capacity=profile.work_capacity,
        disability=profile.disability,
        serious_illness=profile.serious_illness,
        physical_limit=profile.physical_limit,
        hours_per_week=profile.hours_per_week,
        shifts=frozenset(profile.shifts),
        childcare=profile.childcare,
        max_commute_km=profile.max_commute_km,
        community=profile.community,
        lat=profile.lat,
        lon=profile.lon,
        accepts_outside_county=profile.accepts_outside_county,
        reservation_wage=from_fen(profile.reservation_wage_fen),
        desired_occupations=tuple(profile.desired_occupations),
        skills=tuple(profile.skills),
        training_wishes=tuple(profile.training_wishes),
    )


def vacancy_facts(vacancy: Vacancy) -> VacancyFacts:
    assert vacancy.id is not None
    return VacancyFacts(
        vacancy_id=vacancy.id,
        occupation_code=vacancy.occupation_code,
        title=vacancy.title,
        skills=tuple(vacancy.skills),
        community=vacancy.community,
        lat=vacancy.lat,
        lon=vacancy.lon,
        monthly_wage=from_fen(vacancy.monthly_wage_fen),
        hours_per_week=vacancy.hours_per_week,
        shift=vacancy.shift,
        openings=vacancy.openings,
        physical_demand=vacancy.physical_demand,
        source=vacancy.source,
        valid_until=vacancy.valid_until,
        labour_dispute=vacancy.labour_dispute,
        employer=vacancy.employer,
    )


# --- seeker profiles ----------------------------------------------------------------------


def member_exists(session: Session, member_id: int) -> bool:
    return (
        session.execute(select(_member.c.id).where(_member.c.id == member_id)).first() is not None
    )


def upsert_seeker_profile(
    session: Session,
    member_id: int,
    data: SeekerProfileIn,
    now: datetime,
    *,
    known_trades: Collection[str] | None = None,
    actor: Principal | None = None,
) -> SeekerProfile:
    """Create or replace a member's job-seeker profile; the caller commits.

    ``known_trades`` (the codes of parameter training.trades) checks the training wishes; an
    ``actor`` adds an audit record in the same transaction.
    """
    if not member_exists(session, member_id):
        raise NotFound(missing("member_id", member_id))
    if known_trades is not None:
        unknown = [
            Problem(
                f"training_wishes.{i}",
                "known-trade",
                say("%(t)s is not a trade of the policy", t=repr(t)),
            )
            for i, t in enumerate(data.training_wishes)
            if t not in known_trades
        ]
        if unknown:
            raise InvalidInput(unknown)
    values = data.model_dump(exclude={"reservation_wage"})
    values["reservation_wage_fen"] = to_fen(data.reservation_wage)
    profile = session.get(SeekerProfile, member_id)
    action = "updated"
    if profile is None:
        profile = SeekerProfile(member_id=member_id, created_at=now, updated_at=now, **values)
        action = "created"
    else:
        for key, value in values.items():
            setattr(profile, key, value)
        profile.updated_at = now
    session.add(profile)
    session.flush()
    if actor is not None:
        audit.record(
            session,
            actor=actor,
            at=now,
            entity="seeker_profile",
            entity_id=member_id,
            action=action,
            details=data.model_dump(mode="json"),
        )
    return profile


def get_seeker_profile(session: Session, member_id: int) -> SeekerProfile:
    profile = session.get(SeekerProfile, member_id)
    if profile is None:
        raise NotFound(
            Problem(
                "member_id",
                "exists",
                say("member %(member_id)s has no seeker profile", member_id=member_id),
            )
        )
    return profile


# --- vacancies ----------------------------------------------------------------------------


def get_vacancy(session: Session, vacancy_id: int) -> Vacancy:
    vacancy = session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise NotFound(missing("vacancy_id", vacancy_id))
    return vacancy


def _vacancy_row(data: VacancyIn, actor: Principal, now: datetime) -> Vacancy:
    values = data.model_dump(exclude={"monthly_wage"})
    return Vacancy(
        **values,
        monthly_wage_fen=to_fen(data.monthly_wage),
        created_by=actor.label,
        created_at=now,
        updated_at=now,
    )


def _date_problems(data: VacancyIn, today: date, row: int = 0) -> list[RowProblem]:
    if data.valid_until < today:
        return [
            RowProblem(
                row, "valid_until", "not-expired", f"valid_until {data.valid_until} has passed"
            )
        ]
    return []


def create_vacancy(ctx: ServiceContext, data: VacancyIn) -> Vacancy:
    if problems := _date_problems(data, ctx.today):
        raise InvalidInput([Problem(p.field, p.rule, p.message) for p in problems])
    vacancy = _vacancy_row(data, ctx.actor, ctx.now)
    ctx.session.add(vacancy)
    ctx.session.flush()
    assert vacancy.id is not None
    audit.note(
        ctx,
        entity="vacancy",
        entity_id=vacancy.id,
        action="created",
        details=data.model_dump(mode="json"),
    )
    ctx.session.commit()
    return vacancy


def update_vacancy(ctx: ServiceContext, vacancy_id: int, data: VacancyPatchIn) -> Vacancy:
    """Change openings, validity, wage, hours, shift or the labour-dispute flag (a strike at
    the employer makes every referral there unsuitable until it is lifted)."""
    vacancy = get_vacancy(ctx.session, vacancy_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    before = {k: getattr(vacancy, k) for k in changes if k != "monthly_wage"}
    if "monthly_wage" in changes:
        before["monthly_wage"] = yuan_text(from_fen(vacancy.monthly_wage_fen))
        vacancy.monthly_wage_fen = to_fen(changes.pop("monthly_wage"))
    for key, value in changes.items():
        setattr(vacancy, key, value)
    vacancy.updated_at = ctx.now
    audit.note(
        ctx,
        entity="vacancy",
        entity_id=vacancy_id,
        action="updated",
        details={
            "before": {k: str(v) for k, v in before.items()},
            "after": data.model_dump(mode="json", exclude_unset=True),
        },
    )
    ctx.session.commit()
    return vacancy


def list_vacancies(
    session: Session,
    *,
    open_on: date | None,
    occupation: str | None,
    community: str | None,
    limit: int,
    offset: int,
) -> list[Vacancy]:
    query = sm_select(Vacancy)
    if open_on is not None:
        query = query.where(Vacancy.valid_until >= open_on, Vacancy.openings > 0)
    if occupation:
        query = query.where(col(Vacancy.occupation_code).startswith(occupation))
    if community:
        query = query.where(Vacancy.community == community)
    return list(session.exec(query.order_by(col(Vacancy.id)).limit(limit).offset(offset)))


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def import_vacancies_csv(
    ctx: ServiceContext, content: bytes, *, all_or_nothing: bool = False
) -> ImportResult:
    """Vacancies from a spreadsheet. Good rows are written and each bad row's problems are
    returned; with ``all_or_nothing`` (or when no row is good) nothing is written and the
    problems come back as a 422."""
    rows = csv_rows(content, columns=VACANCY_CSV_COLUMNS, required=VACANCY_CSV_REQUIRED)
    good: list[VacancyIn] = []
    result = ImportResult()
    for row in rows:
        if row.problem:
            result.problems.append(row.problem)
            continue
        try:
            data = VacancyIn.from_csv(row.values)
        except ValidationError as exc:
            result.problems += validation_problems(row.row, exc)
            continue
        if dated := _date_problems(data, ctx.today, row.row):
            result.problems += dated
            continue
        good.append(data)
    if result.problems and (all_or_nothing or not good):
        raise InvalidInput([p.as_problem("rows") for p in result.problems])
    vacancies = [_vacancy_row(data, ctx.actor, ctx.now) for data in good]
    ctx.session.add_all(vacancies)
    ctx.session.flush()
    result.created = [v.id for v in vacancies if v.id is not None]
    audit.note(
        ctx,
        entity="vacancy",
        entity_id="csv",
        action="imported",
        details={
            "created": result.created,
            "rejected_rows": sorted({p.row for p in result.problems}),
        },
    )
    ctx.session.commit()
    return result


# --- matches ------------------------------------------------------------------------------


def open_vacancies(session: Session, today: date) -> list[Vacancy]:
    return list(
        session.exec(
            sm_select(Vacancy)
            .where(Vacancy.valid_until >= today, Vacancy.openings > 0)
            .order_by(col(Vacancy.id))
        )
    )


def active_profiles(session: Session) -> list[SeekerProfile]:
    return list(
        session.exec(
            sm_select(SeekerProfile)
            .where(col(SeekerProfile.active).is_(True))
            .order_by(col(SeekerProfile.member_id))
        )
    )


def matches_for_seeker(ctx: ServiceContext, member_id: int, k: int) -> tuple[list[Match], dict]:
    """The person's k best suitable vacancies today, explained (and those vacancies by id).

    The index of open vacancies is the one this process keeps while no vacancy changed
    (``matching.kept_index``); only the matched vacancies are read per request."""
    params = ctx.params()
    profile = get_seeker_profile(ctx.session, member_id)
    trades = trade_occupations(params)

    def build() -> VacancyIndex | None:
        vacancies = open_vacancies(ctx.session, ctx.today)
        if not vacancies:  # an empty index has no typed columns to rank over
            return None
        return build_vacancy_index([vacancy_facts(v) for v in vacancies], trades)

    index = kept_index.vacancy_index(ctx.session, ctx.today, trades, build)
    if index is None:
        return [], {}
    matches = rank_vacancies_for(
        seeker_facts(profile),
        index,
        today=ctx.today,
        minimum_wage=minimum_wage(params),
        k=k,
        parameter_version=params.version_id,
    )
    return matches, vacancies_by_id(ctx.session, [m.vacancy_id for m in matches])


def matches_for_vacancy(ctx: ServiceContext, vacancy_id: int, k: int) -> list[Match]:
    """The k registered people best suited to a vacancy, explained."""
    params = ctx.params()
    vacancy = get_vacancy(ctx.session, vacancy_id)
    profiles = active_profiles(ctx.session)
    # an office's counsellor ranks the office's own people (kernel.visibility)
    seen = visible_values(ctx.session, ctx.actor, "member_id", [p.member_id for p in profiles])
    return rank_seekers_for(
        vacancy_facts(vacancy),
        [seeker_facts(p) for p in profiles if p.member_id in seen],
        today=ctx.today,
        minimum_wage=minimum_wage(params),
        k=k,
        trade_occupations=trade_occupations(params),
        parameter_version=params.version_id,
    )


def suitability_for(
    session: Session, member_id: int, vacancy_id: int, params: ParameterSet, today: date
) -> Suitability:
    """The suitability check of one referral, as activation stores it (``.as_dict()``)."""
    return check_suitability(
        seeker_facts(get_seeker_profile(session, member_id)),
        vacancy_facts(get_vacancy(session, vacancy_id)),
        minimum_wage(params),
        today,
        parameter_version=params.version_id,
    )


def vacancies_by_id(session: Session, ids: Sequence[int]) -> dict[int, Vacancy]:
    if not ids:
        return {}
    rows = session.exec(sm_select(Vacancy).where(col(Vacancy.id).in_(list(ids))))
    return {v.id: v for v in rows if v.id is not None}
