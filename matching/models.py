"""Matching tables: one job-seeker profile per member, and vacancies. Money is integer fen."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column
from sqlmodel import Field, SQLModel

from kernel.db import UTCDateTime


class SeekerProfile(SQLModel, table=True):
    """What a registered job seeker wants and can do. Activation writes it at registration
    (report 4 §五4: 求职登记 at the community or township labour office)."""

    __tablename__ = "seeker_profile"
    __table_args__ = (
        CheckConstraint("hours_per_week BETWEEN 1 AND 84", name="hours"),
        CheckConstraint("reservation_wage_fen >= 0", name="reservation_wage"),
    )

    member_id: int = Field(
        primary_key=True, foreign_key="member.id", sa_column_kwargs={"autoincrement": False}
    )
    labour_office: str = Field(max_length=120)
    desired_occupations: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    training_wishes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    hours_per_week: int
    shifts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    max_commute_km: float
    physical_limit: str = Field(max_length=12)  # none | no_heavy | light_only
    childcare: bool = False
    accepts_outside_county: bool = False
    reservation_wage_fen: int
    community: str = Field(max_length=120, index=True)
    lat: float | None = None
    lon: float | None = None
    work_capacity: str = Field(max_length=8)  # full | partial
    disability: str = Field(default="none", max_length=8)
    serious_illness: bool = False
    active: bool = Field(default=True, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Vacancy(SQLModel, table=True):
    """A job on offer through the public employment service (公共就业服务机构)."""

    __tablename__ = "vacancy"
    __table_args__ = (
        CheckConstraint("openings >= 0", name="openings"),
        CheckConstraint("monthly_wage_fen > 0", name="wage"),
        CheckConstraint("hours_per_week BETWEEN 1 AND 84", name="hours"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employer: str = Field(max_length=200)
    occupation_code: str = Field(max_length=10, index=True)
    title: str = Field(max_length=120)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    community: str = Field(max_length=120, index=True)
    lat: float | None = None
    lon: float | None = None
    monthly_wage_fen: int
    hours_per_week: int
    shift: str = Field(max_length=8)  # day | evening | night
    openings: int
    physical_demand: str = Field(max_length=8)  # light | medium | heavy
    source: str = Field(max_length=16)  # public_welfare | local_employer | outside_county
    valid_until: date = Field(index=True)
    labour_dispute: bool = False
    created_by: str = Field(max_length=160)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class VacancyRevision(SQLModel, table=True):
    """One row that changes whenever any vacancy does: database triggers (migration 0022) bump
    ``revision`` on every insert, update or delete, and recreate the row with a new ``token`` if
    it was ever emptied. A serve process keeps its ranking index of vacancies while this pair is
    unchanged (``matching.kept_index``), so a person's matches are not rebuilt from every
    vacancy per request, and no write path can forget to say that vacancies changed."""

    __tablename__ = "vacancy_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    revision: int
    token: str = Field(max_length=32)
