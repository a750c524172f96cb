"""Activation tables. Person-level rows key on member_id (benefits' member table)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from kernel.db import UTCDateTime


def _json(**kwargs: Any) -> Any:
    return Field(sa_column=Column(JSON, nullable=False), **kwargs)


class RegistrationDuty(SQLModel, table=True):
    """A period during which a person must register as a job seeker (report 4 §五4)."""

    __tablename__ = "registration_duty"
    __table_args__ = (
        Index(
            "uq_registration_duty_open",
            "member_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    obligated_since: date
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=2000)
    assessment: dict[str, Any] = _json(default_factory=dict)
    parameter_version: str = Field(max_length=64)
    reminded_on: date | None = None
    warned_on: date | None = None


class Registration(SQLModel, table=True):
    """Job-seeker registration at a community or township labour office; what the person
    wants and can do lives in matching's seeker profile, kept in step by registration.

    The row is also the person's lock: use cases that count refusals take it FOR UPDATE, so
    two counsellors answering at once are serialised per person.
    """

    __tablename__ = "registration"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    office: str = Field(max_length=120, index=True)
    registered_on: date
    registered_by: str = Field(max_length=160)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Referral(SQLModel, table=True):
    """A concrete offer from the public employment service, with its suitability check."""

    __tablename__ = "referral"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=16)  # vacancy | course
    target_id: int | None = None
    offer: dict[str, Any] = _json(default_factory=dict)  # snapshot of what was offered
    code: str = Field(max_length=8, unique=True)  # the offer code used in SMS answers
    referred_on: date
    answer_due_on: date
    channel: str = Field(max_length=16)  # in_person | phone | sms
    delivered: bool = False
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivery_note: str | None = Field(default=None, max_length=1000)
    suitable: bool
    suitability: dict[str, Any] = _json(default_factory=dict)
    made_by: str = Field(max_length=160)
    state: str = Field(max_length=16, index=True)
    answered_on: date | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by: str | None = Field(default=None, max_length=160)
    answer_channel: str | None = Field(default=None, max_length=16)
    decline_reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(sa_type=UTCDateTime)


class GoodReasonReview(SQLModel, table=True):
    """The person's chance to explain a decline; benefit of the doubt goes to them."""

    __tablename__ = "good_reason_review"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    opened_on: date
    state: str = Field(max_length=16)  # pending | decided
    good_reason: bool | None = None
    reason_code: str | None = Field(default=None, max_length=32)
    notes: str | None = Field(default=None, max_length=2000)
    decided_by: str | None = Field(default=None, max_length=160)
    decided_on: date | None = None
    evidence: list[dict[str, Any]] = _json(default_factory=list)


class Refusal(SQLModel, table=True):
    """A counted refusal. One per referral, enforced by the database, so it never counts twice."""

    __tablename__ = "refusal"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    counted_on: date
    decision_id: int = Field(foreign_key="activation_decision_key.id")
    voided_on: date | None = None
    void_reason: str | None = Field(default=None, max_length=500)


class Warning(SQLModel, table=True):
    __tablename__ = "activation_warning"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=16)  # refusal | registration
    issued_on: date
    # Only warnings written before they were kept as words (``said``) have a text: English, as
    # it was written then (migration 0039).
    text: str | None = Field(default=None, max_length=2000)
    said: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # kernel.messages
    refusal_count: int | None = None
    decision_id: int | None = Field(default=None, foreign_key="activation_decision_key.id")


class Sanction(SQLModel, table=True):
    """A proposed, then (by a second officer) confirmed stop of payment, and its way back."""

    __tablename__ = "sanction"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="benefit_case.id")
    application_id: int | None = Field(default=None, foreign_key="application.id")
    state: str = Field(max_length=16, index=True)
    proposed_on: date
    proposed_by: str = Field(max_length=160)
    referral_ids: list[int] = _json(default_factory=list)
    count_decision_id: int = Field(foreign_key="activation_decision_key.id")
    vulnerability_review: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    confirmed_by: str | None = Field(default=None, max_length=160)
    confirmed_on: date | None = None
    # The day the vulnerability review or the second officer rejected it: oversight counts
    # rejections at review by month (issue 17).
    rejected_on: date | None = None
    terms: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    notice: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    started_on: date | None = None
    complied_on: date | None = None
    resumes_on: date | None = None
    ended_on: date | None = None
    closed_reason: str | None = Field(default=None, max_length=2000)


class Appeal(SQLModel, table=True):
    """Reconsideration of a sanction; an upheld appeal restores benefit with back pay."""

    __tablename__ = "appeal"

    id: int | None = Field(default=None, primary_key=True)
    sanction_id: int = Field(foreign_key="sanction.id", index=True)
    lodged_on: date
    grounds: str = Field(max_length=4000)
    lodged_by: str = Field(max_length=160)
    state: str = Field(max_length=16)  # lodged | upheld | dismissed
    decided_by: str | None = Field(default=None, max_length=160)
    decided_on: date | None = None
    reasons: str | None = Field(default=None, max_length=4000)
    back_pay_fen: int | None = None


