"""Where activation's ids live: the office of the person behind a referral, job, sanction,
appeal, appointment or stored decision, for the office rule (kernel.visibility)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col

from activation.models import ActivationDecision, Appeal, Appointment, Job, Referral, Sanction
from benefits.models import Household, Member
from benefits.offices import offices_through
from kernel.visibility import Resolver


def _via_member(model: Any, *before: tuple[Any, Any]) -> Resolver:
    """Offices of ``model`` rows through their person (``before``: joins to reach one)."""
    path = (
        *before,
        (Member, col(Member.id) == (before[-1][0] if before else model).member_id),
        (Household, col(Household.id) == Member.household_id),
    )
    return lambda session, ids: offices_through(session, model.id, ids, *path)


RESOLVERS: dict[str, Resolver] = {
    "referral_id": _via_member(Referral),
    "job_id": _via_member(Job),
    "sanction_id": _via_member(Sanction),
    "appeal_id": _via_member(Appeal, (Sanction, col(Sanction.id) == Appeal.sanction_id)),
    "decision_id": _via_member(ActivationDecision),
    "appointment_id": _via_member(Appointment),
}
