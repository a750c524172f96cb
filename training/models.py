"""Training tables. Money is integer fen; dates are office calendar days; instants are UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from kernel.db import UTCDateTime


class TrainingProvider(SQLModel, table=True):
    __tablename__ = "training_provider"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    contact: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Course(SQLModel, table=True):
    """A course in one of report 4's trades (parameter training.trades)."""

    __tablename__ = "course"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint("sessions_total > 0", name="sessions"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="training_provider.id", index=True)
    trade: str = Field(max_length=40, index=True)
    title: str = Field(max_length=200)
    capacity: int
    starts_on: date
    ends_on: date
    sessions_total: int
    community: str = Field(max_length=120)
    lat: float | None = None
    lon: float | None = None
    cost_per_trainee_fen: int
    subsidy_per_trainee_fen: int
    physical_demand: str = Field(max_length=8)  # light | medium | heavy
    created_by: str = Field(max_length=160)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Enrolment(SQLModel, table=True):
    """A person on a course, with each milestone's day (None until reached)."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("course_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(max_length=12, index=True)
    enrolled_on: date
    sessions_attended: int = 0
    dropped_on: date | None = None
    drop_reason: str | None = Field(default=None, max_length=500)
    completed_on: date | None = None
    certified_on: date | None = None
    certificate_no: str | None = Field(default=None, max_length=80)
    placed_on: date | None = None  # the job's start date
    employer: str | None = Field(default=None, max_length=200)
    occupation: str | None = Field(default=None, max_length=120)
    monthly_income_fen: int | None = None
    hours_per_week: int | None = None
    enrolled_by: str = Field(max_length=160)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class OutcomeReport(SQLModel, table=True):
    """A provider's report as received, keyed by the provider's own report id so a replay
    returns the original result (the unique constraint makes that hold under concurrency)."""

    __tablename__ = "outcome_report"
    __table_args__ = (UniqueConstraint("provider_id", "report_id"),)

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="training_provider.id")
    report_id: str = Field(max_length=80)
    enrolment_id: int = Field(foreign_key="enrolment.id", index=True)
    kind: str = Field(max_length=12)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    payload_hash: str = Field(max_length=64)
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=160)
