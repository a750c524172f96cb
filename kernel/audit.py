"""Append an audit record in the caller's transaction: the record and the change land together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
