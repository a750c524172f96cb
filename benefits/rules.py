"""Pure benefit rules: entitlement, the application procedure and case status transitions.

No I/O here: rules take plain values (Decimal money, dates, parameter sets) and return results
that carry their own explanation and the parameter version they used.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from kernel.clauses import helper, implements
from kernel.dates import add_months
from kernel.errors import Problem
from kernel.messages import N_, Text, as_data, code_text, say
from kernel.money import FEN, round_money, yuan_text
from kernel.policy import ParameterSet, PolicyError

ZERO = Decimal(0)


class Scheme(StrEnum):
    URBAN = "urban"
    RURAL = "rural"


# --- entitlement -------------------------------------------------------------------------


NOT_ELIGIBLE = N_("not eligible")  # an explanation line's value, read in the reader's words


@dataclass(frozen=True)
class CategoryRule:
    """How one category turns the household's situation into a per-person amount."""

    code: str
    method: str  # "standard" | "gap" | "fixed"
    label: str = ""  # the local name, as the county's rules write it
    words: str = ""  # the same name as a catalog message, read in the reader's language
    factor: Decimal = Decimal(1)
    amount: Decimal | None = None
    requires: str | None = None  # a member circumstance the category presupposes

    def describe(self) -> Text:
        if self.method == "standard":
            return say("category %(code)s: the full standard per person", code=self.code)
        if self.method == "gap":
            return say(
                "category %(code)s: the gap × %(factor)s", code=self.code, factor=str(self.factor)
            )
        return say(
            "category %(code)s: a fixed %(amount)s yuan per person",
            code=self.code,
            amount=yuan_text(self.amount or ZERO),
        )


@dataclass(frozen=True)
class EntitlementParams:
    version_id: str
    scheme: Scheme
    standard: Decimal
    categories: dict[str, CategoryRule]
    quantum: Decimal
    rounding_mode: str

    @classmethod
    def from_policy(cls, params: ParameterSet, scheme: Scheme | str) -> EntitlementParams:
        """Read report 1's categorised assistance for one scheme from a parameter set."""
        scheme = Scheme(scheme)
        categories: dict[str, CategoryRule] = {}
        for spec in params.raw(f"benefits.{scheme.value}.categories"):
            method = spec["method"]
            if method not in ("standard", "gap", "fixed"):
                raise PolicyError(f"category {spec['code']}: unknown method {method!r}")
            if method == "fixed" and "amount" not in spec:
                raise PolicyError(f"category {spec['code']}: a fixed category needs an amount")
            categories[spec["code"]] = CategoryRule(
                code=spec["code"],
                method=method,
                label=spec.get("label", ""),
                words=spec.get("words", ""),
                factor=Decimal(str(spec.get("factor", "1"))),
                amount=Decimal(str(spec["amount"])) if "amount" in spec else None,
                requires=spec.get("requires"),
            )
        return cls(
            version_id=params.version_id,
            scheme=scheme,
            standard=params.decimal(f"benefits.{scheme.value}.standard"),
            categories=categories,
            quantum=params.decimal("benefits.rounding.quantum"),
            rounding_mode=params.text("benefits.rounding.mode"),
        )


@dataclass(frozen=True)
class ExplanationLine:
    item: str
    value: str
    text: str | Text

    def as_dict(self) -> dict[str, Any]:
        """The English sentence as it has always been kept, and its data to be read in any
        language (``benefits.views.explanation_out``)."""
        line: dict[str, Any] = {"item": self.item, "value": self.value, "text": str(self.text)}
        if isinstance(self.text, Text):
            line["said"] = as_data(self.text)
        return line


@dataclass(frozen=True)
class Entitlement:
    eligible: bool
    scheme: Scheme
    category: str
    member_count: int
    household_income: Decimal
    per_capita_income: Decimal
    standard: Decimal
    per_person_amount: Decimal
    monthly_amount: Decimal
    parameter_version: str
    lines: tuple[ExplanationLine, ...] = field(default_factory=tuple)

    def explanation(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "scheme": self.scheme.value,
            "category": self.category,
            "member_count": self.member_count,
            "monthly_amount": yuan_text(self.monthly_amount),
            "parameter_version": self.parameter_version,
            "lines": [line.as_dict() for line in self.lines],
        }


