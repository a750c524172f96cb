"""Where benefits' ids live: the office (community, township) of the household behind a member,
household, application or case id, for the office rule (kernel.visibility)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlmodel import Session, col

from benefits.models import Application, BenefitCase, Household, Member
from kernel.visibility import Offices


def offices_by(session: Session, query: Select[Any]) -> dict[Any, Offices]:
    """``query`` selects (value, community, township) rows; one value may have several."""
    found: dict[Any, Offices] = defaultdict(list)
    for value, community, township in session.execute(query):
        found[value].append((community, township))
    return found


def ids_of(values: Sequence[Any]) -> list[int]:
    """The values that can be row ids (a path or body id is an int; anything else matches no
    row, which is what a stranger's id should do)."""
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def households(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return offices_by(
        session,
        select(Household.id, Household.community, Household.township).where(
            col(Household.id).in_(ids_of(ids))
        ),
    )


def _through_household(session: Session, model: Any, ids: Sequence[Any]) -> dict[Any, Offices]:
    return offices_by(
        session,
        select(model.id, Household.community, Household.township)
        .join(Household, col(Household.id) == model.household_id)
        .where(col(model.id).in_(ids_of(ids))),
    )


def members(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return _through_household(session, Member, ids)


def applications(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return _through_household(session, Application, ids)


def cases(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return _through_household(session, BenefitCase, ids)


RESOLVERS = {
    "household_id": households,
    "member_id": members,
    "application_id": applications,
    "case_id": cases,
}


def households_in(office: str) -> Select[Any]:
    """The ids of the households an office holds (its community, or any in its township)."""
    return select(Household.id).where(
        or_(Household.community == office, Household.township == office)
    )


def members_in(office: str) -> Select[Any]:
    return select(Member.id).where(col(Member.household_id).in_(households_in(office)))
