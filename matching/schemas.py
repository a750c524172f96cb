"""Request and response shapes of the matching API (non-table SQLModels, so validation runs)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import field_validator, model_validator
from sqlmodel import Field, SQLModel

from kernel.messages import N_
from kernel.types import Day, Flag, InputModel, PatchModel, Real, Whole, Yuan
from matching.occupations import check_code

Shift = Literal["day", "evening", "night"]
PhysicalLimit = Literal["none", "no_heavy", "light_only"]
Demand = Literal["light", "medium", "heavy"]
Source = Literal["public_welfare", "local_employer", "outside_county"]
MAX_WAGE = 100_000  # yuan; beyond this a monthly wage is a typing error
_TAG_SPLIT = re.compile(r"[、;；|,，]")


def split_tags(value: str) -> list[str]:
    """CSV cells hold lists as 缝纫、熨烫 or 缝纫;熨烫."""
    return [t.strip() for t in _TAG_SPLIT.split(value) if t.strip()]


def _codes(values: list[str]) -> list[str]:
    problems = [p for p in (check_code(v) for v in values) if p]
    if problems:
        raise ValueError("; ".join(problems))
    if len(set(values)) != len(values):
        raise ValueError(N_("an occupation is listed twice"))
    return values


def _tags(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v or len(v) > 40 for v in cleaned):
        raise ValueError(N_("each skill is 1-40 characters"))
    return cleaned


class _Located(InputModel):
    community: str = Field(min_length=1, max_length=120, schema_extra={"examples": ["东街社区"]})
    lat: Real | None = Field(default=None, ge=-90, le=90, schema_extra={"examples": [32.53]})
    lon: Real | None = Field(default=None, ge=-180, le=180, schema_extra={"examples": [117.67]})

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError(N_("give both lat and lon, or neither"))
        return self


class SeekerPreferencesIn(_Located):
    """What the person wants and can do, as told to the labour office at registration."""

    desired_occupations: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="CSCO-2022 codes (GET /api/v1/matching/occupations)",
        schema_extra={"examples": [["6-05-01-03"]]},
    )
    skills: list[str] = Field(
        default_factory=list, max_length=30, schema_extra={"examples": [["缝纫", "熨烫"]]}
    )
    training_wishes: list[str] = Field(
        default_factory=list,
        max_length=9,
        description="Trade codes of the policy parameter training.trades",
        schema_extra={"examples": [["electric_sewing"]]},
    )
    hours_per_week: Whole = Field(ge=1, le=84, schema_extra={"examples": [40]})
    shifts: list[Shift] = Field(min_length=1, max_length=3, schema_extra={"examples": [["day"]]})
    max_commute_km: Real = Field(ge=0, le=500, schema_extra={"examples": [10]})
    physical_limit: PhysicalLimit = "none"
    childcare: Flag = Field(default=False, description="A childcare duty: day shifts only")
    accepts_outside_county: Flag = Field(
        default=False, description="Would consider work away from home (劳务输出)"
    )
    reservation_wage: Yuan = Field(
        default_factory=Decimal,
        ge=0,
        le=MAX_WAGE,
        max_digits=8,
        decimal_places=2,
        description="Monthly wage hoped for (yuan); lowers the score of jobs below it, never "
        "makes a job unsuitable",
        schema_extra={"examples": ["2000.00"]},
    )

    @field_validator("desired_occupations")
    @classmethod
    def _valid_codes(cls, value: list[str]) -> list[str]:
        return _codes(value)

    @field_validator("skills")
    @classmethod
    def _valid_tags(cls, value: list[str]) -> list[str]:
        return _tags(value)

    @field_validator("shifts")
    @classmethod
    def _distinct_shifts(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(N_("a shift is listed twice"))
        return value


class SeekerProfileIn(SeekerPreferencesIn):
    """A job-seeker profile: the preferences plus the office and the health facts that the
    member's record holds (activation fills these in from benefits at registration)."""

    labour_office: str = Field(
        min_length=1, max_length=120, schema_extra={"examples": ["定城镇劳动保障服务站"]}
    )
    work_capacity: Literal["full", "partial"] = "full"
    disability: Literal["none", "mild", "severe"] = "none"
    serious_illness: Flag = False
    active: Flag = True


class SeekerProfileOut(SQLModel):
    member_id: int
    labour_office: str
    desired_occupations: list[str]
    skills: list[str]
    training_wishes: list[str]
    hours_per_week: int
    shifts: list[str]
    max_commute_km: float
    physical_limit: str
    childcare: bool
    accepts_outside_county: bool
    reservation_wage: str = Field(schema_extra={"examples": ["2000.00"]})
    community: str
    lat: float | None
    lon: float | None
    work_capacity: str
    disability: str
    serious_illness: bool
    active: bool
    updated_at: datetime