@implements("rule-1")
def assess_entitlement(
    *,
    scheme: Scheme | str,
    category: str,
    member_count: int,
    incomes: Iterable[Decimal],
    params: EntitlementParams,
) -> Entitlement:
    """The household's monthly dibao (report 1 categorised assistance, POLICY.md rule 1).

    Eligible only while per-capita income is *below* the standard (report 4: a household whose
    per-capita income reaches 150 yuan cannot receive dibao). Urban: A = standard, B = gap ×
    1.3, C = gap, per covered person; rural: fixed amounts per person. The gap is computed for
    the whole household, (standard × members − income) × factor, so no division is rounded
    before the single rounding of the final amount by the policy's quantum and mode.
    """
    scheme = Scheme(scheme)
    if member_count < 1:
        raise ValueError("a household has at least one member")
    rule = params.categories.get(category)
    if rule is None:
        raise ValueError(f"category {category!r} is not defined for the {scheme.value} scheme")
    total = sum(incomes, ZERO)
    per_capita = total / member_count
    standard = params.standard
    eligible = per_capita < standard
    household_gap = max(standard * member_count - total, ZERO)

    if rule.method == "standard":
        raw = standard * member_count
    elif rule.method == "gap":
        raw = household_gap * rule.factor
    else:
        raw = (rule.amount or ZERO) * member_count
    amount = round_money(raw, params.quantum, params.rounding_mode) if eligible else ZERO
    per_person = raw / member_count

    version = params.version_id
    lines = [
        ExplanationLine(
            "household_income",
            yuan_text(total),
            say("total monthly income of the household's %(count)s member(s)", count=member_count),
        ),
        ExplanationLine(
            "per_capita_income",
            yuan_text(per_capita.quantize(FEN)),
            f"{yuan_text(total)} ÷ {member_count}",
        ),
        ExplanationLine(
            "standard",
            yuan_text(standard),
            say(
                "%(scheme)s standard per person per month (benefits.%(key)s.standard, %(version)s)",
                scheme=code_text(scheme.value),
                key=scheme.value,
                version=version,
            ),
        ),
    ]
    if not eligible:
        lines.append(
            ExplanationLine(
                "eligibility",
                NOT_ELIGIBLE,
                say(
                    "per-capita income %(income)s is not below the standard %(standard)s "
                    "(report 4: reaching the standard ends dibao)",
                    income=yuan_text(per_capita.quantize(FEN)),
                    standard=yuan_text(standard),
                ),
            )
        )
    else:
        lines.append(
            ExplanationLine(
                "gap",
                yuan_text((household_gap / member_count).quantize(FEN)),
                say("standard minus per-capita income (补差)"),
            )
        )
        lines.append(
            ExplanationLine(
                "category",
                category,
                say(
                    "%(rule)s (%(label)s; report 1)",
                    rule=rule.describe(),
                    label=say(rule.words) if rule.words else rule.label,
                )
                if rule.label or rule.words
                else rule.describe(),
            )
        )
        lines.append(
            ExplanationLine(
                "per_person_amount",
                yuan_text(per_person.quantize(FEN)),
                say("amount per covered person before rounding"),
            )
        )
        lines.append(
            ExplanationLine(
                "monthly_amount",
                yuan_text(amount),
                say(
                    "per-person amount × %(count)s, rounded once to %(quantum)s yuan "
                    "(%(mode)s; benefits.rounding.*, %(version)s)",
                    count=member_count,
                    quantum=str(params.quantum),
                    mode=params.rounding_mode,
                    version=version,
                ),
            )
        )
    return Entitlement(
        eligible=eligible,
        scheme=scheme,
        category=category,
        member_count=member_count,
        household_income=total,
        per_capita_income=per_capita,
        standard=standard,
        per_person_amount=per_person,
        monthly_amount=amount,
        parameter_version=version,
        lines=tuple(lines),
    )


