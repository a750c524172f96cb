"""Benefit tables. Money is integer fen; dates are office calendar days; instants are UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from kernel.db import UTCDateTime


class Household(SQLModel, table=True):
    __tablename__ = "household"

    id: int | None = Field(default=None, primary_key=True)
    scheme: str = Field(max_length=16)  # urban | rural
    address: str = Field(max_length=300)
    community: str = Field(max_length=120, index=True)  # 社区 / 村
    township: str = Field(max_length=120, index=True)  # 乡镇 / 街道
    bank_account: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A person in a household, with the circumstances the policy's duties and exemptions read."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("household_id", "national_id"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    name: str = Field(max_length=80)
    national_id: str = Field(max_length=18, index=True)
    sex: str = Field(max_length=8)  # derived from the ID and checked
    birth_date: date  # derived from the ID and checked
    relation: str = Field(max_length=16)  # head | spouse | child | parent | sibling | other
    phone: str | None = Field(default=None, max_length=20, index=True)
    language: str = Field(default="zh_CN", max_length=8)
    work_capacity: str = Field(default="full", max_length=8)  # full | partial | none
    disability: str = Field(default="none", max_length=8)  # none | mild | severe
    serious_illness: bool = False
    student: bool = False  # in full-time study
    carer: bool = False  # cares full-time for a dependant
    pregnant: bool = False
    three_nos: bool = False  # no income, no work capacity, no legal supporter
    official_relative: bool = False  # close relative of an official (report 3)
    official_relative_note: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class MemberIncome(SQLModel, table=True):
    """A monthly income from one source, in force from a day until superseded."""

    __tablename__ = "member_income"
    __table_args__ = (Index("ix_member_income_current", "member_id", "source", "effective_to"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    source: str = Field(max_length=24)
    monthly_amount_fen: int
    effective_from: date
    effective_to: date | None = None  # last day in force; None while current
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class Application(SQLModel, table=True):
    __tablename__ = "application"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    kind: str = Field(default="new", max_length=16)  # new | reentry (simplified, report 4)
    state: str = Field(max_length=32, index=True)
    category_requested: str = Field(max_length=8)
    documents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    applied_on: date
    appraisal_passed: bool | None = None
    notice_starts_on: date | None = None
    notice_last_day: date | None = None
    second_approval_required: bool = False
    decision_due_on: date | None = None  # re-entry: a decision within a few working days
    review_flag: str | None = Field(default=None, max_length=300)  # e.g. misconduct: review
    first_approver: str | None = Field(default=None, max_length=160)
    decided_on: date | None = None
    decision_reason: str | None = Field(default=None, max_length=2000)
    # The reason as a catalog message with its facts, when the service wrote it (not an
    # officer's own words): shown in the reader's language (kernel.messages.from_data).
    decision_said: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    parameter_version: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ApplicationDocument(SQLModel, table=True):
    """One file an application brings (a scanned household register, an income statement...).

    The file itself is kept in the row: a county's applications bring a few small scans each,
    and keeping them with the record means a backup of the database is a backup of the files.
    A file is never deleted or overwritten: a replacement is a new row, and the old one names
    it (``replaced_by``) and says when, so what the office saw at each step stays on record.
    """

    __tablename__ = "application_document"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    household_id: int = Field(foreign_key="household.id", index=True)  # the office rule's way
    kind: str = Field(max_length=32)  # a document kind the approval rule knows
    file_name: str = Field(max_length=255)  # as it was on the officer's computer
    content_type: str = Field(max_length=64)  # read from the content, not from the browser
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(max_length=160)
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
    replaced_by: int | None = Field(default=None, foreign_key="application_document.id")
    replaced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApplicationStep(SQLModel, table=True):
    """A record of one procedure step: home visit, appraisal, notice, decision."""

    __tablename__ = "application_step"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    step: str = Field(max_length=32)
    on: date
    actor: str = Field(max_length=160)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class Objection(SQLModel, table=True):
    """An objection raised by a neighbour during the public notice (公示)."""

    __tablename__ = "objection"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    received_on: date
    objector: str | None = Field(default=None, max_length=120)
    text: str = Field(max_length=2000)
    upheld: bool | None = None  # None while open
    resolution: str | None = Field(default=None, max_length=2000)
    resolved_on: date | None = None


class BenefitCase(SQLModel, table=True):
    """A household's running dibao. ``status`` and ``monthly_amount_fen`` mirror the open period."""

    __tablename__ = "benefit_case"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    application_id: int = Field(foreign_key="application.id", unique=True)
    scheme: str = Field(max_length=16)
    category: str = Field(max_length=8)
    status: str = Field(max_length=24, index=True)
    status_since: date
    status_reason: str = Field(max_length=2000)
    status_said: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    monthly_amount_fen: int  # paid now, given the status
    entitled_amount_fen: int  # assessed entitlement, restored when the case becomes active
    explanation: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    parameter_version: str = Field(max_length=64)
    opened_on: date
    next_review_on: date = Field(index=True)
    closed_on: date | None = None
    # A change decided but not in effect yet (a sanction's stop from its date, a continuation's
    # end): told with the status until the day it takes effect (benefits.coming).
    coming_on: date | None = None
    coming_said: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class CaseStatusPeriod(SQLModel, table=True):
    """Status history with effective dates: what the case was, from when, at what amount, why."""

    __tablename__ = "case_status_period"
    __table_args__ = (Index("ix_case_status_period_case_from", "case_id", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="benefit_case.id")
    status: str = Field(max_length=24)
    effective_from: date
    effective_to: date | None = None  # last day; None while open
    monthly_amount_fen: int
    reason: str = Field(max_length=2000)
    said: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    rule: str = Field(max_length=120)
    parameter_version: str = Field(max_length=64)
    # What the household's entitlement was assessed on while this period held (approval,
    # re-review, reassessment after a continuation; ``benefits.assessments``): the replay works
    # the amount out again under other standards and category factors from these alone.
    assessments: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    actor: str = Field(max_length=160)
    # When the change was recorded, which may be long after it took effect: the payment run
    # finds months paid before a change was known by comparing this with the line's time.
    recorded_at: datetime = Field(sa_type=UTCDateTime, index=True)


class PaymentAdjustment(SQLModel, table=True):
    """Money owed to (back pay) or by (recovery) a case outside its regular monthly amount.

    ``amount_fen`` is signed: back pay is positive, a recovery negative. Settled by the first
    payment run that includes it (``settled_period``); a recovery larger than the month's
    payment is settled in part and the rest carried forward as a new recovery row
    (``source = "carried:<id>"``), see ``benefits.payment_rules.settle``.

    What a payment run asks of this table is "the unsettled adjustments of these cases": the
    partial index over unsettled rows answers exactly that, where the planner would otherwise
    walk every unsettled row of the county through the ``settled_period`` index, batch by
    batch.
    """

    __tablename__ = "payment_adjustment"
    __table_args__ = (
        Index(
            "ix_payment_adjustment_unsettled",
            "case_id",
            sqlite_where=text("settled_period IS NULL"),
            postgresql_where=text("settled_period IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="benefit_case.id", index=True)
    kind: str = Field(max_length=16)  # back_pay | recovery
    amount_fen: int
    covers_from: date
    covers_to: date
    reason: str = Field(max_length=2000)
    source: str = Field(max_length=64)  # e.g. "appeal:3"
    parameter_version: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    settled_period: str | None = Field(default=None, max_length=7, index=True)


class PaymentRun(SQLModel, table=True):
    """One month's payment run: how far it has come through the cases, and its totals.

    One run per period. The run walks the cases in ID ranges; each range is committed with its
    lines and with ``done_through_case_id``, so a run stopped half-way resumes where it stopped.
    The totals are added up batch by batch in the same transactions as the lines.
    """

    __tablename__ = "payment_run"

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7, unique=True)  # YYYY-MM
    state: str = Field(max_length=16, index=True)  # running | finished
    month_first: date
    month_last: date
    parameter_version: str = Field(max_length=64)  # rounding in force on month_first
    batch_size: int
    first_case_id: int  # the ID range to walk, fixed when the run starts
    last_case_id: int
    done_through_case_id: int  # every case up to this ID is done
    batches_done: int = 0
    lines: int = 0
    paid_lines: int = 0  # amount above zero
    zero_lines: int = 0
    without_account: int = 0  # paid lines whose household has no bank account on record
    # A county's month is billions of fen: sums are 64-bit (a line, one case's month, is not).
    regular_fen: int = Field(default=0, sa_type=BigInteger)
    adjustments_fen: int = Field(default=0, sa_type=BigInteger)
    total_fen: int = Field(default=0, sa_type=BigInteger)
    carried_fen: int = Field(default=0, sa_type=BigInteger)  # recoveries carried to later months
    recomputed_months: int = 0  # earlier months found over- or underpaid by this run
    recoveries_found_fen: int = Field(default=0, sa_type=BigInteger)  # negative: overpaid
    back_pay_found_fen: int = Field(default=0, sa_type=BigInteger)
    reconciled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_by: str = Field(max_length=160)
    started_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Four eyes: the bank file is released once a second officer has signed the finished run.
    signed_off_by: str | None = Field(default=None, max_length=160)
    signed_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PaymentLine(SQLModel, table=True):
    """What one case is paid for one month, and why: the ledger.

    Exactly one line per case and period (UNIQUE), whatever happens to the run, so nobody is
    paid twice. ``inputs`` holds the status periods, adjustments, rounding rule and parameter
    version the amount came from, so a person can recompute it by hand (stored on the line, or
    for a plain line derived from the one period it was paid from). Lines of zero are kept
    (a suspended month shows as paid nothing, with the reason) but left out of the bank file.
    """

    __tablename__ = "payment_line"
    __table_args__ = (
        UniqueConstraint("period", "case_id"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="payment_run.id")
    period: str = Field(max_length=7)
    case_id: int = Field(foreign_key="benefit_case.id", index=True)
    payee_name: str = Field(max_length=80)  # the household head, as on the day of the run
    bank_account: str | None = Field(default=None, max_length=40)
    regular_fen: int  # from the status history, pro rata, rounded once
    adjustments_fen: int  # back pay added and recoveries deducted this month
    amount_fen: int  # paid: regular + adjustments, never below zero
    carried_fen: int  # recovery still owed after this month
    rule: str = Field(max_length=64)
    parameter_version: str = Field(max_length=64)
    # None on a line the run wrote by statement: a plain line (one status period all month,
    # nothing owed) is explained from ``paid_from_period_id``, a part month with nothing owed
    # from its ``PaymentLinePeriod`` rows, when read (``benefits.payments.explained``).
    inputs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    paid_from_period_id: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


class MonthlyFigures(SQLModel, table=True):
    """A month's paid figures by township, without persons: what a county or province gives
    upward. A national reporting database gathers every province's rows by logical
    replication (docs/DEPLOYMENT.md *The country*); ``region`` says whose they are."""

    __tablename__ = "monthly_figures"

    region: str = Field(max_length=12, primary_key=True)  # WORKBRIDGE_REGION_CODE
    period: str = Field(max_length=7, primary_key=True)
    township: str = Field(max_length=120, primary_key=True)
    cases: int  # lines in the month's ledger
    paid_cases: int  # lines above zero
    amount_fen: int = Field(sa_type=BigInteger)
    adjustments_fen: int = Field(sa_type=BigInteger)
    computed_at: datetime = Field(sa_type=UTCDateTime)


class PaymentLinePeriod(SQLModel, table=True):
    """A status period a line counted, and the days of the month it counted (both inclusive).

    Written by the run's second statement (``benefits.payment_sql.insert_period_lines``) for
    lines with nothing to recover and more than one period, part of a month or back pay: the
    line's regular amount is the rounded Σ(monthly amount × days) / days in the month over these
    rows, and its explanation is rebuilt from them (and the back pay settled in the line's
    month) when read. The days are kept because a period's end is
    closed in place when a later status begins; its status, amount and rule never change.
    """

    __tablename__ = "payment_line_period"

    period: str = Field(max_length=7, primary_key=True)
    case_id: int = Field(primary_key=True)
    status_period_id: int = Field(primary_key=True)
    starts_on: date
    ends_on: date


class RollImport(SQLModel, table=True):
    """One bringing-in of a county's roll (``benefits.roll_import``): which file, how far its
    commit has come, and what it did. A commit stopped half-way resumes from
    ``done_through_line`` when the same file (by its SHA-256) is imported again."""

    __tablename__ = "roll_import"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    file_name: str = Field(max_length=255)
    mode: str = Field(default="commit", max_length=16)  # preview | commit
    state: str = Field(
        max_length=16
    )  # checking | refused | planning | committing | stopped | finished | failed
    lines: int = 0  # the file's last line, once checked
    done_through_line: int = 0  # every household ending on or before this line is done
    problem_count: int = 0  # the file's problems (any refuses it whole)
    # The first of them, kept to be shown (catalog messages with their facts).
    problems: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    households: int = 0
    created: int = 0
    unchanged: int = 0
    updated: int = 0
    differs: int = 0
    refused: int = 0
    parameter_version: str = Field(max_length=64)  # the rules the roll's amounts were compared with
    started_by: str = Field(max_length=160)
    started_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RollImportHousehold(SQLModel, table=True):
    """What an import did with one household of the roll, for the result file: its lines, the
    action, the household it became or matched, and the amounts compared."""

    __tablename__ = "roll_import_household"

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="roll_import.id", index=True)
    household_key: str = Field(max_length=64)
    lines: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    action: str = Field(max_length=16)  # created | unchanged | updated | differs | refused
    household_id: int | None = Field(default=None, foreign_key="household.id")
    roll_amount_fen: int
    computed_amount_fen: int | None = None
    # Catalog messages with their facts (kernel.messages.as_data): the differences found, or
    # why the household was refused, read in the reader's language.
    notes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
