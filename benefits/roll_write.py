"""Writing a roll's new households: members, incomes, application, case, status period and
audit record, one batched INSERT per table for a whole batch of households.

Each imported case keeps the roll's history start and amount (issue 13: taken as it is, a
difference against the rules flagged, never silently recomputed); incomes count from the
household's start so that an assessment on any later day finds them (no silent zero income).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session

from benefits.assessments import assessment_record
from benefits.models import (
    Application,
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    MemberIncome,
)
from benefits.roll_check import RollHousehold
from benefits.roll_plan import Plan
from benefits.rules import CaseStatus, next_review_on
from kernel import audit
from kernel.auth import Principal
from kernel.messages import as_data, say
from kernel.money import to_fen, yuan_text
from kernel.national_id import parse_national_id
from kernel.policy import PolicyBook

IMPORTED = say("brought in from the county's roll, with its amount and history start")


@dataclass(frozen=True)
class Writer:
    """Who imports, when, under which rules."""

    actor: Principal
    now: datetime
    today: date
    policy: PolicyBook


def _opened(household: RollHousehold) -> date:
    case = household.case
    return case.get("approved_on") or case["status_since"]


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``model``'s table in one batched statement; their new IDs in the
    order given (SQLAlchemy's insertmanyvalues, on SQLite and PostgreSQL alike)."""
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.connection().execute(statement, rows).scalars())


