"""Oversight alerts as tasks for the roles that own them (issue 17).

An alert on a page is seen only by whoever opens the page. Each alert of a month is also a task,
once per month, alert and subject, for the role that must act on it:

- a check that must never fire belongs to the **admins**: the cases behind it are theirs to
  read and put right (a stop confirmed by nobody, a notice never sent);
- a pattern — a group's ratio, an office above the median, appeals upheld too often — belongs
  to the **supervisors**, who take it up with the office, as Denmark's municipalities discuss
  their outliers (POLICY.md, rule 3's safeguards).

The daily job raises them for this month and the last (work is often recorded days late, so a
month's alerts can appear after it ended); a task stays open until a person of its role closes
it with a note of what was done, even if the alert stops firing meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from activation.models import OversightTask
from activation.oversight.alerts import Limits
from activation.oversight.report import oversight_report
from benefits.payment_rules import Month
from kernel import audit
from kernel.auth import Principal, Role
from kernel.context import ServiceContext
from kernel.db import insert_ignoring_conflicts
from kernel.errors import Conflict, InvalidInput, NotFound, Problem, missing
from kernel.messages import say
from kernel.policy import PolicyBook

NOTE_MAX = 1000
STATES = ("open", "done")


def owner_of(alert: dict[str, Any]) -> Role:
    """The role an alert is work for: the never-fire checks the admins', patterns the
    supervisors'."""
    return Role.ADMIN if alert.get("zero_tolerance") else Role.SUPERVISOR


def subject_of(alert: dict[str, Any]) -> str:
    """What an alert is about within its month: a group (``sex:female``), an office
    (``community:北街社区``) or everyone (``all``, the checks and the appeals)."""
    dimension = alert.get("dimension")
    if not dimension or dimension == "all":
        return "all"
    return f"{dimension}:{alert['group']}"


def raise_tasks(
    session: Session,
    book: PolicyBook,
    months: Sequence[Month],
    limits: Limits,
    *,
    actor: Principal,
    now: datetime,
) -> int:
    """The months' alerts (county-wide) as tasks, the ones already raised left as they are.
    Returns how many were new. The caller commits."""
    wanted: list[dict[str, Any]] = []
    for month in months:
        report = oversight_report(session, book, month, limits)
        for alert in report["alerts"]:
            wanted.append(
                {
                    "month": month.label,
                    "alert": alert["alert"],
                    "subject": subject_of(alert),
                    "owner": owner_of(alert).value,
                    "facts": {k: v for k, v in alert.items() if k != "refs"},
                    "state": "open",
                    "opened_at": now,
                    "note": "",
                }
            )
    if not wanted:
        return 0
    labels = [month.label for month in months]
    before = _raised(session, labels)
    session.execute(
        insert_ignoring_conflicts(
            session.get_bind().dialect.name,
            OversightTask.__table__,  # type: ignore[attr-defined]
            ["month", "alert", "subject"],
        ),
        wanted,
    )
    new = _raised(session, labels) - before
    if new:
        rows = session.exec(
            select(OversightTask).where(
                col(OversightTask.month).in_(labels), col(OversightTask.id).in_(sorted(new))
            )
        )
        audit.record_many(
            session,
            actor=actor,
            at=now,
            entity="oversight_task",
            action="raised",
            entries=[
                (task.id or 0, {"month": task.month, "alert": task.alert, "owner": task.owner})
                for task in rows
            ],
        )
    return len(new)


def _raised(session: Session, labels: list[str]) -> set[int]:
    return set(
        session.exec(select(OversightTask.id).where(col(OversightTask.month).in_(labels))).all()
    )  # type: ignore[arg-type]


def tasks_for(
    session: Session, role: Role, state: str = "open", month: str | None = None
) -> list[OversightTask]:
    """The tasks a role owns, newest month first."""
    query = select(OversightTask).where(
        OversightTask.owner == role.value, OversightTask.state == state
    )
    if month:
        query = query.where(OversightTask.month == month)
    return list(
        session.exec(query.order_by(col(OversightTask.month).desc(), col(OversightTask.id)))
    )


def close_task(ctx: ServiceContext, task_id: int, note: str) -> OversightTask:
    """Close a task of the actor's role with what was done, and commit. Another role's task is
    not found (as another office's person is not); a closed one is a conflict."""
    session, actor = ctx.session, ctx.actor
    task = session.get(OversightTask, task_id, with_for_update=True)
    if task is None or task.owner != actor.role.value:
        raise NotFound(missing("task_id", task_id))
    text = (note or "").strip()
    if not text:
        raise InvalidInput(Problem("note", "required", say("say what was done")))
    if len(text) > NOTE_MAX:
        raise InvalidInput(
            Problem("note", "too-long", say("must be at most %(n)s characters", n=NOTE_MAX))
        )
    if task.state != "open":
        raise Conflict(Problem("state", "already-closed", say("this task is already closed")))
    task.state, task.note, task.closed_by, task.closed_at = "done", text, actor.label, ctx.now
    session.add(task)
    audit.record(
        session,
        actor=actor,
        at=ctx.now,
        entity="oversight_task",
        entity_id=task_id,
        action="closed",
        reason=text,
        details={"month": task.month, "alert": task.alert},
    )
    session.commit()
    session.refresh(task)
    return task
