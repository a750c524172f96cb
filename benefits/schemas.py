"""Request and response shapes of the benefits API (non-table SQLModels, so validation runs)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from kernel.messages import N_, carry, say
from kernel.national_id import InvalidNationalId, parse_national_id
from kernel.types import BirthDay, Day, Flag, Id, InputModel, PatchModel, Whole, Yuan

Relation = Literal["head", "spouse", "child", "parent", "sibling", "grandchild", "other"]
WorkCapacity = Literal["full", "partial", "none"]
Disability = Literal["none", "mild", "severe"]
IncomeSource = Literal[
    "wages", "business", "agriculture", "pension", "support", "rent", "transfer", "other"
]
DocumentKind = Literal[
    "household_register",
    "identity_cards",
    "income_statement",
    "disability_certificate",
    "medical_records",
    "enrolment_certificate",
    "other",
]
MAX_MONTHLY_INCOME = Decimal("100000")  # beyond this a monthly income is a typing error
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")

EXAMPLE_ID = "341125198703150020"


def normalise_phone(value: str | None) -> str | None:
    """Mainland mobiles become +86…; other numbers must already be E.164."""
    if value is None:
        return None
    compact = re.sub(r"[\s-]", "", value)
    if match := _MOBILE.match(compact):
        return "+86" + match.group(1)
    if _E164.match(compact):
        return compact
    raise ValueError(N_("phone must be a mainland mobile (11 digits) or an E.164 number"))


def checked_national_id(value: str) -> str:
    try:
        return parse_national_id(value, today=datetime.now(UTC).date()).value
    except InvalidNationalId as exc:
        raise ValueError(
            carry(say("invalid national ID: %(reasons)s", reasons=exc.reasons))
        ) from exc


class IncomeIn(InputModel):
    source: IncomeSource = Field(schema_extra={"examples": ["wages"]})
    monthly_amount: Yuan = Field(
        ge=0,
        le=int(MAX_MONTHLY_INCOME),
        max_digits=8,
        decimal_places=2,
        description="Yuan per month, a decimal string",
        schema_extra={"examples": ["300.00"]},
    )
    effective_from: Day | None = Field(
        default=None,
        description="The first day this income was earned (not after today); default: the day "
        "the member is registered. An assessment dated earlier needs the income of its day.",
        schema_extra={"examples": ["2026-01-01"]},
    )


class IncomeChangeIn(IncomeIn):
    effective_from: Day = Field(schema_extra={"examples": ["2026-03-01"]})  # type: ignore[assignment]


class MemberIn(InputModel):
    name: str = Field(min_length=1, max_length=80, schema_extra={"examples": ["王秀英"]})
    national_id: str = Field(
        description="GB 11643 citizen ID (18 characters, MOD 11-2 check character)",
        schema_extra={"examples": [EXAMPLE_ID]},
    )
    sex: Literal["male", "female"] | None = Field(
        default=None, description="If given, must agree with the ID"
    )
    birth_date: BirthDay | None = Field(
        default=None, description="If given, must agree with the ID"
    )
    relation: Relation = Field(schema_extra={"examples": ["head"]})
    phone: str | None = Field(default=None, schema_extra={"examples": ["13912345678"]})
    language: Literal["zh_CN", "en"] = "zh_CN"
    work_capacity: WorkCapacity = "full"
    disability: Disability = "none"
    serious_illness: Flag = False
    student: Flag = False
    carer: Flag = False
    pregnant: Flag = False
    three_nos: Flag = False
    official_relative: Flag = Field(
        default=False, description="Close relative of an official (report 3: filed, two approvers)"
    )
    official_relative_note: str | None = Field(default=None, max_length=300)
    incomes: list[IncomeIn] = Field(default_factory=list, max_length=10)

    @field_validator("national_id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return checked_national_id(value)

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None) -> str | None:
        return normalise_phone(value)


class HouseholdPlaceIn(InputModel):
    """Where a household lives and is paid: what a household's members share."""

    scheme: Literal["urban", "rural"] = Field(schema_extra={"examples": ["urban"]})
    address: str = Field(
        min_length=1, max_length=300, schema_extra={"examples": ["城关镇东街12号"]}
    )
    community: str = Field(min_length=1, max_length=120, schema_extra={"examples": ["东街社区"]})
    township: str = Field(min_length=1, max_length=120, schema_extra={"examples": ["定城镇"]})
    bank_account: str | None = Field(
        default=None,
        description="Bank card or account number, 10-30 digits",
        schema_extra={"examples": ["6228480010012345678"]},
    )

    @field_validator("bank_account")
    @classmethod
    def _valid_account(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9]{10,30}", value):
            raise ValueError(N_("bank account must be 10-30 digits"))
        return value


