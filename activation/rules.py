"""Pure activation rules: who must register, what counts as a refusal, what follows from it.

Each rule takes plain facts and a ParameterSet and returns a result that names the rule, the
parameter version and a reason a person can read, so every decision can be stored and replayed
(POLICY.md "Safeguards": replayable decisions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kernel.dates import add_months, age_on
from kernel.money import round_money, yuan_text
from kernel.policy import ParameterSet

# --- the registration duty (report 4 §五4; POLICY.md rule 2) ---------------------------


@dataclass(frozen=True)
class PersonFacts:
    sex: str
    birth_date: date
    work_capacity: str  # full | partial | none
    disability: str  # none | mild | severe
    serious_illness: bool
    carer: bool
    pregnant: bool
    student: bool
    three_nos: bool

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PersonFacts:
        return cls(**{**data, "birth_date": date.fromisoformat(data["birth_date"])})


@dataclass(frozen=True)
class Duty:
    obligated: bool
    rule: str
    reason: str
    age: int
    age_limit: int
    exemptions: tuple[str, ...]
    parameter_version: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exemptions"] = list(self.exemptions)
        return data


EXEMPTION_TESTS = {
    "serious_illness": lambda p: p.serious_illness,
    "disability": lambda p: p.disability == "severe",
    "carer": lambda p: p.carer,
    "pregnant": lambda p: p.pregnant,
    "student": lambda p: p.student,
    "three_nos": lambda p: p.three_nos,
}


def registration_duty(person: PersonFacts, on: date, params: ParameterSet) -> Duty:
    """Must this person register as a job seeker on ``on``?

    Report 4 §五4: recipients and applicants with work capacity, men under 48 and women under
    38, must register at their community or township labour office. The safeguards exempt
    serious illness, severe disability, full-time caring, pregnancy, full-time study and
    three-nos persons ("duties follow capability"). A mild disability does not exempt; it is a
    physical limit that suitability checks respect.
    """
    key = "male" if person.sex == "male" else "female"
    limit = params.int(f"activation.registration.{key}_age_limit")
    age = age_on(person.birth_date, on)
    exempt = tuple(
        name
        for name in params.raw("activation.registration.exemptions")
        if EXEMPTION_TESTS[name](person)
    )
    version = params.version_id
    if person.work_capacity == "none":
        return Duty(
            False,
            "no-work-capacity",
            "recorded as without work capacity",
            age,
            limit,
            exempt,
            version,
        )
    if age < 16:
        return Duty(
            False,
            "below-working-age",
            f"aged {age}, below working age 16",
            age,
            limit,
            exempt,
            version,
        )
    if age >= limit:
        return Duty(
            False,
            "above-age-threshold",
            f"aged {age}; the duty applies to {key}s under {limit} (report 4)",
            age,
            limit,
            exempt,
            version,
        )
    if exempt:
        return Duty(
            False,
            "exempt",
            "exempt: " + ", ".join(e.replace("_", " ") for e in exempt),
            age,
            limit,
            exempt,
            version,
        )
    return Duty(
        True,
        "must-register",
        f"aged {age}, under {limit} for {key}s, able to work and not exempt (report 4 §五4)",
        age,
        limit,
        exempt,
        version,
    )


def registration_deadline(obligated_since: date, params: ParameterSet) -> date:
    return obligated_since + timedelta(days=params.int("activation.registration.deadline_days"))


def registration_warning_day(obligated_since: date, params: ParameterSet) -> date:
    """A reminder at the deadline; a written warning when a further grace period has passed."""
    return registration_deadline(obligated_since, params) + timedelta(
        days=params.int("activation.registration.warning_after_days")
    )


# --- referrals, answers and the refusal rule (report 4 §五4; art. 45 of the 2014 measures) -


class Answer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    NOT_HIRED = "not_hired"


class ReferralState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    NOT_HIRED = "not_hired"
    WITHDRAWN = "withdrawn"


ANSWER_STATES = {
    Answer.ACCEPTED: ReferralState.ACCEPTED,
    Answer.DECLINED: ReferralState.DECLINED,
    Answer.NO_ANSWER: ReferralState.NO_ANSWER,
    Answer.NOT_HIRED: ReferralState.NOT_HIRED,
}


def answer_problem(state: str, answer: Answer) -> str | None:
    """An open referral takes any answer; an unanswered one may still be answered late (the
    person answers after the deadline) and an accepted one may end as not hired. Nothing else."""
    late = state == ReferralState.NO_ANSWER and answer is not Answer.NO_ANSWER
    not_hired = state == ReferralState.ACCEPTED and answer is Answer.NOT_HIRED
    if state == ReferralState.OPEN or late or not_hired:
        return None
    return f"a referral that is {state} cannot be answered {answer.value}"


@dataclass(frozen=True)
class RefusalTest:
    """The facts that decide whether a decline counts (POLICY.md safeguards)."""

    declined: bool
    suitable: bool
    delivered: bool
    review_done: bool
    good_reason: bool


@dataclass(frozen=True)
class RefusalVerdict:
    counts: bool
    rule_path: tuple[str, ...]
    reason: str


def decline_counts(test: RefusalTest) -> RefusalVerdict:
    """A decline counts as a refusal only when every safeguard is passed, in this order."""
    path: list[str] = []
    steps = [
        (test.declined, "declined", "the person did not decline the offer"),
        (
            test.suitable,
            "suitable",
            "the referral failed the suitability check, so it never counts",
        ),
        (test.delivered, "delivered", "the offer was not confirmed to have reached the person"),
        (test.review_done, "good-reason-reviewed", "the good-reason review is not finished"),
        (not test.good_reason, "no-good-reason", "the review found a good reason"),
    ]
    for passed, name, failure in steps:
        path.append(name if passed else f"not-{name}")
        if not passed:
            return RefusalVerdict(False, tuple(path), failure)
    return RefusalVerdict(
        True, tuple(path), "a suitable, delivered offer declined without good reason"
    )


@dataclass(frozen=True)
class Outcome:
    """One referral's result on a day, as the refusal count sees it."""

    on: date
    kind: str  # "refusal" | "compliance"
    referral_id: int


