"""Where activation's ids live: the office of the person behind a referral, job, sanction,
appeal or stored decision, for the office rule (kernel.visibility)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from activation.models import ActivationDecision, Appeal, Job, Referral, Sanction
from benefits.models import Household, Member
from benefits.offices import ids_of, offices_by
from kernel.visibility import Offices


def _through_member(session: Session, model: Any, ids: Sequence[Any]) -> dict[Any, Offices]:
    return offices_by(
        session,
        select(model.id, Household.community, Household.township)
        .join(Member, col(Member.id) == model.member_id)
        .join(Household, col(Household.id) == Member.household_id)
        .where(col(model.id).in_(ids_of(ids))),
    )


def referrals(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return _through_member(session, Referral, ids)


def jobs(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return _through_member(session, Job, ids)


def sanctions(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return _through_member(session, Sanction, ids)


def decisions(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return _through_member(session, ActivationDecision, ids)


def appeals(session: Session, ids: Sequence[Any]) -> dict[Any, Offices]:
    return offices_by(
        session,
        select(Appeal.id, Household.community, Household.township)
        .join(Sanction, col(Sanction.id) == Appeal.sanction_id)
        .join(Member, col(Member.id) == Sanction.member_id)
        .join(Household, col(Household.id) == Member.household_id)
        .where(col(Appeal.id).in_(ids_of(ids))),
    )


RESOLVERS = {
    "referral_id": referrals,
    "job_id": jobs,
    "sanction_id": sanctions,
    "appeal_id": appeals,
    "decision_id": decisions,
}