class VacancyIn(_Located):
    employer: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["定远县华丰服装厂"]}
    )
    occupation_code: str = Field(schema_extra={"examples": ["6-05-01-03"]})
    title: str = Field(min_length=1, max_length=120, schema_extra={"examples": ["缝纫工"]})
    skills: list[str] = Field(
        default_factory=list, max_length=30, schema_extra={"examples": [["缝纫", "平车"]]}
    )
    monthly_wage: Yuan = Field(
        gt=0,
        le=MAX_WAGE,
        max_digits=8,
        decimal_places=2,
        description="Yuan per month, a decimal string",
        schema_extra={"examples": ["2400.00"]},
    )
    hours_per_week: Whole = Field(ge=1, le=84, schema_extra={"examples": [40]})
    shift: Shift = "day"
    openings: Whole = Field(ge=0, le=10_000, schema_extra={"examples": [3]})
    physical_demand: Demand = Field(schema_extra={"examples": ["light"]})
    source: Source = Field(
        default="local_employer",
        description="public_welfare 公益性岗位, local_employer, outside_county 劳务输出",
    )
    valid_until: Day = Field(schema_extra={"examples": ["2026-06-30"]})
    labour_dispute: Flag = Field(
        default=False, description="A strike or labour dispute at the employer: unsuitable"
    )

    @field_validator("occupation_code")
    @classmethod
    def _valid_code(cls, value: str) -> str:
        return _codes([value])[0]

    @field_validator("skills")
    @classmethod
    def _valid_tags(cls, value: list[str]) -> list[str]:
        return _tags(value)

    @classmethod
    def from_csv(cls, cells: dict[str, str]) -> VacancyIn:
        """A CSV row: lists in one cell, booleans as yes/no, 是/否, true/false or 1/0."""
        data: dict[str, Any] = dict(cells)
        if "skills" in data:
            data["skills"] = split_tags(data["skills"])
        if "labour_dispute" in data:
            data["labour_dispute"] = data["labour_dispute"].lower() in ("1", "true", "yes", "是")
        return cls.model_validate(data)


VACANCY_CSV_COLUMNS = (
    "employer",
    "occupation_code",
    "title",
    "skills",
    "community",
    "lat",
    "lon",
    "monthly_wage",
    "hours_per_week",
    "shift",
    "openings",
    "physical_demand",
    "source",
    "valid_until",
    "labour_dispute",
)
VACANCY_CSV_REQUIRED = (
    "employer",
    "occupation_code",
    "title",
    "community",
    "monthly_wage",
    "hours_per_week",
    "openings",
    "physical_demand",
    "valid_until",
)


class VacancyPatchIn(PatchModel):
    """Changes to a vacancy; fields left out stay as they are (none may be cleared)."""

    openings: Whole | None = Field(default=None, ge=0, le=10_000, schema_extra={"examples": [3]})
    valid_until: Day | None = None
    labour_dispute: Flag | None = None
    monthly_wage: Yuan | None = Field(
        default=None, gt=0, le=MAX_WAGE, max_digits=8, decimal_places=2
    )
    hours_per_week: Whole | None = Field(default=None, ge=1, le=84)
    shift: Shift | None = None


class VacancyOut(SQLModel):
    id: int
    employer: str
    occupation_code: str
    occupation_name: str
    title: str
    skills: list[str]
    community: str
    lat: float | None
    lon: float | None
    monthly_wage: str = Field(schema_extra={"examples": ["2400.00"]})
    hours_per_week: int
    shift: str
    openings: int
    physical_demand: str
    source: str
    valid_until: date
    labour_dispute: bool


class RowProblemOut(SQLModel):
    row: int = Field(description="CSV line number (the header is line 1)")
    field: str | None
    rule: str
    message: str


class VacancyImportOut(SQLModel):
    created: int = Field(schema_extra={"examples": [12]})
    ids: list[int]
    rejected: int
    problems: list[RowProblemOut]


class CheckOut(SQLModel):
    name: str
    passed: bool
    reason: str


class SuitabilityOut(SQLModel):
    suitable: bool = Field(schema_extra={"examples": [True]})
    rule: str
    member_id: int
    vacancy_id: int
    checked_on: date
    minimum_wage: str
    parameter_version: str | None
    failed: list[str]
    checks: list[CheckOut]


class MatchOut(SQLModel):
    member_id: int = Field(schema_extra={"examples": [12]})
    vacancy_id: int = Field(schema_extra={"examples": [7]})
    score: float = Field(description="0-1; only suitable pairs are ranked")
    title: str
    employer: str
    monthly_wage: str
    community: str
    fits: list[str] = Field(description="Why it fits, in plain words")
    misfits: list[str] = Field(description="What does not fit (never a hard-check failure)")
    suitability: SuitabilityOut


class OccupationOut(SQLModel):
    code: str = Field(schema_extra={"examples": ["4-07-01-01"]})
    name: str = Field(schema_extra={"examples": ["保洁员"]})