@dataclass(frozen=True)
class RefusalCount:
    count: int
    threshold: int
    window_start: date
    consecutive_only: bool
    counted_referrals: tuple[int, ...]
    consequence: str  # "none" | "warning" | "sanction_proposal"
    parameter_version: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["window_start"] = self.window_start.isoformat()
        data["counted_referrals"] = list(self.counted_referrals)
        return data


def count_refusals(outcomes: Sequence[Outcome], on: date, params: ParameterSet) -> RefusalCount:
    """Counted refusals within the rolling window, optionally only the unbroken run since the
    last compliance (art. 45: 连续; report 4 counts all). At the threshold a sanction is
    proposed; below it each counted refusal brings a written warning."""
    months = params.int("activation.refusal.window_months")
    threshold = params.int("activation.refusal.threshold")
    consecutive = params.bool("activation.refusal.consecutive_only")
    window_start = add_months(on, -months) + timedelta(days=1)
    in_window = sorted(
        (o for o in outcomes if window_start <= o.on <= on), key=lambda o: (o.on, o.referral_id)
    )
    counted: list[int] = []
    for outcome in in_window:
        if outcome.kind == "refusal":
            counted.append(outcome.referral_id)
        elif consecutive:
            counted = []
    count = len(counted)
    if count >= threshold:
        consequence = "sanction_proposal"
    elif count >= 1:
        consequence = "warning"
    else:
        consequence = "none"
    return RefusalCount(
        count, threshold, window_start, consecutive, tuple(counted), consequence, params.version_id
    )


def warning_text(count: RefusalCount, scope: str) -> str:
    """The written warning after a counted refusal, stating the consequence (POLICY.md)."""
    left = count.threshold - count.count
    run = "in a row " if count.consecutive_only else ""
    effect = (
        "your share of the dibao payment"
        if scope == "member_share"
        else "your household's dibao payment"
    )
    return (
        f"Written warning: {count.count} suitable job offer(s) declined without good reason "
        f"since {count.window_start.isoformat()}. If {left} more {'is' if left == 1 else 'are'} "
        f"declined {run}without good reason, {effect} may be stopped after a notice and a "
        f"review by a second officer. You can always give your reasons. ({count.parameter_version})"
    )


