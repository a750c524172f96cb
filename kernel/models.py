"""Tables of the shared kernel: API tokens, the append-only audit log, human accounts and
their browser sessions, and job claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from kernel.db import UTCDateTime


class ApiToken(SQLModel, table=True):
    """A machine credential. Only a SHA-256 of the secret is kept; the secret is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    role: str = Field(max_length=32, index=True)
    provider_id: int | None = Field(default=None, index=True)
    office: str | None = Field(default=None, max_length=120)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditRecord(SQLModel, table=True):
    """Who changed what, when, why and under which parameter version.

    Append-only: database triggers (see the foundation migration) refuse UPDATE and DELETE.
    """

    __tablename__ = "audit_record"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=160)
    actor_role: str = Field(max_length=32)
    entity: str = Field(max_length=64)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=64)
    reason: str = Field(default="", max_length=2000)
    parameter_version: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class UserAccount(SQLModel, table=True):
    """A person who signs in to the pages. Only an argon2 hash of the password is kept.

    ``office`` is the community or township whose people a counsellor sees; ``provider_id``
    binds a training_provider account to its provider, as with API tokens.
    """

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=32, index=True)
    office: str | None = Field(default=None, max_length=120)
    provider_id: int | None = Field(default=None, index=True)
    password_hash: str = Field(max_length=200)
    language: str = Field(default="zh_CN", max_length=8)
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random id; the table keeps only its SHA-256,
    the CSRF token every form must echo, and when the session stops being valid."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class JobClaim(SQLModel, table=True):
    """A scheduled job's work for one period (a day, a month) is claimed once, for ever.

    The claim is written in the same transaction as the job's effects (ARCHITECTURE.md:
    every job is idempotent through a unique ``(job, period)`` claim), so a job fired twice,
    by two processes, or again by an operator does its work once; if the work fails the claim
    rolls back with it and the job can be tried again.
    """

    __tablename__ = "job_claim"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    period: str = Field(max_length=16)  # 2026-03-01 for a daily job, 2026-03 for a monthly one
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str = Field(max_length=160)


class TrainingClockRow(SQLModel, table=True):
    """How far a training copy's clock stands from the real one (kernel.training_clock).

    One row, shared by every process of the copy, so that moving the date forward moves it for
    the service, its workers, the scheduler and the command line alike."""

    __tablename__ = "training_clock"

    id: int = Field(default=1, primary_key=True)
    offset_seconds: int = Field(sa_type=BigInteger)
    moved_at: datetime = Field(sa_type=UTCDateTime)
    moved_by: str = Field(max_length=160)
