"""Request and response shapes of the training API (non-table SQLModels, so validation runs)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal, Self

from pydantic import field_validator, model_validator
from sqlmodel import Field, SQLModel

from kernel.messages import N_
from kernel.types import Day, Flag, Id, InputModel, Real, Whole, Yuan

Demand = Literal["light", "medium", "heavy"]
OutcomeKind = Literal["enrolled", "attended", "dropped", "completed", "certified", "placed"]
MAX_AMOUNT = 100_000  # yuan


class ProviderIn(InputModel):
    name: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["定远县职业技能培训中心"]}
    )
    contact: str = Field(default="", max_length=200, schema_extra={"examples": ["0550-4021234"]})


class ProviderOut(SQLModel):
    id: int = Field(schema_extra={"examples": [1]})
    name: str = Field(schema_extra={"examples": ["定远县职业技能培训中心"]})
    contact: str


class CourseIn(InputModel):
    provider_id: Id = Field(schema_extra={"examples": [1]})
    trade: str = Field(
        min_length=1,
        max_length=40,
        description="A trade code of the parameter training.trades (GET /api/v1/training/trades)",
        schema_extra={"examples": ["electric_sewing"]},
    )
    title: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["电动缝纫工培训班"]}
    )
    capacity: Whole = Field(ge=1, le=1000, schema_extra={"examples": [20]})
    starts_on: Day = Field(schema_extra={"examples": ["2026-03-09"]})
    ends_on: Day = Field(schema_extra={"examples": ["2026-04-17"]})
    sessions_total: Whole = Field(ge=1, le=1000, schema_extra={"examples": [30]})
    community: str = Field(min_length=1, max_length=120, schema_extra={"examples": ["东街社区"]})
    lat: Real | None = Field(default=None, ge=-90, le=90)
    lon: Real | None = Field(default=None, ge=-180, le=180)
    cost_per_trainee: Yuan = Field(
        ge=0, le=MAX_AMOUNT, max_digits=8, decimal_places=2, schema_extra={"examples": ["1200.00"]}
    )
    subsidy_per_trainee: Yuan = Field(
        ge=0, le=MAX_AMOUNT, max_digits=8, decimal_places=2, schema_extra={"examples": ["800.00"]}
    )
    physical_demand: Demand | None = Field(
        default=None, description="Defaults to the trade's (coal mining is heavy)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError(N_("ends_on is before starts_on"))
        if (self.lat is None) != (self.lon is None):
            raise ValueError(N_("give both lat and lon, or neither"))
        return self


class CourseOut(SQLModel):
    id: int = Field(schema_extra={"examples": [3]})
    provider_id: int
    trade: str
    trade_label: str
    title: str
    capacity: int
    seats_taken: int
    starts_on: date
    ends_on: date
    sessions_total: int
    community: str
    lat: float | None
    lon: float | None
    cost_per_trainee: str
    subsidy_per_trainee: str
    physical_demand: str


class EnrolmentIn(InputModel):
    member_id: Id = Field(schema_extra={"examples": [1]})
    enrolled_on: Day | None = Field(default=None, description="Defaults to today")


class EnrolmentOut(SQLModel):
    id: int = Field(schema_extra={"examples": [40]})
    course_id: int
    member_id: int
    status: str
    enrolled_on: date
    sessions_attended: int
    dropped_on: date | None
    drop_reason: str | None
    completed_on: date | None
    certified_on: date | None
    certificate_no: str | None
    placed_on: date | None
    employer: str | None
    occupation: str | None
    monthly_income: str | None
    hours_per_week: int | None


REPORT_ID = re.compile(r"[A-Za-z0-9._:/-]+")


class OutcomeIn(InputModel):
    """One report about one trainee. Which optional fields are needed depends on ``kind``:
    attended → sessions_attended (cumulative); dropped → reason; certified → certificate_no;
    placed → employer, occupation, monthly_income, hours_per_week (``on`` = the job's start)."""

    report_id: str = Field(
        min_length=1,
        max_length=80,
        description="The provider's own id for this report (letters, digits, . _ : / -); "
        "a replay returns the first result",
        schema_extra={"examples": ["2026-03-R0042"]},
    )
    course_id: Id

    @field_validator("report_id")
    @classmethod
    def _report_id_characters(cls, value: str) -> str:
        if not REPORT_ID.fullmatch(value):
            raise ValueError(N_("report id may hold only letters, digits and . _ : / -"))
        return value

    member_id: Id
    kind: OutcomeKind
    on: Day = Field(description="The day it happened; for a placement, the job's start date")
    sessions_attended: Whole | None = Field(default=None, ge=0, le=1000)
    reason: str | None = Field(default=None, min_length=1, max_length=500)
    certificate_no: str | None = Field(default=None, min_length=1, max_length=80)
    employer: str | None = Field(default=None, min_length=1, max_length=200)
    occupation: str | None = Field(
        default=None, min_length=1, max_length=120, description="CSCO code or free text"
    )
    monthly_income: Yuan | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, max_digits=8, decimal_places=2
    )
    hours_per_week: Whole | None = Field(default=None, ge=1, le=84)


OUTCOME_CSV_COLUMNS = tuple(OutcomeIn.model_fields)
OUTCOME_CSV_REQUIRED = ("report_id", "course_id", "member_id", "kind", "on")


class OutcomeBatchIn(InputModel):
    all_or_nothing: Flag = Field(
        default=False,
        description="Reject the whole batch (nothing written) if any report has a problem",
        schema_extra={"examples": [False]},
    )
    reports: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=5000,
        description="OutcomeIn objects; each is checked on its own so one bad report does not "
        "hide the others",
    )


class RowProblemOut(SQLModel):
    row: int = Field(description="JSON: the report's index; CSV: the line (the header is 1)")
    field: str | None
    rule: str
    message: str


class OutcomeResultOut(SQLModel):
    row: int
    report_id: str | None
    status: Literal["accepted", "replayed", "rejected"]
    enrolment_id: int | None = None
    enrolment_status: str | None = None
    problems: list[RowProblemOut] = Field(default_factory=list)


class OutcomeBatchOut(SQLModel):
    accepted: int = Field(schema_extra={"examples": [18]})
    replayed: int
    rejected: int
    results: list[OutcomeResultOut]


class RatesOut(SQLModel):
    enrolled: int
    dropped: int
    completed: int
    certified: int
    placed: int
    completion_rate_percent: str | None = Field(description="completed ÷ enrolled")
    certification_rate_percent: str | None = Field(description="certified ÷ completed")
    placement_rate_percent: str | None = Field(description="placed ÷ completed (输出比率)")
    placed_of_enrolled_percent: str | None = Field(description="placed ÷ enrolled, for reference")
    accountability_review: bool
    reward: bool
    flag: str | None
    denominator: str
    parameter_version: str


class SubsidyOut(SQLModel):
    per_trainee: str
    on_completion: str
    on_placement: str
    reward_bonus: str
    held_for_review: str
    payable: str
    parameter_version: str


class CourseRatesOut(SQLModel):
    course_id: int = Field(schema_extra={"examples": [3]})
    provider_id: int
    trade: str
    title: str
    ended: bool
    rates: RatesOut
    subsidy: SubsidyOut


class ProviderRatesOut(SQLModel):
    provider_id: int = Field(schema_extra={"examples": [1]})
    name: str
    rates: RatesOut
    subsidy_payable: str
    courses: list[CourseRatesOut]


class TradeOut(SQLModel):
    code: str = Field(schema_extra={"examples": ["electric_sewing"]})
    label: str = Field(schema_extra={"examples": ["电动缝纫"]})
    physical_demand: str
    occupations: list[str]