class Task(SQLModel, table=True):
    """Work for a counsellor: a follow-up, a review, a reminder. Idempotent by (kind, ref)."""

    __tablename__ = "activation_task"
    __table_args__ = (UniqueConstraint("kind", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    due_on: date = Field(index=True)
    state: str = Field(default="open", max_length=16, index=True)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ActivationDecision(SQLModel, table=True):
    """Inputs, rule path, outcome, parameter version and officer of a decision: replayable.

    On PostgreSQL partitioned by the month it was recorded (``decided_at``, UTC; migration
    0029, ``kernel.partitions``), so old months can go to the archive. Rows that cite a decision
    point at its ``ActivationDecisionKey``, which stays when the month is detached."""

    __tablename__ = "activation_decision"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    decided_on: date
    decided_at: datetime = Field(sa_type=UTCDateTime)  # the partition key on PostgreSQL
    actor: str = Field(max_length=160)
    inputs: dict[str, Any] = _json(default_factory=dict)
    rule_path: list[str] = _json(default_factory=list)
    outcome: dict[str, Any] = _json(default_factory=dict)
    parameter_version: str = Field(max_length=64)


class ActivationDecisionKey(SQLModel, table=True):
    """A decision that other rows cite (a counted refusal, a warning, a sanction's count, a
    continuation): its id and the instant it was recorded, which finds it in its month.

    A partitioned table can be the target of a foreign key only through a key that contains
    its partition key, and a month cited by any row could then never be detached. So citations
    point here, a narrow table written with the decision (``activation.common.record_decision``)
    and kept for good: a decision archived with its month is still known to have been made, and
    when. The daily sweep's duty decisions, which nothing cites, have no key."""

    __tablename__ = "activation_decision_key"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    decided_at: datetime = Field(sa_type=UTCDateTime)


class Job(SQLModel, table=True):
    """A job a person took: from a counsellor, an accepted referral the employer confirmed, or
    a training provider's placement report (``source_ref`` makes a report's job unique)."""

    __tablename__ = "job"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    employer: str = Field(max_length=200)
    occupation: str = Field(max_length=120)
    starts_on: date
    ends_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=32)
    monthly_income_fen: int
    hours_per_week: int | None = None
    source: str = Field(max_length=16)  # counsellor | referral | placement
    source_ref: str | None = Field(default=None, max_length=120, unique=True)
    recorded_by: str = Field(max_length=160)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Continuation(SQLModel, table=True):
    """The six months of continued benefit after taking a job (report 4 §五4)."""

    __tablename__ = "continuation"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    case_id: int = Field(foreign_key="benefit_case.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    starts_on: date
    ends_on: date  # last day in continuation
    base_amount_fen: int  # the case's previous amount, which continues (in full or part)
    status: str = Field(max_length=24)  # continuation_full | continuation_half
    fraction: str = Field(max_length=16)
    state: str = Field(max_length=16, index=True)  # running | reassessed | job_lost
    decision_id: int = Field(foreign_key="activation_decision_key.id")
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=2000)


class ContactNote(SQLModel, table=True):
    """A counsellor's note of a contact with the person: a call, a visit, a talk at the office,
    or a note on the case. Kept as written (no edits or deletions): a note that was wrong is
    followed by one that says so, as on a paper file.

    ``on`` is the day the contact happened, which is often days before it is written down
    (offices record their work late); ``written_at`` is when it was recorded.
    """

    __tablename__ = "contact_note"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=16)  # note | phone | visit | office | letter
    on: date
    text: str = Field(max_length=2000)
    written_by: str = Field(max_length=160)
    written_at: datetime = Field(sa_type=UTCDateTime)


class Appointment(SQLModel, table=True):
    """A time and place to see the person, with a text reminder the day before.

    ``reminder_id`` is the outbox message of the reminder (none without a mobile number, or
    when booked too late for one); calling the appointment off withdraws it if it has not left.
    """

    __tablename__ = "appointment"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    place: str = Field(max_length=200)
    purpose: str = Field(default="", max_length=500)
    state: str = Field(default="booked", max_length=16)  # booked | attended | missed | cancelled
    reminder_id: int | None = None
    booked_by: str = Field(max_length=160)
    booked_at: datetime = Field(sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=160)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OversightTask(SQLModel, table=True):
    """An oversight alert as work for the role that owns it (issue 17): the admins for a check
    that must never fire (they read the cases and put them right), the supervisors for a
    pattern (they take it up with the office). One per month, alert and subject, raised by the
    daily sweep and closed by a person of that role with a note of what was done."""

    __tablename__ = "oversight_task"
    __table_args__ = (UniqueConstraint("month", "alert", "subject", name="uq_oversight_task"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM
    alert: str = Field(max_length=40)
    subject: str = Field(max_length=200)  # "community:北街社区", "sex:female", "all"
    owner: str = Field(max_length=16, index=True)  # a role: admin | supervisor
    facts: dict[str, Any] = _json(default_factory=dict)  # the alert when raised, without ids
    state: str = Field(default="open", max_length=16, index=True)  # open | done
    opened_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=160)
    note: str = Field(default="", max_length=1000)
