"""Request and response shapes of the activation API."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, model_validator
from sqlmodel import Field, SQLModel

from kernel.messages import N_
from kernel.types import Day, Flag, Id, InputModel, Whole, Yuan
from matching.schemas import SeekerPreferencesIn

GoodReasonCode = Literal[
    "illness",
    "caring",
    "transport",
    "unsuitable_in_fact",
    "hours_conflict",
    "wage_below_stated",
    "discrimination",
    "other",
    "none",
]
VulnerabilityFactor = Literal[
    "children_at_risk",
    "mental_health",
    "disability",
    "debt",
    "homelessness",
    "domestic_violence",
    "other",
]


class RegistrationIn(SeekerPreferencesIn):
    """Registration at a community or township labour office (report 4 §五4) with what the
    person wants and can do; health facts come from the member's record."""

    office: str = Field(
        min_length=1, max_length=120, schema_extra={"examples": ["东街社区劳动保障服务站"]}
    )
    registered_on: Day | None = Field(default=None, description="Defaults to today")
    community: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="Where the person lives; defaults to the household's community",
    )


class RegistrationOut(SQLModel):
    id: int = Field(schema_extra={"examples": [5]})
    member_id: int
    office: str
    registered_on: date
    registered_by: str
    profile: dict[str, Any] = Field(description="The job-seeker profile matching uses")


class DutyOut(SQLModel):
    member_id: int = Field(schema_extra={"examples": [12]})
    name: str
    national_id_masked: str
    household_id: int
    community: str
    obligated: bool = Field(schema_extra={"examples": [True]})
    rule: str = Field(schema_extra={"examples": ["must-register"]})
    reason: str
    age: int
    parameter_version: str
    registered: bool
    obligated_since: date | None
    deadline: date | None


class ReferralIn(InputModel):
    """A referral to one vacancy or one course place, never both."""

    member_id: Id = Field(schema_extra={"examples": [12]})
    vacancy_id: Id | None = Field(default=None, schema_extra={"examples": [7]})
    course_id: Id | None = Field(default=None, schema_extra={"examples": [None]})
    channel: Literal["in_person", "phone", "sms"] = Field(
        default="in_person",
        description="In person or by phone the counsellor confirms the offer reached the person; "
        "by SMS only a delivery receipt does",
        schema_extra={"examples": ["in_person"]},
    )
    referred_on: Day | None = Field(default=None, description="Defaults to today")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.vacancy_id is None) == (self.course_id is None):
            raise ValueError(N_("give exactly one of vacancy_id and course_id"))
        return self


class ReferralOut(SQLModel):
    id: int = Field(schema_extra={"examples": [31]})
    member_id: int
    kind: str
    code: str = Field(schema_extra={"examples": ["K7QH"]})
    offer: dict[str, Any]
    referred_on: date
    answer_due_on: date
    channel: str
    delivered: bool
    delivery_note: str | None = Field(
        default=None,
        description="How the offer was known to reach the person, in the reader's language",
        schema_extra={"examples": ["由就业援助员当面告知"]},
    )
    suitable: bool = Field(schema_extra={"examples": [True]})
    suitability: dict[str, Any]
    made_by: str
    state: str = Field(schema_extra={"examples": ["open"]})
    answered_on: date | None
    answer_channel: str | None
    decline_reason: str | None
    review: dict[str, Any] | None
    refusal_counted: bool


class AnswerIn(InputModel):
    answer: Literal["accepted", "declined", "no_answer", "not_hired"] = Field(
        schema_extra={"examples": ["declined"]}
    )
    reason: str = Field(
        default="",
        max_length=2000,
        description="The person's stated reason for a decline",
        schema_extra={"examples": ["孩子生病, 需要在家照顾"]},
    )
    answered_on: Day | None = Field(default=None, description="Defaults to today")


class DeliveryIn(InputModel):
    confirmed_on: Day | None = Field(default=None, schema_extra={"examples": ["2026-03-03"]})
    how: Literal["in_person", "phone", "sms_receipt"] = Field(schema_extra={"examples": ["phone"]})
    note: str = Field(default="", max_length=300)


class GoodReasonDecisionIn(InputModel):
    good_reason: Flag = Field(schema_extra={"examples": [False]})
    decided_on: Day | None = Field(
        default=None,
        description="The day the review was decided, when it is recorded later (not before the "
        "answer, not after today); defaults to today",
        schema_extra={"examples": ["2026-03-06"]},
    )
    doubt: Flag = Field(
        default=False, description="Unsure: the benefit of the doubt makes it a good reason"
    )
    reason_code: GoodReasonCode = Field(default="none", schema_extra={"examples": ["none"]})
    notes: str = Field(
        min_length=2,
        max_length=2000,
        schema_extra={"examples": ["岗位与其技能和时间相符, 无正当理由"]},
    )