# --- application procedure (POLICY.md rule 7) ------------------------------------------


class ApplicationState(StrEnum):
    APPLIED = "applied"
    INVESTIGATED = "investigated"
    APPRAISED = "appraised"
    PUBLIC_NOTICE = "public_notice"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    APPROVED = "approved"
    REJECTED = "rejected"


APPLICATION_TRANSITIONS: dict[ApplicationState, frozenset[ApplicationState]] = {
    ApplicationState.APPLIED: frozenset({ApplicationState.INVESTIGATED, ApplicationState.REJECTED}),
    ApplicationState.INVESTIGATED: frozenset(
        {ApplicationState.APPRAISED, ApplicationState.REJECTED}
    ),
    ApplicationState.APPRAISED: frozenset(
        {ApplicationState.PUBLIC_NOTICE, ApplicationState.REJECTED}
    ),
    ApplicationState.PUBLIC_NOTICE: frozenset(
        {
            ApplicationState.APPROVED,
            ApplicationState.AWAITING_SECOND_APPROVAL,
            ApplicationState.REJECTED,
        }
    ),
    ApplicationState.AWAITING_SECOND_APPROVAL: frozenset(
        {ApplicationState.APPROVED, ApplicationState.REJECTED}
    ),
    ApplicationState.APPROVED: frozenset(),
    ApplicationState.REJECTED: frozenset(),
}


REENTRY_TRANSITIONS: dict[ApplicationState, frozenset[ApplicationState]] = {
    ApplicationState.APPLIED: frozenset({ApplicationState.APPROVED, ApplicationState.REJECTED}),
    ApplicationState.APPROVED: frozenset(),
    ApplicationState.REJECTED: frozenset(),
}


@implements("rule-7")
def application_transition_problem(current: str, target: str, kind: str = "new") -> Problem | None:
    """The procedure runs in order: apply → investigate → appraise → notice → decide. A
    re-entry after a lost job goes straight from the short re-application to the decision
    (report 4 §五4: 简化审批程序, no democratic appraisal or public notice)."""
    table = REENTRY_TRANSITIONS if kind == "reentry" else APPLICATION_TRANSITIONS
    allowed = table.get(ApplicationState(current), frozenset())
    if ApplicationState(target) in allowed:
        return None
    nexts = ", ".join(sorted(s.value for s in allowed)) or "none (the application is closed)"
    return Problem(
        "state",
        "application-procedure",
        say(
            "an application in state %(current)s cannot move to %(target)s; next steps: %(nexts)s",
            current=current,
            target=target,
            nexts=nexts,
        ),
    )


@implements("rule-7")
def notice_last_day(starts_on: date, days: int) -> date:
    """A notice of N days starting on day S is posted S … S+N-1 (report 1: 公示三天)."""
    return starts_on + timedelta(days=days - 1)


@dataclass(frozen=True)
class ApprovalFacts:
    entitlement: Entitlement
    documents: frozenset[str]
    required_documents: frozenset[str]
    appraisal_passed: bool | None
    notice_last_day: date | None
    decided_on: date
    open_objections: int
    upheld_objections: int
    member_circumstances: frozenset[str]
    category_rule: CategoryRule | None


