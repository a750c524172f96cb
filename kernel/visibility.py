"""Each office sees its own people: the rule every route that touches a person applies.

An office is a community (社区) or a township (乡镇). A counsellor or a benefit officer whose
account or token names an office sees and changes only the people whose household lives there;
one without an office works for the whole county. Another office's person, household, case or
referral answers exactly as one that does not exist — 404 — so nobody can learn by probing
that a person is known elsewhere.

The rule is applied in one place: before a handler runs (``kernel.web.in_unit_of_work``),
every id the request names — in its path, its query or the top level of its body — whose
parameter name a context has registered here (``member_id``, ``household_id``, ``case_id``,
``referral_id``...) is looked up, on the request's own session, for the office its household
belongs to. Contexts register how to find that office for the ids they own
(``register_resolver``); kernel knows none of their tables. Lists of people filter their own
queries with ``office_of`` (or ``visible_values`` in contexts that do not hold households).

Every route also declares what it touches (``Access``), and the suite fails for a route that
does not (tests/integration/system/test_office_access.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from kernel.auth import Principal, Role
from kernel.errors import Forbidden, NotFound, Problem, missing


class Access(StrEnum):
    """What a route touches, and so which rule keeps each office to its own."""

    PUBLIC = "public"  # no token: the route authenticates its caller itself (health, webhooks)
    ANYONE = "anyone"  # any role it admits; nothing about a person (policy, vacancies, courses)
    PERSON = "person"  # one person, household, case, referral...: 404 outside the office
    OFFICE_LIST = "office-list"  # a list of people: only the office's own are listed
    COUNTY = "county"  # work over the whole county's people: accounts without an office only
    PROVIDER = "provider"  # a training provider's own courses and trainees


# (community, township) of each household a value belongs to.
Offices = list[tuple[str, str]]
Resolver = Callable[[Session, Sequence[Any]], Mapping[Any, Offices]]
_resolvers: dict[str, Resolver] = {}
OFFICE_ROLES = frozenset({Role.COUNSELLOR, Role.BENEFIT_OFFICER})


def register_resolver(parameter: str, resolver: Resolver) -> None:
    """How to find the offices behind a parameter's values (the context that owns the ids)."""
    _resolvers[parameter] = resolver


def office_of(actor: Principal) -> str | None:
    """The office whose people the actor sees; None means the whole county."""
    return actor.office if actor.role in OFFICE_ROLES and actor.office else None


def in_office(offices: Offices, office: str) -> bool:
    return any(office in pair for pair in offices)


def visible_values(
    session: Session, actor: Principal, parameter: str, values: Iterable[Any]
) -> set[Any]:
    """Which of ``values`` (ids of ``parameter``'s kind) the actor may see."""
    wanted = list(dict.fromkeys(v for v in values if v is not None))
    office = office_of(actor)
    if office is None:
        return set(wanted)
    if not wanted:
        return set()
    found = _resolvers[parameter](session, wanted)
    return {v for v in wanted if in_office(list(found.get(v, [])), office)}


def require_visible(session: Session, actor: Principal, parameter: str, value: Any) -> None:
    """NotFound unless the actor's office holds the person behind ``value``."""
    if office_of(actor) is None:
        return
    if value not in visible_values(session, actor, parameter, [value]):
        raise NotFound(missing(parameter, value))


def require_county(actor: Principal) -> None:
    """County-wide work (a payment run, the bank file, the daily sweep) touches every office's
    people, so an account bound to one office may not start or read it."""
    if office_of(actor) is not None:
        raise Forbidden(
            Problem(None, "county-wide", "this needs an account that works for the whole county")
        )


def check_request(session: Session, actor: Principal, arguments: Mapping[str, Any]) -> None:
    """The office rule for one request: every person it names by id must be the office's."""
    if office_of(actor) is None:
        return
    for name, value in _named_ids(arguments):
        require_visible(session, actor, name, value)


def _named_ids(arguments: Mapping[str, Any]) -> list[tuple[str, Any]]:
    named: list[tuple[str, Any]] = []
    for name, value in arguments.items():
        if name in _resolvers and isinstance(value, int | str):
            named.append((name, value))
        elif name == "data":
            for field in _resolvers:
                inner = getattr(value, field, None)
                if isinstance(inner, int | str) and not isinstance(inner, bool):
                    named.append((field, inner))
    return named
