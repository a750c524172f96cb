"""Read models: matching tables and rule results shaped into API responses."""

from __future__ import annotations

from typing import Any

from kernel.messages import answer_gettext, from_data, render, words
from kernel.money import from_fen, yuan_text
from matching.models import SeekerProfile, Vacancy
from matching.occupations import name_of
from matching.ranking import Match
from matching.rules import Suitability
from matching.schemas import (
    CheckOut,
    MatchOut,
    SeekerProfileOut,
    SuitabilityOut,
    VacancyOut,
)


def profile_out(profile: SeekerProfile) -> SeekerProfileOut:
    return SeekerProfileOut(
        **profile.model_dump(exclude={"reservation_wage_fen", "created_at"}),
        reservation_wage=yuan_text(from_fen(profile.reservation_wage_fen)),
    )


def vacancy_out(vacancy: Vacancy) -> VacancyOut:
    assert vacancy.id is not None
    return VacancyOut(
        **vacancy.model_dump(
            exclude={"monthly_wage_fen", "created_at", "updated_at", "created_by"}
        ),
        occupation_name=name_of(vacancy.occupation_code),
        monthly_wage=yuan_text(from_fen(vacancy.monthly_wage_fen)),
    )


def check_out(stored: dict[str, Any]) -> CheckOut:
    """A check as stored, its reason in the reader's language (records made before reasons
    were kept as data show their English sentence)."""
    said = from_data(stored["said"]) if "said" in stored else stored["reason"]
    return CheckOut(
        name=stored["name"], passed=stored["passed"], reason=render(said, answer_gettext())
    )


def suitability_out(result: Suitability) -> SuitabilityOut:
    stored = result.as_dict()
    return SuitabilityOut(
        **{k: v for k, v in stored.items() if k != "checks"},
        checks=[check_out(c) for c in stored["checks"]],
    )


def match_out(match: Match, vacancy: Vacancy) -> MatchOut:
    return MatchOut(
        member_id=match.member_id,
        vacancy_id=match.vacancy_id,
        score=match.score,
        title=vacancy.title,
        employer=vacancy.employer,
        monthly_wage=yuan_text(from_fen(vacancy.monthly_wage_fen)),
        community=vacancy.community,
        fits=[words(f) for f in match.detail.fits],
        misfits=[words(m) for m in match.detail.misfits],
        suitability=suitability_out(match.suitability),
    )
