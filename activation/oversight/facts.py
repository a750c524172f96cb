"""The month's facts for oversight, read set-based: who was subject to the refusal rule, the
sanctions, appeals and warnings that touched the month, and each person's groups.

Subject: under the registration duty (report 4 §五4) on any day of the month — the duty is what
brings a person under the refusal rule. A person with an event in the month but no duty then
(an appeal decided after the duty ended) is counted in the events, not in the subject.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from activation.models import Appeal, Registration, RegistrationDuty, Sanction, Warning
from activation.oversight.figures import AppealFacts, Person, StopFacts, officer_name
from activation.replay.groups import CHILD_UNDER, age_band, age_on
from benefits.models import BenefitCase, Household, Member
from benefits.offices import members_in
from benefits.payment_rules import Month

BATCH = 5_000


@dataclass(frozen=True)
class MonthFacts:
    people: list[Person]
    stops: list[StopFacts]
    appeals: list[AppealFacts]
    warnings: list[int]  # the member of each refusal warning issued in the month


def month_facts(session: Session, month: Month, office: str | None = None) -> MonthFacts:
    """The month's facts, of one office's people when ``office`` is given: each read keeps to
    the office's members in the database (``benefits.offices.members_in``, the pages' own
    rule), so an office's report reads its own people, not the county's."""
    first, last = month.first, month.last
    subject = set(
        session.execute(
            select(RegistrationDuty.member_id).where(
                RegistrationDuty.obligated_since <= last,
                or_(col(RegistrationDuty.ended_on).is_(None), RegistrationDuty.ended_on >= first),
                *_office_members(RegistrationDuty.member_id, office),
            )
        ).scalars()
    )
    stops = _stops(session, month, office)
    appeals = _appeals(session, month, office)
    warnings = list(
        session.execute(
            select(Warning.member_id).where(
                Warning.kind == "refusal",
                col(Warning.issued_on).between(first, last),
                *_office_members(Warning.member_id, office),
            )
        ).scalars()
    )
    involved = subject | {s.member_id for s in stops} | {a.member_id for a in appeals}
    involved |= set(warnings)
    people = _people(session, sorted(involved), subject, month)
    return MonthFacts(people, stops, appeals, warnings)


def _office_members(member: Any, office: str | None) -> list[ColumnElement[bool]]:
    """The condition that keeps a read to the office's members (none for the whole county)."""
    return [] if office is None else [col(member).in_(members_in(office))]


def _stops(session: Session, month: Month, office: str | None) -> list[StopFacts]:
    """Sanctions with a step in the month, or running on its last day."""
    first, last = month.first, month.last
    steps = [
        col(column).between(first, last)
        for column in (
            Sanction.proposed_on,
            Sanction.confirmed_on,
            Sanction.rejected_on,
            Sanction.started_on,
            Sanction.ended_on,
        )
    ]
    running = (col(Sanction.started_on) <= last) & (
        col(Sanction.ended_on).is_(None) | (col(Sanction.ended_on) > last)
    )
    return [
        StopFacts(*row)
        for row in session.execute(
            select(
                Sanction.id,
                Sanction.member_id,
                Sanction.state,
                Sanction.proposed_on,
                Sanction.confirmed_on,
                Sanction.confirmed_by,
                Sanction.rejected_on,
                Sanction.started_on,
                Sanction.ended_on,
            )
            .where(or_(*steps, running), *_office_members(Sanction.member_id, office))
            .order_by(col(Sanction.id))
        )
    ]


def _appeals(session: Session, month: Month, office: str | None) -> list[AppealFacts]:
    return [
        AppealFacts(*row)
        for row in session.execute(
            select(
                Sanction.member_id,
                Appeal.lodged_on,
                Appeal.decided_on,
                Appeal.state,
                Appeal.sanction_id,
            )
            .join(Sanction, col(Sanction.id) == Appeal.sanction_id)
            .where(
                or_(
                    col(Appeal.lodged_on).between(month.first, month.last),
                    col(Appeal.decided_on).between(month.first, month.last),
                ),
                *_office_members(Sanction.member_id, office),
            )
        )
    ]


def _people(session: Session, ids: Sequence[int], subject: set[int], month: Month) -> list[Person]:
    """Each person's groups on the month's last day, a batch of people per statement.

    The household's youngest member and latest case are looked up per person through the
    indexed ``household_id`` (correlated subqueries). Joined as whole-table aggregates instead,
    SQLite scans every household for each batch — a report quadratic in the caseload, hours at
    200,000 people (``workbridge bench oversight``)."""
    relative = aliased(Member)
    youngest = (
        select(func.max(relative.birth_date))
        .where(relative.household_id == Member.household_id)
        .correlate(Member)
        .scalar_subquery()
    )
    other = aliased(BenefitCase)
    latest = (
        select(func.max(other.id))
        .where(other.household_id == Member.household_id)
        .correlate(Member)
        .scalar_subquery()
    )
    found: list[Person] = []
    for batch in _batches(ids):
        rows = session.execute(
            select(
                Member.id,
                Member.sex,
                Member.birth_date,
                Member.disability,
                Household.township,
                Household.community,
                Household.scheme,
                youngest.label("youngest"),
                BenefitCase.category,
                Registration.registered_by,
            )
            .join(Household, col(Household.id) == Member.household_id)
            .outerjoin(BenefitCase, col(BenefitCase.id) == latest)
            .outerjoin(Registration, col(Registration.member_id) == Member.id)
            .where(col(Member.id).in_(batch))
        )
        for member_id, sex, birth, disability, town, community, scheme, young, category, by in rows:
            found.append(
                Person(
                    member_id,
                    {
                        "township": town,
                        "community": community,
                        "counsellor": officer_name(by) if by else "unknown",
                        "sex": sex or "unknown",
                        "age_band": age_band(age_on(birth, month.last)),
                        "disability": "no" if disability == "none" else "yes",
                        "category": category or "unknown",
                        "children": "yes" if age_on(young, month.last) < CHILD_UNDER else "no",
                        "scheme": scheme,
                    },
                    member_id in subject,
                )
            )
    return found


def _batches(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]
