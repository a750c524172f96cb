"""Helpers every activation use case shares: tasks, stored decisions, loading with locks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from sqlmodel import Session, col, select

from activation import rules
from activation.models import (
    ActivationDecision,
    ActivationDecisionKey,
    Referral,
    Registration,
    Task,
)
from benefits.models import (
    Application,
    BenefitCase,
    Household,
    Member,
)
from benefits.offices import members_in
from benefits.rules import CaseStatus
from benefits.services import LIVE_CASE_STATUSES, OPEN_APPLICATION_STATES
from kernel.context import ServiceContext
from kernel.db import insert_ignoring_conflicts
from kernel.errors import Conflict, Gone, InvalidInput, NotFound, Problem, missing
from kernel.messages import Text, say, stored
from kernel.visibility import office_of

OPEN_SANCTION_STATES = ("proposed", "confirmed", "active")


RUNNING = (CaseStatus.ACTIVE, CaseStatus.CONTINUATION_FULL, CaseStatus.CONTINUATION_HALF)


def not_future(ctx: ServiceContext, field: str, day: date) -> None:
    if day > ctx.today:
        raise InvalidInput(
            Problem(
                field,
                "not-in-future",
                say("%(field)s %(day)s is after today", field=field, day=day.isoformat()),
            )
        )


def open_task(
    ctx: ServiceContext, member_id: int, kind: str, ref: str, due_on: date, note: Text | None = None
) -> None:
    """Open a task once per (kind, ref); a task that already exists is left as it is. Its note
    is kept as data and read in the reader's language."""
    exists = ctx.session.exec(select(Task.id).where(Task.kind == kind, Task.ref == ref)).first()
    if exists is None:
        ctx.session.add(
            Task(
                member_id=member_id,
                kind=kind,
                ref=ref,
                due_on=due_on,
                note=stored(note) if note else "",
                created_at=ctx.now,
            )
        )


@dataclass(frozen=True)
class NewTask:
    member_id: int
    kind: str
    ref: str
    due_on: date
    note: Text | None = None


def open_tasks_once(ctx: ServiceContext, tasks: Sequence[NewTask]) -> None:
    """``open_task`` for many at once, as one statement: the unique rule on (kind, ref) skips
    the ones that exist. For the daily sweep, which may open a task for every member of a
    county on its first day."""
    if not tasks:
        return
    ctx.session.flush()  # tasks added one by one earlier in the transaction count as existing
    table = Task.__table__  # type: ignore[attr-defined]
    dialect = ctx.session.get_bind().dialect.name
    ctx.session.execute(
        insert_ignoring_conflicts(dialect, table, ["kind", "ref"]),
        [
            {
                "member_id": task.member_id,
                "kind": task.kind,
                "ref": task.ref,
                "due_on": task.due_on,
                "state": "open",
                "note": stored(task.note) if task.note else "",
                "created_at": ctx.now,
            }
            for task in tasks
        ],
    )


def close_tasks(ctx: ServiceContext, ref: str, kinds: Sequence[str] | None = None) -> None:
    query = select(Task).where(Task.ref == ref, Task.state == "open")
    if kinds:
        query = query.where(col(Task.kind).in_(list(kinds)))
    for task in ctx.session.exec(query):
        task.state = "done"
        task.closed_at = ctx.now


def record_decision(
    ctx: ServiceContext,
    *,
    member_id: int,
    kind: str,
    ref: str,
    inputs: dict[str, Any],
    rule_path: Sequence[str],
    outcome: dict[str, Any],
    parameter_version: str,
    on: date | None = None,
) -> ActivationDecision:
    decision = ActivationDecision(
        **decision_values(
            ctx,
            member_id=member_id,
            kind=kind,
            ref=ref,
            inputs=inputs,
            rule_path=rule_path,
            outcome=outcome,
            parameter_version=parameter_version,
            on=on,
        )
    )
    ctx.session.add(decision)
    ctx.session.flush()
    # Its key, for the rows that will cite it (models.ActivationDecisionKey).
    ctx.session.add(ActivationDecisionKey(id=decision.id, decided_at=decision.decided_at))
    ctx.session.flush()
    return decision


def decision_values(
    ctx: ServiceContext,
    *,
    member_id: int,
    kind: str,
    ref: str,
    inputs: dict[str, Any],
    rule_path: Sequence[str],
    outcome: dict[str, Any],
    parameter_version: str,
    on: date | None = None,
) -> dict[str, Any]:
    """A decision's row: what ``record_decision`` stores, for writing many in one statement."""
    return {
        "member_id": member_id,
        "kind": kind,
        "ref": ref,
        "decided_on": on or ctx.today,
        "decided_at": ctx.now,
        "actor": ctx.actor.label,
        "inputs": inputs,
        "rule_path": list(rule_path),
        "outcome": outcome,
        "parameter_version": parameter_version,
    }


