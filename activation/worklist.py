"""Read models for the counsellor's workbench: what is due in an office, and finding people.

Reads only. An office is a community or a township: a counsellor whose account names one sees
the people whose household lives there; an account without an office sees the county.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from activation.models import (
    Continuation,
    GoodReasonReview,
    Referral,
    Registration,
    RegistrationDuty,
    Task,
)
from benefits.models import Application, Household, Member
from benefits.schemas import normalise_phone
from kernel.auth import Principal
from kernel.errors import NotFound, missing
from kernel.national_id import InvalidNationalId, parse_national_id
from kernel.types import ascii_digits
from kernel.visibility import office_of

OPEN_APPLICATION = ("applied", "investigated", "appraised", "public_notice")


def _in_office(query: Any, office: str | None) -> Any:
    if office:
        query = query.where(or_(Household.community == office, Household.township == office))
    return query


def visible_member(session: Session, actor: Principal, member_id: int) -> tuple[Member, Household]:
    """The person and their household, or NotFound when they live outside the actor's office
    (the same answer as for nobody, so a list of another office cannot be probed)."""
    row = session.exec(
        _in_office(
            select(Member, Household)
            .join(Household, col(Household.id) == Member.household_id)
            .where(Member.id == member_id),
            office_of(actor),
        )
    ).first()
    if row is None:
        raise NotFound(missing("member_id", member_id))
    return row[0], row[1]


DUE_KINDS = (
    "unregistered",
    "referral_deadline",
    "answer_to_review",
    "continuation_end",
    "reentry_request",
    "task",
)


@dataclass(frozen=True)
class Due:
    """One line of the "Today" list: who, what is due, by when, and where to act."""

    kind: str
    member_id: int
    name: str
    community: str
    due_on: date | None
    detail: str
    anchor: str


def _people(session: Session, ids: set[int], office: str | None) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.exec(
        _in_office(
            select(Member.id, Member.name, Household.community)
            .join(Household, col(Household.id) == Member.household_id)
            .where(col(Member.id).in_(sorted(ids))),
            office,
        )
    )
    return {row[0]: (row[1], row[2]) for row in rows if row[0] is not None}


# Tasks opened for something the list shows on its own line: one line per thing to do.
TASK_LISTED_AS = {
    "register": "unregistered",
    "registration_reminder": "unregistered",
    "good_reason_review": "answer_to_review",
    "continuation_end": "continuation_end",
    "reentry_decision": "reentry_request",
}


def due_today(session: Session, actor: Principal, today: date, horizon: int = 30) -> list[Due]:
    """Everything a counsellor's office has to act on, oldest deadline first, once each."""
    office = office_of(actor)
    items: list[tuple[str, int, date | None, str, str]] = []
    unregistered = session.exec(
        select(RegistrationDuty).where(
            col(RegistrationDuty.ended_on).is_(None),
            col(RegistrationDuty.member_id).not_in(select(Registration.member_id)),
        )
    )
    for duty in unregistered:
        items.append(("unregistered", duty.member_id, duty.obligated_since, "", "registration"))
    for referral in session.exec(select(Referral).where(Referral.state == "open")):
        items.append(
            (
                "referral_deadline",
                referral.member_id,
                referral.answer_due_on,
                f"{referral.offer.get('title', '')} · {referral.code}",
                f"referral-{referral.id}",
            )
        )
    for review in session.exec(select(GoodReasonReview).where(GoodReasonReview.state == "pending")):
        items.append(
            (
                "answer_to_review",
                review.member_id,
                review.opened_on,
                "",
                f"referral-{review.referral_id}",
            )
        )
    for continuation in session.exec(
        select(Continuation).where(
            Continuation.state == "running",
            Continuation.ends_on <= today + timedelta(days=horizon),
        )
    ):
        items.append(("continuation_end", continuation.member_id, continuation.ends_on, "", "jobs"))
    reentries = session.exec(
        select(Application, Member.id)
        .join(Member, Member.household_id == Application.household_id)
        .where(
            Application.kind == "reentry",
            col(Application.state).in_(OPEN_APPLICATION),
            Member.relation == "head",
        )
    )
    for application, member_id in reentries:
        if member_id is not None:
            items.append(
                (
                    "reentry_request",
                    member_id,
                    application.decision_due_on,
                    f"#{application.id}",
                    "jobs",
                )
            )
    listed = {(kind, member_id) for kind, member_id, *_ in items}
    for task in session.exec(select(Task).where(Task.state == "open")):
        if (TASK_LISTED_AS.get(task.kind), task.member_id) in listed:
            continue  # the same thing to do is on the list already, with its own line
        items.append(("task", task.member_id, task.due_on, task.kind, "tasks"))
    people = _people(session, {member_id for _, member_id, *_ in items}, office)
    found = [
        Due(kind, member_id, *people[member_id], due_on, detail, anchor)
        for kind, member_id, due_on, detail, anchor in items
        if member_id in people
    ]
    return sorted(found, key=lambda d: (d.due_on or date.max, d.kind, d.member_id))


def is_national_id(text: str) -> bool:
    try:
        parse_national_id(text.strip())
    except InvalidNationalId:
        return False
    return True


def people_query(actor: Principal, text: str = "", community: str | None = None) -> Any:
    """The people of the actor's office, as (member, household) rows, found by name (part of
    it), phone, or ID number: a full, valid ID finds exactly that person; otherwise digits
    match the end of the phone or the ID (lists show the ID masked). No text: everyone."""
    text = text.strip()
    query = select(Member, Household).join(Household, col(Household.id) == Member.household_id)
    if community:
        query = query.where(Household.community == community)
    if not text:
        return _in_office(query, office_of(actor))
    try:
        national_id = parse_national_id(text).value
    except InvalidNationalId:
        national_id = None
    if national_id:
        query = query.where(Member.national_id == national_id)
    else:
        conditions = [col(Member.name).contains(text)]
        compact = re.sub(r"[\s-]", "", text)
        try:
            phone = normalise_phone(compact)
        except ValueError:
            phone = None
        if phone:
            conditions.append(Member.phone == phone)
        if ascii_digits(compact) and len(compact) >= 4:
            conditions.append(col(Member.phone).endswith(compact))
            conditions.append(col(Member.national_id).endswith(compact))
        query = query.where(or_(*conditions))
    return _in_office(query, office_of(actor))


def jobs_of(session: Session, member_id: int) -> list[Any]:
    from activation.models import Job

    return list(
        session.exec(select(Job).where(Job.member_id == member_id).order_by(col(Job.starts_on)))
    )


def referred_vacancies(session: Session, member_id: int) -> dict[int, Referral]:
    """Vacancy id → the person's referral to it, so a match shows it was already offered."""
    rows = session.exec(
        select(Referral).where(Referral.member_id == member_id, Referral.kind == "vacancy")
    )
    return {r.target_id: r for r in rows if r.target_id is not None}
