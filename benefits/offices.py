"""Where benefits' ids live: the office (community, township) of the household behind a member,
household, application or case id, for the office rule (kernel.visibility)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlmodel import Session, col

from benefits.models import Application, ApplicationDocument, BenefitCase, Household, Member
from kernel.visibility import Offices, Resolver


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


def offices_through(
    session: Session, id_column: Any, ids: Sequence[Any], *path: tuple[Any, Any]
) -> dict[Any, Offices]:
    """The offices behind ``ids`` of ``id_column``, joining ``path`` (table, on) to the
    household (an empty path: the ids are households')."""
    query = select(id_column, Household.community, Household.township)
    for table, on in path:
        query = query.join(table, on)
    return offices_by(session, query.where(col(id_column).in_(ids_of(ids))))


def _via_household(model: Any) -> Resolver:
    on = (Household, col(Household.id) == model.household_id)
    return lambda session, ids: offices_through(session, model.id, ids, on)


RESOLVERS: dict[str, Resolver] = {
    "household_id": lambda session, ids: offices_through(session, Household.id, ids),
    "member_id": _via_household(Member),
    "application_id": _via_household(Application),
    "case_id": _via_household(BenefitCase),
    "document_id": _via_household(ApplicationDocument),
}


def households_in(office: str) -> Select[Any]:
    """The ids of the households an office holds (its community, or any in its township)."""
    return select(Household.id).where(
        or_(Household.community == office, Household.township == office)
    )


def members_in(office: str) -> Select[Any]:
    return select(Member.id).where(col(Member.household_id).in_(households_in(office)))


def communities_in(session: Session, office: str | None) -> list[tuple[str, str]]:
    """The (community, township) pairs of an office's households, for a list's filter; the
    whole county's for an office of None."""
    query = select(Household.community, Household.township).distinct()
    if office:
        query = query.where(col(Household.id).in_(households_in(office)))
    return sorted(((c, t) for c, t in session.execute(query)), key=lambda p: (p[1], p[0]))