class HouseholdIn(HouseholdPlaceIn):
    members: list[MemberIn] = Field(min_length=1, max_length=20)


class MemberUpdateIn(PatchModel):
    """Changed circumstances; fields left out stay as they are, and only the phone and the
    note may be cleared with null."""

    clearable: ClassVar[frozenset[str]] = frozenset({"phone", "official_relative_note"})

    phone: str | None = Field(default=None, schema_extra={"examples": ["13912345678"]})
    language: Literal["zh_CN", "en"] | None = None
    work_capacity: WorkCapacity | None = Field(default=None, schema_extra={"examples": ["partial"]})
    disability: Disability | None = None
    serious_illness: Flag | None = None
    student: Flag | None = None
    carer: Flag | None = None
    pregnant: Flag | None = None
    three_nos: Flag | None = None
    official_relative: Flag | None = None
    official_relative_note: str | None = Field(default=None, max_length=300)

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None) -> str | None:
        return normalise_phone(value)


class IncomeOut(SQLModel):
    source: str
    monthly_amount: str = Field(schema_extra={"examples": ["300.00"]})
    effective_from: date


class MemberOut(SQLModel):
    id: int
    name: str
    national_id_masked: str = Field(schema_extra={"examples": ["3411**********0020"]})
    sex: str
    birth_date: date
    relation: str
    phone: str | None
    language: str
    work_capacity: str
    disability: str
    serious_illness: bool
    student: bool
    carer: bool
    pregnant: bool
    three_nos: bool
    official_relative: bool
    incomes: list[IncomeOut]


class HouseholdOut(SQLModel):
    id: int = Field(schema_extra={"examples": [17]})
    scheme: str = Field(schema_extra={"examples": ["urban"]})
    address: str
    community: str
    township: str
    members: list[MemberOut]


class ApplicationIn(InputModel):
    household_id: Id = Field(schema_extra={"examples": [1]})
    category_requested: str = Field(
        min_length=1,
        max_length=8,
        description="A category of the household's scheme",
        schema_extra={"examples": ["C"]},
    )
    documents: list[DocumentKind] = Field(
        default_factory=list,
        schema_extra={"examples": [["household_register", "identity_cards", "income_statement"]]},
    )
    applied_on: Day | None = Field(default=None, description="Defaults to today")


class DocumentIn(InputModel):
    """What an uploaded file is (the file itself comes beside it, as multipart)."""

    kind: DocumentKind = Field(schema_extra={"examples": ["income_statement"]})


class InvestigationIn(InputModel):
    visited_on: Day = Field(schema_extra={"examples": ["2026-03-02"]})
    visitors: list[str] = Field(
        min_length=1, max_length=5, schema_extra={"examples": [["李明", "赵芳"]]}
    )
    findings: str = Field(
        min_length=1,
        max_length=4000,
        schema_extra={"examples": ["两居室, 无大件家电; 收入与申报一致"]},
    )
    incomes_confirmed: Flag = True


class AppraisalIn(InputModel):
    held_on: Day = Field(schema_extra={"examples": ["2026-03-05"]})
    passed: Flag = True
    votes_for: Whole = Field(ge=0, le=200, schema_extra={"examples": [7]})
    votes_against: Whole = Field(ge=0, le=200, schema_extra={"examples": [0]})
    notes: str = Field(default="", max_length=4000)


class PublicNoticeIn(InputModel):
    starts_on: Day = Field(schema_extra={"examples": ["2026-03-06"]})
    place: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["东街社区政务公开栏"]}
    )


class ObjectionIn(InputModel):
    received_on: Day = Field(schema_extra={"examples": ["2026-03-07"]})
    objector: str | None = Field(default=None, max_length=120)
    text: str = Field(
        min_length=1, max_length=2000, schema_extra={"examples": ["该户有经营性收入未申报"]}
    )


class ObjectionResolutionIn(InputModel):
    upheld: Flag = Field(schema_extra={"examples": [False]})
    resolution: str = Field(
        min_length=1, max_length=2000, schema_extra={"examples": ["经核实, 该店铺已于去年关闭"]}
    )
    resolved_on: Day = Field(schema_extra={"examples": ["2026-03-08"]})


class DecisionIn(InputModel):
    approve: Flag = Field(schema_extra={"examples": [True]})
    category: str | None = Field(
        default=None, max_length=8, description="Final category; defaults to the requested one"
    )
    reason: str = Field(
        default="",
        max_length=2000,
        description="Required when rejecting: the written reason sent to the applicant",
        schema_extra={"examples": ["符合城市低保条件"]},
    )
    decided_on: Day | None = Field(default=None, description="Defaults to today")