# --- sanctions, the way back, appeals -----------------------------------------------------


@dataclass(frozen=True)
class SanctionTerms:
    scope: str  # "household" | "member_share"
    notice_on: date
    starts_on: date
    earliest_end_on: date
    appeal_by: date
    monthly_reduction: Decimal
    parameter_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "notice_on": self.notice_on.isoformat(),
            "starts_on": self.starts_on.isoformat(),
            "earliest_end_on": self.earliest_end_on.isoformat(),
            "appeal_by": self.appeal_by.isoformat(),
            "monthly_reduction": yuan_text(self.monthly_reduction),
            "parameter_version": self.parameter_version,
        }


def sanction_terms(
    *,
    confirmed_on: date,
    household_amount: Decimal,
    member_count: int,
    params: ParameterSet,
) -> SanctionTerms:
    """What a confirmed sanction does and when (POLICY.md safeguards: notice before a cut).

    Report 4 stops the household's payment; art. 45 reduces only the member's share, taken
    here as the household amount divided by its members, rounded by the policy's rule. The cut
    starts after the notice period; the way back opens after the minimum period; an appeal is
    possible until the appeal deadline counted from the notice.
    """
    scope = params.text("activation.sanction.scope")
    starts_on = confirmed_on + timedelta(days=params.int("activation.sanction.notice_days"))
    if scope == "household":
        reduction = household_amount
    else:
        share = household_amount / max(member_count, 1)
        reduction = round_money(
            share,
            params.decimal("benefits.rounding.quantum"),
            params.text("benefits.rounding.mode"),
        )
    return SanctionTerms(
        scope=scope,
        notice_on=confirmed_on,
        starts_on=starts_on,
        earliest_end_on=add_months(starts_on, params.int("activation.sanction.minimum_months")),
        appeal_by=confirmed_on + timedelta(days=params.int("activation.appeal.days")),
        monthly_reduction=min(reduction, household_amount),
        parameter_version=params.version_id,
    )


def resumption_day(complied_on: date, terms_earliest_end: date) -> date:
    """The way back: payment resumes on compliance, but not before the minimum period ends."""
    return max(complied_on, terms_earliest_end)


# --- replay --------------------------------------------------------------------------------


def _replay_duty(inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    person = PersonFacts.from_dict(inputs["person"])
    return registration_duty(person, date.fromisoformat(inputs["on"]), params).as_dict()


def _replay_refusal(inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    verdict = decline_counts(RefusalTest(**inputs))
    return {
        "counts": verdict.counts,
        "rule_path": list(verdict.rule_path),
        "reason": verdict.reason,
    }


def _replay_count(inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    outcomes = [
        Outcome(date.fromisoformat(o["on"]), o["kind"], o["referral_id"])
        for o in inputs["outcomes"]
    ]
    return count_refusals(outcomes, date.fromisoformat(inputs["on"]), params).as_dict()


def _replay_terms(inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    return sanction_terms(
        confirmed_on=date.fromisoformat(inputs["confirmed_on"]),
        household_amount=Decimal(inputs["household_amount"]),
        member_count=inputs["member_count"],
        params=params,
    ).as_dict()


def _replay_resumption(inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    day = resumption_day(
        date.fromisoformat(inputs["complied_on"]), date.fromisoformat(inputs["earliest_end_on"])
    )
    return {"resumes_on": day.isoformat()}


REPLAYERS = {
    "registration-duty": _replay_duty,
    "refusal-verdict": _replay_refusal,
    "refusal-count": _replay_count,
    "sanction-terms": _replay_terms,
    "sanction-resumption": _replay_resumption,
}


def replay(kind: str, inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    """Recompute a stored decision from its inputs under the parameter version it used."""
    return REPLAYERS[kind](inputs, params)
