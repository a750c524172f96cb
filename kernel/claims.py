"""Claim a job's period inside the caller's transaction: the first claim wins, repeats are no-ops.

Uses the database's conflict handling on UNIQUE(job, period) rather than a read-then-write, so
two processes racing for the same claim cannot both win: on PostgreSQL the second insert waits
for the first transaction and then skips; on SQLite writers are serialised (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.db import insert_ignoring_conflicts
from kernel.models import JobClaim


def claim(session: Session, job: str, period: str, *, at: datetime, by: str) -> bool:
    """Record that ``job`` does its work for ``period`` in this transaction; False if already
    claimed (committed by someone else), so the caller must skip the work."""
    table = JobClaim.__table__  # type: ignore[attr-defined]
    statement = (
        insert_ignoring_conflicts(session.get_bind().dialect.name, table, ["job", "period"])
        .values(job=job, period=period, claimed_at=at, claimed_by=by)
        .returning(table.c.id)
    )
    return session.execute(statement).first() is not None


def claimed(session: Session, job: str, period: str) -> JobClaim | None:
    """The committed claim of ``job`` for ``period``, if any."""
    return session.scalars(
        select(JobClaim).where(JobClaim.job == job, JobClaim.period == period)
    ).first()
