"""Append an audit record in the caller's transaction: the record and the change land together."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from kernel.auth import Principal
from kernel.context import ServiceContext
from kernel.messages import Text, stored
from kernel.models import AuditRecord


def record(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    entity: str,
    entity_id: int | str,
    action: str,
    reason: str | Text = "",
    parameter_version: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """``reason`` is an officer's words, or the service's sentence as a ``Text`` (kept as data
    and read in the reader's language by the audit viewer, ``kernel.messages.words``)."""
    if isinstance(reason, Text):
        reason = stored(reason)
    entry = AuditRecord(
        at=at,
        actor=actor.label,
        actor_role=actor.role.value,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        reason=reason,
        parameter_version=parameter_version,
        details=details or {},
    )
    session.add(entry)
    return entry


def record_many(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    entity: str,
    action: str,
    entries: Iterable[tuple[int | str, dict[str, Any]]],
    reason: str | Text = "",
    parameter_version: str | None = None,
) -> None:
    """``record`` for a batch of the same action on many records (``entries``: each one's ID
    and details), in one batched INSERT: batch work writes no statement per record."""
    if isinstance(reason, Text):
        reason = stored(reason)
    rows = [
        {
            "at": at,
            "actor": actor.label,
            "actor_role": actor.role.value,
            "entity": entity,
            "entity_id": str(entity_id),
            "action": action,
            "reason": reason,
            "parameter_version": parameter_version,
            "details": details,
        }
        for entity_id, details in entries
    ]
    if rows:
        session.connection().execute(insert(AuditRecord.__table__), rows)  # type: ignore[attr-defined]


def note(
    ctx: ServiceContext,
    *,
    entity: str,
    entity_id: int | str,
    action: str,
    reason: str | Text = "",
    parameter_version: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """``record`` for a use case: who and when come from its context."""
    return record(
        ctx.session,
        actor=ctx.actor,
        at=ctx.now,
        entity=entity,
        entity_id=entity_id,
        action=action,
        reason=reason,
        parameter_version=parameter_version,
        details=details,
    )