class SecondApprovalIn(InputModel):
    approve: Flag = Field(schema_extra={"examples": [True]})
    reason: str = Field(default="", max_length=2000, schema_extra={"examples": ["复核无异议"]})


class StepOut(SQLModel):
    step: str
    on: date
    actor: str
    details: dict[str, Any]


class ObjectionOut(SQLModel):
    id: int
    received_on: date
    objector: str | None
    text: str
    upheld: bool | None
    resolution: str | None
    resolved_on: date | None


class ProblemOut(SQLModel):
    field: str | None
    rule: str
    message: str


class ApplicationOut(SQLModel):
    id: int = Field(schema_extra={"examples": [23]})
    household_id: int = Field(schema_extra={"examples": [17]})
    state: str = Field(schema_extra={"examples": ["public_notice"]})
    category_requested: str
    documents: list[str]
    applied_on: date
    notice_starts_on: date | None
    notice_last_day: date | None
    second_approval_required: bool
    decided_on: date | None
    decision_reason: str | None
    parameter_version: str | None
    case_id: int | None
    steps: list[StepOut]
    objections: list[ObjectionOut]


class ApprovalCheckOut(SQLModel):
    application_id: int = Field(schema_extra={"examples": [23]})
    approvable: bool = Field(schema_extra={"examples": [False]})
    problems: list[ProblemOut]
    entitlement: dict[str, Any]


class CaseStatusChangeIn(InputModel):
    status: Literal["active", "suspended", "terminated"] = Field(
        schema_extra={"examples": ["suspended"]}
    )
    effective_from: Day = Field(schema_extra={"examples": ["2026-05-01"]})
    reason: str = Field(
        min_length=2, max_length=2000, schema_extra={"examples": ["户主外出务工, 收入待核实"]}
    )


class ReviewIn(InputModel):
    reviewed_on: Day = Field(schema_extra={"examples": ["2026-09-01"]})
    notes: str = Field(default="", max_length=4000)


class PeriodOut(SQLModel):
    status: str
    effective_from: date
    effective_to: date | None
    monthly_amount: str
    reason: str
    rule: str
    parameter_version: str
    actor: str


class CaseOut(SQLModel):
    id: int
    household_id: int
    application_id: int
    scheme: str
    category: str
    status: str
    status_since: date
    status_reason: str
    monthly_amount: str = Field(schema_extra={"examples": ["150.00"]})
    currency: str = "CNY"
    explanation: dict[str, Any]
    parameter_version: str
    opened_on: date
    next_review_on: date
    history: list[PeriodOut]


class StatusOut(msgspec.Struct, kw_only=True):
    """The answer to a benefit office's status check.

    A msgspec structure rather than a pydantic model: it is the service's busiest answer and is
    only ever written out, never read from a client, so it skips validation and is encoded in C.
    """

    national_id_masked: Annotated[str, msgspec.Meta(examples=["3411**********0020"])]
    name: Annotated[str, msgspec.Meta(examples=["王秀英"])]
    household_id: int
    community: str
    township: str
    scheme: str
    case_id: int | None
    status: Annotated[
        str,
        msgspec.Meta(
            description="Case status, or the application state while no case exists",
            examples=["active"],
        ),
    ]
    category: Annotated[str | None, msgspec.Meta(examples=["C"])]
    monthly_amount: Annotated[
        str,
        msgspec.Meta(description="Household's current monthly amount, yuan", examples=["150.00"]),
    ]
    since: date | None
    why: Annotated[
        str, msgspec.Meta(examples=["approved: per-capita income 100.00 below standard 150.00"])
    ]
    next_review_on: date | None
    review_overdue: Annotated[
        bool, msgspec.Meta(description="The case's re-review was due before today")
    ] = False
    coming_on: Annotated[
        date | None,
        msgspec.Meta(description="A change decided but not in effect yet takes effect on this day"),
    ] = None
    coming: Annotated[
        str | None,
        msgspec.Meta(
            description="What changes then, in the reader's language",
            examples=["refusal sanction 4: 200.00 yuan a month withheld from 2026-12-12"],
        ),
    ] = None
    parameter_version: Annotated[str | None, msgspec.Meta(examples=["county-pilot@2020.1"])]
    currency: str = "CNY"


# --- payment runs -------------------------------------------------------------------------------


class PaymentRunIn(InputModel):
    period: str = Field(
        description="The month to pay, YYYY-MM; at most next month",
        schema_extra={"examples": ["2026-03"]},
    )