class EvidenceIn(InputModel):
    text: str = Field(
        min_length=1,
        max_length=2000,
        schema_extra={"examples": ["医院诊断证明: 腰椎间盘突出, 不宜久站"]},
    )
    received_on: Day | None = None
    source: Literal["person", "sms", "counsellor", "third_party"] = "person"


class VulnerabilityReviewIn(InputModel):
    proceed: Flag = Field(schema_extra={"examples": [True]})
    factors: list[VulnerabilityFactor] = Field(
        default_factory=list, schema_extra={"examples": [[]]}
    )
    findings: str = Field(
        min_length=2,
        max_length=4000,
        schema_extra={"examples": ["家中无未成年人, 无重病, 无其他脆弱因素"]},
    )


class SanctionDecisionIn(InputModel):
    confirm: Flag = Field(schema_extra={"examples": [True]})
    reason: str = Field(
        min_length=2,
        max_length=2000,
        schema_extra={"examples": ["两次无正当理由拒绝适当岗位, 经复核确认"]},
    )
    despite_vulnerability: str | None = Field(
        default=None,
        max_length=2000,
        description="Required to confirm when the vulnerability review found a factor: why the "
        "sanction goes ahead all the same",
        schema_extra={"examples": ["子女由祖父母照料，停发期间已转介临时救助"]},
    )
    decided_on: Day | None = Field(
        default=None,
        description="The day the decision was taken, when it is recorded later (not before the "
        "proposal or the vulnerability review, not after today); defaults to today. The duty, "
        "the parameters and the notice period are those of that day.",
        schema_extra={"examples": ["2026-04-06"]},
    )


class AppealIn(InputModel):
    lodged_on: Day | None = None
    grounds: str = Field(
        min_length=2,
        max_length=4000,
        schema_extra={"examples": ["第二个岗位需夜班, 本人需照顾幼儿"]},
    )


class AppealDecisionIn(InputModel):
    upheld: Flag = Field(schema_extra={"examples": [True]})
    reasons: str = Field(
        min_length=2,
        max_length=4000,
        schema_extra={"examples": ["岗位要求夜班, 与照护义务冲突, 不属适当岗位"]},
    )
    decided_on: Day | None = Field(
        default=None,
        description="The day the appeal was decided, when it is recorded later (not before it "
        "was lodged, not after today); defaults to today. An upheld appeal restores payment "
        "from that day; months already paid since are settled by the next payment run.",
        schema_extra={"examples": ["2026-05-01"]},
    )


class SanctionOut(SQLModel):
    id: int = Field(schema_extra={"examples": [4]})
    member_id: int
    household_id: int
    case_id: int | None
    application_id: int | None
    state: str = Field(schema_extra={"examples": ["proposed"]})
    proposed_on: date
    proposed_by: str
    referral_ids: list[int]
    vulnerability_review: dict[str, Any] | None
    confirmed_by: str | None
    confirmed_on: date | None
    terms: dict[str, Any] | None
    notice: dict[str, Any] | None
    started_on: date | None
    complied_on: date | None
    resumes_on: date | None
    ended_on: date | None
    closed_reason: str | None
    appeals: list[dict[str, Any]]


class WarningOut(SQLModel):
    id: int
    kind: str = Field(schema_extra={"examples": ["refusal"]})
    issued_on: date
    text: str
    refusal_count: int | None


class TaskOut(SQLModel):
    id: int = Field(schema_extra={"examples": [8]})
    member_id: int
    kind: str = Field(schema_extra={"examples": ["good_reason_review"]})
    ref: str
    due_on: date
    state: str
    note: str


class DecisionOut(SQLModel):
    id: int = Field(schema_extra={"examples": [15]})
    member_id: int
    kind: str = Field(schema_extra={"examples": ["refusal-count"]})
    ref: str
    decided_on: date
    actor: str
    inputs: dict[str, Any]
    rule_path: list[str]
    outcome: dict[str, Any]
    parameter_version: str


class ReplayOut(SQLModel):
    decision_id: int = Field(schema_extra={"examples": [15]})
    agrees: bool = Field(schema_extra={"examples": [True]})
    stored: dict[str, Any]
    replayed: dict[str, Any]


class PersonActivationOut(SQLModel):
    duty: DutyOut
    registration: RegistrationOut | None
    referrals: list[ReferralOut]
    warnings: list[WarningOut]
    sanctions: list[SanctionOut]
    open_tasks: list[TaskOut]


class SweepOut(SQLModel):
    on: date = Field(schema_extra={"examples": ["2026-03-12"]})
    results: dict[str, int] = Field(schema_extra={"examples": [{"sanctions_started": 1}]})