@implements("rule-7", "rule-2")
def approval_problems(facts: ApprovalFacts) -> list[Problem]:
    """Every reason the application cannot be approved today, all at once (POLICY.md rule 7)."""
    problems: list[Problem] = []
    ent = facts.entitlement
    if not ent.eligible:
        problems.append(
            Problem(
                "incomes",
                "income-below-standard",
                say(
                    "per-capita income %(per_capita_income)s is not below the %(value)s "
                    "standard %(standard)s (%(parameter_version)s)",
                    per_capita_income=yuan_text(ent.per_capita_income.quantize(FEN)),
                    value=code_text(ent.scheme.value),
                    standard=yuan_text(ent.standard),
                    parameter_version=ent.parameter_version,
                ),
            )
        )
    for missing in sorted(facts.required_documents - facts.documents):
        problems.append(
            Problem(
                "documents",
                "documents-complete",
                say("document missing: %(missing)s", missing=code_text(missing)),
            )
        )
    if facts.appraisal_passed is False:
        problems.append(
            Problem("appraisal", "democratic-appraisal", "the democratic appraisal did not pass")
        )
    if facts.notice_last_day is None:
        problems.append(
            Problem("public_notice", "public-notice", "the public notice has not been posted")
        )
    elif facts.decided_on <= facts.notice_last_day:
        problems.append(
            Problem(
                "public_notice",
                "public-notice",
                say(
                    "the public notice runs until %(notice_last_day)s; decide from the day after",
                    notice_last_day=facts.notice_last_day.isoformat(),
                ),
            )
        )
    if facts.open_objections:
        problems.append(
            Problem(
                "objections",
                "objections-resolved",
                say(
                    "%(open_objections)s objection(s) to the public notice are not resolved",
                    open_objections=facts.open_objections,
                ),
            )
        )
    if facts.upheld_objections:
        problems.append(
            Problem(
                "objections",
                "objections-resolved",
                say(
                    "%(upheld_objections)s objection(s) were upheld: re-investigate or reject",
                    upheld_objections=facts.upheld_objections,
                ),
            )
        )
    rule = facts.category_rule
    if rule is not None and rule.requires and rule.requires not in facts.member_circumstances:
        problems.append(
            Problem(
                "category",
                "category-conditions",
                say(
                    "category %(code)s is for households with a member who is %(requires)s; "
                    "none is recorded",
                    code=rule.code,
                    requires=rule.requires.replace("_", "-"),
                ),
            )
        )
    return problems


# --- benefit case status ----------------------------------------------------------------


class CaseStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CONTINUATION_FULL = "continuation_full"
    CONTINUATION_HALF = "continuation_half"
    TERMINATED = "terminated"


_RUNNING = frozenset(
    {CaseStatus.ACTIVE, CaseStatus.CONTINUATION_FULL, CaseStatus.CONTINUATION_HALF}
)
CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.PENDING: frozenset({CaseStatus.ACTIVE, CaseStatus.TERMINATED}),
    CaseStatus.ACTIVE: frozenset(
        {
            CaseStatus.SUSPENDED,
            CaseStatus.CONTINUATION_FULL,
            CaseStatus.CONTINUATION_HALF,
            CaseStatus.TERMINATED,
        }
    ),
    CaseStatus.SUSPENDED: frozenset({CaseStatus.ACTIVE, CaseStatus.TERMINATED}),
    CaseStatus.CONTINUATION_FULL: _RUNNING | {CaseStatus.SUSPENDED, CaseStatus.TERMINATED},
    CaseStatus.CONTINUATION_HALF: _RUNNING | {CaseStatus.SUSPENDED, CaseStatus.TERMINATED},
    CaseStatus.TERMINATED: frozenset(),
}


@implements("rule-8")
def case_transition_problem(current: str, target: str) -> Problem | None:
    if CaseStatus(target) in CASE_TRANSITIONS[CaseStatus(current)] and current != target:
        return None
    return Problem(
        "status",
        "case-status",
        say("a case that is %(current)s cannot become %(target)s", current=current, target=target),
    )


@implements("rule-8")
def next_review_on(from_day: date, scheme: Scheme | str, params: ParameterSet) -> date:
    """Dynamic management (report 1): urban cases re-reviewed twice a year, rural once."""
    months = params.int(f"benefits.re_review.{Scheme(scheme).value}_months")
    return add_months(from_day, months)


@implements("rule-9")
def needs_second_approver(official_relative_flags: Sequence[bool]) -> bool:
    """Report 3 (干部近亲属备案): an official's close relative's case is decided by two people."""
    return any(official_relative_flags)


# --- household input consistency ---------------------------------------------------------


@dataclass(frozen=True)
class MemberIdentity:
    national_id: str  # already shape- and check-digit-validated
    sex: str | None
    birth_date: date | None
    relation: str