class PaymentRunOut(SQLModel):
    id: int
    period: str = Field(schema_extra={"examples": ["2026-03"]})
    state: str = Field(schema_extra={"examples": ["finished"]})
    progress: float = Field(description="Share of the cases done, 0 to 1")
    batches_done: int
    batch_size: int
    parameter_version: str = Field(
        description="Rounding rule in force on the month's first day",
        schema_extra={"examples": ["county-pilot@2020.1"]},
    )
    lines: int = Field(description="Ledger lines written, one per case paid or not")
    paid_lines: int
    zero_lines: int = Field(description="Lines paying nothing (suspended, terminated...)")
    without_account: int = Field(description="Paid lines left out of the bank file: no account")
    regular_total: str = Field(schema_extra={"examples": ["120000.00"]})
    adjustments_total: str = Field(schema_extra={"examples": ["-350.00"]})
    total: str = Field(description="Paid in all, yuan", schema_extra={"examples": ["119650.00"]})
    carried: str = Field(description="Recovery still owed after this month, yuan")
    recomputed_months: int = Field(description="Earlier months found over- or underpaid")
    recoveries_found: str = Field(schema_extra={"examples": ["-103.23"]})
    back_pay_found: str = Field(schema_extra={"examples": ["0.00"]})
    started_by: str
    started_at: datetime
    reconciled_at: datetime | None
    finished_at: datetime | None
    signed_off_by: str | None = Field(
        description="The second benefit officer who signed the finished run off (four eyes)"
    )
    signed_off_at: datetime | None
    bank_file: str | None = Field(
        description="Where to download the bank file once the run has finished and a second "
        "officer has signed it off (POST /runs/{id}/sign-off)",
        schema_extra={"examples": ["/api/v1/payments/runs/1/bank-file"]},
    )


class PaymentLineOut(SQLModel):
    id: int
    run_id: int
    period: str = Field(schema_extra={"examples": ["2026-04"]})
    case_id: int
    payee_name: str
    bank_account_masked: str | None = Field(schema_extra={"examples": ["***************5678"]})
    regular: str = Field(schema_extra={"examples": ["100.00"]})
    adjustments: str = Field(schema_extra={"examples": ["125.81"]})
    amount: str = Field(schema_extra={"examples": ["225.81"]})
    carried: str = Field(schema_extra={"examples": ["0.00"]})
    in_bank_file: bool
    reference: str = Field(schema_extra={"examples": ["WB-2026-04-17"]})
    rule: str
    parameter_version: str
    why: list[str] = Field(description="How the amount came about, one step a line")
    inputs: dict[str, Any] = Field(description="The periods, adjustments and rounding used")
    created_at: datetime


class RollProblemOut(SQLModel):
    row: int | None = Field(
        description="The sheet's line (the headings are line 1); none for the whole file"
    )
    field: str | None = Field(
        description="The column's heading", schema_extra={"examples": ["姓名"]}
    )
    rule: str = Field(schema_extra={"examples": ["required"]})
    message: str


class RollCheckOut(SQLModel):
    households: int = Field(schema_extra={"examples": [1248]})
    members: int = Field(schema_extra={"examples": [3102]})
    problems_total: int = Field(schema_extra={"examples": [3]})
    problems: list[RollProblemOut] = Field(
        description="Every problem of every row, in file order (the first 1,000; the command "
        "line writes them all)"
    )


class RollImportOut(SQLModel):
    id: int
    file_name: str = Field(schema_extra={"examples": ["低保花名册.xlsx"]})
    mode: str = Field(description="preview (nothing written) or commit")
    state: str = Field(
        description="checking, refused (the file has problems; nothing written), planning, "
        "committing, stopped (import the same file again to resume), finished or failed",
        schema_extra={"examples": ["finished"]},
    )
    lines: int = Field(description="The file's last line (known once checked)")
    done_through_line: int = Field(description="Every household ending by this line is done")
    progress: float = Field(description="Share of the file's lines done, 0 to 1")
    households: int
    created: int
    unchanged: int
    updated: int = Field(
        description="Held already; only phone numbers or the address differed, taken from the roll"
    )
    differs: int = Field(
        description="Held already with other values (money, people, office, bank account): "
        "listed, not changed"
    )
    refused: int = Field(description="For a person to resolve (someone in another household)")
    parameter_version: str = Field(description="The rules the roll's amounts were compared with")
    problems_total: int
    problems: list[RollProblemOut] = Field(description="The first 1,000 of the file's problems")
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    result: str | None = Field(description="Where the result file (a status per row) is")