class CourseMatchOut(SQLModel):
    course_id: int = Field(schema_extra={"examples": [3]})
    title: str = Field(schema_extra={"examples": ["电动缝纫工培训班"]})
    trade: str
    starts_on: date
    seats_left: int
    score: float
    fits: list[str]
    misfits: list[str]


class PersonMatchesOut(SQLModel):
    """The best suitable vacancies and courses for a person, each explained."""

    member_id: int = Field(schema_extra={"examples": [12]})
    vacancies: list[dict[str, Any]]
    courses: list[CourseMatchOut]


EndReason = Literal[
    "contract_ended",
    "laid_off",
    "quit",
    "health",
    "dismissed_misconduct",
    "employer_closed",
    "other",
]


class JobStartIn(InputModel):
    member_id: Id = Field(schema_extra={"examples": [12]})
    employer: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["定远县华丰服装厂"]}
    )
    occupation: str = Field(min_length=1, max_length=120, schema_extra={"examples": ["6-05-01-03"]})
    starts_on: Day = Field(schema_extra={"examples": ["2026-03-10"]})
    monthly_income: Yuan = Field(
        ge=0, le=100000, max_digits=8, decimal_places=2, schema_extra={"examples": ["650.00"]}
    )
    hours_per_week: Whole | None = Field(default=None, ge=1, le=84, schema_extra={"examples": [40]})


class HiredIn(InputModel):
    """The employer confirmed an accepted referral: the job starts."""

    starts_on: Day = Field(schema_extra={"examples": ["2026-03-10"]})
    monthly_income: Yuan = Field(
        ge=0, le=100000, max_digits=8, decimal_places=2, schema_extra={"examples": ["1200.00"]}
    )
    hours_per_week: Whole | None = Field(default=None, ge=1, le=84)


class JobIncomeIn(InputModel):
    monthly_income: Yuan = Field(
        ge=0, le=100000, max_digits=8, decimal_places=2, schema_extra={"examples": ["900.00"]}
    )
    effective_from: Day = Field(schema_extra={"examples": ["2026-05-01"]})


class JobEndIn(InputModel):
    ended_on: Day = Field(schema_extra={"examples": ["2026-06-15"]})
    reason: EndReason = Field(schema_extra={"examples": ["laid_off"]})
    reported_on: Day | None = Field(
        default=None, description="When the person told the office; defaults to today"
    )
    declared_changes: str = Field(
        default="",
        max_length=2000,
        description="Only what changed since the exit (fast re-entry)",
        schema_extra={"examples": ["工厂停产, 本人失业; 家庭其他情况无变化"]},
    )


class JobOut(SQLModel):
    id: int = Field(schema_extra={"examples": [4]})
    member_id: int
    household_id: int
    employer: str
    occupation: str
    starts_on: date
    ends_on: date | None
    end_reason: str | None
    monthly_income: str
    hours_per_week: int | None
    source: str
    continuation: dict[str, Any] | None
    reentry: dict[str, Any] | None = None


class TimelineEntry(SQLModel):
    on: date = Field(schema_extra={"examples": ["2026-03-10"]})
    kind: str = Field(schema_extra={"examples": ["job_started"]})
    title: str
    detail: str
    ref: str


class EmploymentFileOut(SQLModel):
    """One timeline per person (report 4 §五4: 建立低保人口就业档案)."""

    member_id: int = Field(schema_extra={"examples": [12]})
    name: str
    national_id_masked: str
    entries: list[TimelineEntry]


ContactKind = Literal["note", "phone", "visit", "office", "letter"]


class ContactNoteIn(InputModel):
    """A contact with the person, or a note on the case, written down on or after its day."""

    kind: ContactKind = Field(schema_extra={"examples": ["phone"]})
    on: Day = Field(schema_extra={"examples": ["2026-03-02"]})
    text: str = Field(
        min_length=2, max_length=2000, schema_extra={"examples": ["电话联系，本人下周一来站"]}
    )


_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _clock_time(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError(N_("a time of day as HH:MM, like 09:30"))
    return value


ClockTime = Annotated[str, AfterValidator(_clock_time)]


class AppointmentIn(InputModel):
    """A time and place to see the person; a text reminder goes the day before by default."""

    on: Day = Field(schema_extra={"examples": ["2026-03-09"]})
    time: ClockTime = Field(schema_extra={"examples": ["09:30"]})
    place: str = Field(min_length=2, max_length=200, schema_extra={"examples": ["东街社区服务站"]})
    purpose: str = Field(default="", max_length=500)
    remind: bool = True


AppointmentOutcome = Literal["attended", "missed", "cancelled"]