def write_created(session: Session, plans: Sequence[Plan], writer: Writer, version: str) -> None:
    """Write the batch's new households with their members, incomes, application, case, status
    period and audit record: one batched INSERT per table for the whole batch, none per row."""
    if not plans:
        return
    now = writer.now
    rules_now = writer.policy.at(writer.today)
    imported = as_data(IMPORTED)
    places = [plan.household.place for plan in plans]
    homes = insert_rows(
        session,
        Household,
        [
            {
                "scheme": place.scheme,
                "address": place.address,
                "community": place.community,
                "township": place.township,
                "bank_account": place.bank_account,
                "created_at": now,
            }
            for place in places
            if place is not None
        ],
    )
    member_rows: list[dict[str, Any]] = []
    member_incomes: list[tuple[Any, date]] = []
    for plan, home in zip(plans, homes, strict=True):
        plan.household_id = home
        for given in plan.household.members:
            decoded = parse_national_id(given.national_id)
            member_rows.append(
                {
                    "household_id": home,
                    "name": given.name,
                    "national_id": decoded.value,
                    "sex": decoded.sex,
                    "birth_date": decoded.birth_date,
                    "relation": given.relation,
                    "phone": given.phone,
                    "language": "zh_CN",
                    "work_capacity": given.work_capacity,
                    "disability": given.disability,
                    "serious_illness": False,
                    "student": False,
                    "carer": False,
                    "pregnant": False,
                    "three_nos": False,
                    "official_relative": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            member_incomes.append((given.incomes, _opened(plan.household)))
    member_ids = insert_rows(session, Member, member_rows)
    # In force from the household's start, so that an assessment on any later day finds them
    # (benefits.incomes: no silent zero income).
    insert_rows(
        session,
        MemberIncome,
        [
            {
                "member_id": member_id,
                "source": income.source,
                "monthly_amount_fen": to_fen(income.monthly_amount),
                "effective_from": opened,
                "effective_to": None,
                "recorded_at": now,
            }
            for member_id, (incomes, opened) in zip(member_ids, member_incomes, strict=True)
            for income in incomes
        ],
    )
    applications = insert_rows(
        session,
        Application,
        [
            {
                "household_id": plan.household_id,
                "kind": "new",
                "state": "approved",
                "category_requested": plan.household.case["category"],
                "documents": [],
                "applied_on": _opened(plan.household),
                "appraisal_passed": True,
                "second_approval_required": False,
                "decided_on": _opened(plan.household),
                "decision_reason": str(IMPORTED),
                "decision_said": imported,
                "parameter_version": version,
                "created_at": now,
                "updated_at": now,
            }
            for plan in plans
        ],
    )
    case_rows = []
    for plan, application in zip(plans, applications, strict=True):
        case = plan.household.case
        roll_fen = to_fen(case["monthly_amount"])
        opened = _opened(plan.household)
        half = case["status"] == CaseStatus.CONTINUATION_HALF.value
        case_rows.append(
            {
                "household_id": plan.household_id,
                "application_id": application,
                "scheme": case["scheme"],
                "category": case["category"],
                "status": case["status"],
                "status_since": case["status_since"],
                "status_reason": str(IMPORTED),
                "status_said": imported,
                "monthly_amount_fen": roll_fen,
                # A half continuation pays half of what the case is entitled to; the roll
                # gives only the half, so the entitlement is the rules' on the roll's facts.
                "entitled_amount_fen": to_fen(plan.computed or case["monthly_amount"])
                if half
                else roll_fen,
                "explanation": {
                    "imported": {
                        "roll_amount": yuan_text(case["monthly_amount"]),
                        "computed_amount": None
                        if plan.computed is None
                        else yuan_text(plan.computed),
                        "parameter_version": version,
                        "lines": plan.household.lines,
                        "household_key": plan.household.key,
                        "notes": [as_data(note) for note in plan.notes],
                    }
                },
                "parameter_version": version,
                "opened_on": opened,
                "next_review_on": case.get("next_review_on")
                or next_review_on(opened, case["scheme"], rules_now),
            }
        )
    cases = insert_rows(session, BenefitCase, case_rows)
    insert_rows(
        session,
        CaseStatusPeriod,
        [
            {
                "case_id": case_id,
                "status": row["status"],
                "effective_from": row["status_since"],
                "effective_to": None,
                "monthly_amount_fen": row["monthly_amount_fen"],
                "reason": str(IMPORTED),
                "said": imported,
                "assessments": _assessments(plan, row, writer.today),
                "rule": "roll-imported",
                "parameter_version": version,
                "actor": writer.actor.label,
                "recorded_at": now,
            }
            for plan, case_id, row in zip(plans, cases, case_rows, strict=True)
        ],
    )
    audit.record_many(
        session,
        actor=writer.actor,
        at=now,
        entity="benefit_case",
        action="imported",
        reason=IMPORTED,
        parameter_version=version,
        entries=[
            (
                case_id,
                {
                    "household_id": plan.household_id,
                    "lines": plan.household.lines,
                    "roll_amount": yuan_text(plan.roll_amount),
                    "computed_amount": None if plan.computed is None else yuan_text(plan.computed),
                    "status": row["status"],
                    "status_since": row["status_since"].isoformat(),
                },
            )
            for case_id, plan, row in zip(cases, plans, case_rows, strict=True)
        ],
    )


CORRECTED = say("phone or address corrected from the county's roll")


def write_updated(session: Session, plans: Sequence[Plan], writer: Writer, version: str) -> None:
    """Take the roll's phone numbers and addresses for the batch's households that differ in
    nothing else (``benefits.roll_plan.APPLIED``): one UPDATE per table, run for the batch's
    rows, and one audit entry per changed row with what it held before."""
    fixes = [fix for plan in plans for fix in plan.corrections]
    if not fixes:
        return
    m, h = Member.__table__, Household.__table__  # type: ignore[attr-defined]
    phones = [
        {"row_id": fix.entity_id, "phone": fix.after, "at": writer.now}
        for fix in fixes
        if fix.entity == "member"
    ]
    addresses = [
        {"row_id": fix.entity_id, "address": fix.after}
        for fix in fixes
        if fix.entity == "household"
    ]
    connection = session.connection()
    if phones:
        connection.execute(
            update(m)
            .where(m.c.id == bindparam("row_id"))
            .values(phone=bindparam("phone"), updated_at=bindparam("at")),
            phones,
        )
    if addresses:
        connection.execute(
            update(h).where(h.c.id == bindparam("row_id")).values(address=bindparam("address")),
            addresses,
        )
    for entity in ("member", "household"):
        audit.record_many(
            session,
            actor=writer.actor,
            at=writer.now,
            entity=entity,
            action="roll-corrected",
            reason=CORRECTED,
            parameter_version=version,
            entries=[
                (fix.entity_id, {"before": {fix.key: fix.before}, "after": {fix.key: fix.after}})
                for fix in fixes
                if fix.entity == entity
            ],
        )


def _assessments(plan: Plan, case: dict[str, Any], today: date) -> list[dict[str, Any]] | None:
    """The rules' assessment of the roll's facts, kept on the imported period when the roll
    pays an active case exactly what it gives (``benefits.assessments``): made on the import's
    day under the version in force, applying from the status's day. A roll amount the rules do
    not give is left unexplained (the import's notes say so), never dressed as an assessment."""
    assessed = plan.assessed
    if (
        assessed is None
        or case["status"] != CaseStatus.ACTIVE.value
        or not assessed.eligible
        or to_fen(assessed.monthly_amount) != case["monthly_amount_fen"]
    ):
        return None
    return [assessment_record(assessed, today, case["status_since"])]