@implements("rule-7")
def household_input_problems(members: Sequence[MemberIdentity], today: date) -> list[Problem]:
    """Inconsistencies a schema cannot see: the ID against stated sex and birth date, the same
    person twice, more than one head, a birth date after today."""
    from kernel.national_id import parse_national_id

    problems: list[Problem] = []
    seen: dict[str, int] = {}
    heads = 0
    for index, member in enumerate(members):
        where = f"members.{index}"
        decoded = parse_national_id(member.national_id)
        if member.sex is not None and member.sex != decoded.sex:
            problems.append(
                Problem(
                    f"{where}.sex",
                    "id-agrees",
                    say(
                        "sex %(sex)s disagrees with the ID, which encodes %(sex2)s",
                        sex=member.sex,
                        sex2=decoded.sex,
                    ),
                )
            )
        if member.birth_date is not None and member.birth_date != decoded.birth_date:
            problems.append(
                Problem(
                    f"{where}.birth_date",
                    "id-agrees",
                    say(
                        "birth date %(birth_date)s disagrees with the ID, which encodes "
                        "%(birth_date2)s",
                        birth_date=member.birth_date.isoformat(),
                        birth_date2=decoded.birth_date.isoformat(),
                    ),
                )
            )
        if decoded.birth_date > today:
            problems.append(
                Problem(
                    f"{where}.national_id", "id-plausible", "the ID's birth date is after today"
                )
            )
        if member.national_id in seen:
            problems.append(
                Problem(
                    f"{where}.national_id",
                    "one-person-once",
                    say(
                        "the same ID is given for members %(value)s and %(index)s",
                        value=seen[member.national_id],
                        index=index,
                    ),
                )
            )
        seen.setdefault(member.national_id, index)
        heads += member.relation == "head"
    if heads > 1:
        problems.append(
            Problem(
                "members",
                "one-head",
                say("a household has one head; %(heads)s were given", heads=heads),
            )
        )
    return problems


# --- part months (payment runs, back pay) -------------------------------------------------


@lru_cache(maxsize=4096)
@helper
def month_days(year: int, month: int) -> int:
    """Days in the month (``calendar.monthrange``, asked once per month: a payment run asks
    for every line it computes)."""
    return calendar.monthrange(year, month)[1]


@dataclass(frozen=True)
class AmountPeriod:
    starts_on: date
    ends_on: date | None  # last day, None while open
    monthly_amount: Decimal


@implements("rule-1")
def amount_between(
    periods: Sequence[AmountPeriod],
    first: date,
    last: date,
    quantum: Decimal,
    mode: str,
) -> Decimal:
    """What the periods pay from ``first`` to ``last`` inclusive.

    Part months are paid pro rata by calendar days: a status that holds for d days of a month
    of n days pays monthly amount × d / n, summed over the month's periods and rounded once per
    month by the policy's rule (documented choice; the seeds pay by the month and are silent on
    part months).

    The products are summed before the one division by n, so the month's total is the exact
    fraction Σ(amount × d) / n and only the rounding rule decides it: dividing each share first
    rounds it at Decimal's 28 digits, and a total lying exactly on a rounding boundary (half a
    fen) could then fall either side. The payment run's SQL computes the same exact total in
    whole fen (``benefits.payment_sql``).
    """
    total = ZERO
    cursor = first.replace(day=1)
    while cursor <= last:
        days_in_month = month_days(cursor.year, cursor.month)
        month_start = max(cursor, first)
        month_end = min(cursor.replace(day=days_in_month), last)
        day_amounts = ZERO  # Σ amount × d, exact: the one division below is all that rounds
        for period in periods:
            start = max(period.starts_on, month_start)
            end = min(period.ends_on or month_end, month_end)
            if start <= end:
                day_amounts += period.monthly_amount * ((end - start).days + 1)
        total += round_money(day_amounts / days_in_month, quantum, mode)
        cursor = add_months(cursor, 1)
    return total