def insert_rows(ctx: ServiceContext, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Write many rows of one table in one statement (executemany), in the session's
    transaction: the daily sweep's decisions and duties, which need no ids back."""
    if rows:
        ctx.session.execute(model.__table__.insert(), list(rows))


def person_facts(member: Member) -> rules.PersonFacts:
    return rules.PersonFacts(
        sex=member.sex,
        birth_date=member.birth_date,
        work_capacity=member.work_capacity,
        disability=member.disability,
        serious_illness=member.serious_illness,
        carer=member.carer,
        pregnant=member.pregnant,
        student=member.student,
        three_nos=member.three_nos,
    )


def member_or_404(ctx: ServiceContext, member_id: int, *, lock: bool = False) -> Member:
    """The person; ``lock`` reads the row FOR UPDATE on PostgreSQL, for a use case that must be
    the only one creating something for the person (their registration, which has no row to
    lock before it exists)."""
    member = ctx.session.get(Member, member_id, with_for_update=lock)
    if member is None:
        raise NotFound(missing("member_id", member_id))
    return member


def lock_person(ctx: ServiceContext, member_id: int) -> Registration:
    registration = ctx.session.exec(
        select(Registration).where(Registration.member_id == member_id).with_for_update()
    ).first()
    if registration is None:
        raise Conflict(
            Problem("member_id", "registered", "the person is not registered as a job seeker")
        )
    return registration


def household_of(ctx: ServiceContext, member: Member) -> Household:
    household = ctx.session.get(Household, member.household_id)
    assert household is not None
    return household


def get_referral(ctx: ServiceContext, referral_id: int, *, lock: bool = False) -> Referral:
    query = select(Referral).where(Referral.id == referral_id)
    if lock:
        query = query.with_for_update()
    referral = ctx.session.exec(query).first()
    if referral is None:
        raise NotFound(missing("referral_id", referral_id))
    return referral


def live_case(session: Session, household_id: int) -> BenefitCase | None:
    return session.exec(
        select(BenefitCase).where(
            BenefitCase.household_id == household_id,
            col(BenefitCase.status).in_([s.value for s in LIVE_CASE_STATUSES]),
        )
    ).first()


def open_application(session: Session, household_id: int) -> Application | None:
    return session.exec(
        select(Application).where(
            Application.household_id == household_id,
            col(Application.state).in_([s.value for s in OPEN_APPLICATION_STATES]),
        )
    ).first()


def stored_decision(ctx: ServiceContext, decision_id: int) -> ActivationDecision:
    """A decision from the live database. One whose month was archived (its partition
    detached, docs/DEPLOYMENT.md) is still known by its key: 410 with the instant it was
    recorded, so whoever asks knows to restore that month rather than doubt the id. Only an
    account without an office gets that far — an office's visibility finds no person behind an
    archived decision and answers 404, as for any id it cannot see."""
    decision = ctx.session.get(ActivationDecision, decision_id)
    if decision is not None:
        return decision
    key = ctx.session.get(ActivationDecisionKey, decision_id)
    if key is None:
        raise NotFound(missing("decision_id", decision_id))
    raise Gone(
        Problem(
            "decision_id",
            "archived",
            say(
                "decision %(id)s was recorded at %(at)s and its month has been archived; "
                "restore that month from the archive to read or replay it",
                id=decision_id,
                at=key.decided_at.astimezone(UTC).isoformat(timespec="seconds"),
            ),
        )
    )


def replay_decision(
    ctx: ServiceContext, decision_id: int
) -> tuple[ActivationDecision, dict[str, Any]]:
    decision = stored_decision(ctx, decision_id)
    params = ctx.policy.version(decision.parameter_version)
    return decision, rules.replay(decision.kind, decision.inputs, params)


def open_tasks(ctx: ServiceContext, kind: str | None, limit: int, offset: int) -> list[Task]:
    """Open tasks, of the actor's office only."""
    query = select(Task).where(Task.state == "open")
    if office := office_of(ctx.actor):
        query = query.where(col(Task.member_id).in_(members_in(office)))
    if kind:
        query = query.where(Task.kind == kind)
    return list(
        ctx.session.exec(query.order_by(col(Task.due_on), col(Task.id)).limit(limit).offset(offset))
    )
