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

from kernel.clauses import implements
from kernel.dates import add_months, age_on, last_day_of_months
from kernel.messages import N_, Text, as_data, say
from kernel.money import round_money, yuan_text
from kernel.policy import ParameterSet, PolicyError
from kernel.working_days import WorkingCalendar, working_calendar

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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Duty:
        """A duty as stored with its record (``as_dict``)."""
        return cls(
            obligated=bool(data["obligated"]),
            rule=str(data["rule"]),
            reason=str(data.get("reason", "")),
            age=int(data["age"]),
            age_limit=int(data["age_limit"]),
            exemptions=tuple(data.get("exemptions", ())),
            parameter_version=str(data.get("parameter_version", "")),
        )

    @property
    def explained(self) -> Text:
        """Why, as a catalog message with the facts it rests on (``reason`` is the English
        record kept with decisions and registrations)."""
        if self.rule == "no-work-capacity":
            return say("recorded as without work capacity")
        if self.rule == "below-working-age":
            return say("aged %(age)s, below working age 16", age=self.age)
        if self.rule == "above-age-threshold":
            return say(
                "aged %(age)s; the duty applies to people under %(limit)s of this sex (report 4)",
                age=self.age,
                limit=self.age_limit,
            )
        if self.rule == "exempt":
            return say(
                "exempt: %(exemptions)s",
                exemptions=[Text(EXEMPTION_WORDS.get(e, e)) for e in self.exemptions],
            )
        return say(
            "aged %(age)s, under %(limit)s for this sex, able to work and not exempt "
            "(report 4 §五4)",
            age=self.age,
            limit=self.age_limit,
        )


EXEMPTION_WORDS = {
    "serious_illness": N_("serious illness"),
    "disability": N_("severe disability"),
    "carer": N_("full-time carer"),
    "pregnant": N_("pregnancy"),
    "student": N_("full-time student"),
    "three_nos": N_("three-nos person"),
}


EXEMPTION_TESTS = {
    "serious_illness": lambda p: p.serious_illness,
    "disability": lambda p: p.disability == "severe",
    "carer": lambda p: p.carer,
    "pregnant": lambda p: p.pregnant,
    "student": lambda p: p.student,
    "three_nos": lambda p: p.three_nos,
}


@implements("rule-2", "safeguard-capability")
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


@implements("rule-2")
def registration_deadline(obligated_since: date, params: ParameterSet) -> date:
    return obligated_since + timedelta(days=params.int("activation.registration.deadline_days"))


@implements("rule-2")
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


@implements("rule-3", "safeguard-verified")
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


@implements("rule-3", "safeguard-suitable", "safeguard-verified")
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


@implements("rule-3", "safeguard-window", "safeguard-warning")
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


# The written warning, by whether refusals count only in a row and whether one more is left.
WARNINGS = {
    (False, False): N_(
        "Written warning: %(count)s suitable job offer(s) declined without good reason since "
        "%(since)s. If %(left)s more are declined without good reason, %(effect)s may be stopped "
        "after a notice and a review by a second officer. You can always give your reasons. "
        "(%(version)s)"
    ),
    (False, True): N_(
        "Written warning: %(count)s suitable job offer(s) declined without good reason since "
        "%(since)s. If %(left)s more is declined without good reason, %(effect)s may be stopped "
        "after a notice and a review by a second officer. You can always give your reasons. "
        "(%(version)s)"
    ),
    (True, False): N_(
        "Written warning: %(count)s suitable job offer(s) declined without good reason since "
        "%(since)s. If %(left)s more are declined in a row without good reason, %(effect)s may "
        "be stopped after a notice and a review by a second officer. You can always give your "
        "reasons. (%(version)s)"
    ),
    (True, True): N_(
        "Written warning: %(count)s suitable job offer(s) declined without good reason since "
        "%(since)s. If %(left)s more is declined in a row without good reason, %(effect)s may "
        "be stopped after a notice and a review by a second officer. You can always give your "
        "reasons. (%(version)s)"
    ),
}
WARNING_EFFECTS = {
    "member_share": N_("your share of the dibao payment"),
    "household": N_("your household's dibao payment"),
}


@implements("safeguard-warning")
def warning_text(count: RefusalCount, scope: str) -> Text:
    """The written warning after a counted refusal, stating the consequence (POLICY.md), as a
    catalog message with its facts: kept as such (``Warning.said``) and put in words in the
    reader's language each time it is shown or sent."""
    left = count.threshold - count.count
    effect = WARNING_EFFECTS["member_share" if scope == "member_share" else "household"]
    return Text(
        WARNINGS[(count.consecutive_only, left == 1)],
        {
            "count": count.count,
            "since": count.window_start.isoformat(),
            "left": left,
            "effect": Text(effect),
            "version": count.parameter_version,
        },
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


@implements("rule-3", "safeguard-notice", "safeguard-appeal", "safeguard-way-back")
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


@implements("safeguard-way-back")
def resumption_day(complied_on: date, terms_earliest_end: date) -> date:
    """The way back: payment resumes on compliance, but not before the minimum period ends."""
    return max(complied_on, terms_earliest_end)


# --- into work: the continuation (report 4 §五4; POLICY.md rule 4) -----------------------


@dataclass(frozen=True)
class ContinuationTerms:
    status: str  # continuation_full | continuation_half
    fraction: Decimal
    monthly_amount: Decimal
    starts_on: date
    ends_on: date  # the last day in continuation
    reason: Text
    rule_path: tuple[str, ...]
    parameter_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "fraction": str(self.fraction),
            "monthly_amount": yuan_text(self.monthly_amount),
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "reason": str(self.reason),
            "said": as_data(self.reason),
            "rule_path": list(self.rule_path),
            "parameter_version": self.parameter_version,
        }


@implements("rule-4")
def continuation_fraction(
    monthly_income: Decimal, params: ParameterSet
) -> tuple[Decimal, tuple[str, ...]]:
    """Below the threshold the previous benefit continues in full; at or above it, half
    (report 4 §五4: 800元以下延续, 800元以上减半). A profile may taper linearly from full at the
    threshold to the at-or-above fraction at ``continuation.taper_end`` instead of the cliff."""
    threshold = params.decimal("continuation.income_threshold")
    below = params.decimal("continuation.fraction_below_threshold")
    above = params.decimal("continuation.fraction_at_or_above_threshold")
    taper_end = params.text("continuation.taper_end").strip()
    if monthly_income < threshold:
        return below, ("income-below-threshold",)
    if not taper_end:
        return above, ("income-at-or-above-threshold", "cliff")
    end = Decimal(taper_end)
    if monthly_income >= end:
        return above, ("income-at-or-above-threshold", "taper-complete")
    share = (monthly_income - threshold) / (end - threshold)
    return below - (below - above) * share, ("income-at-or-above-threshold", "taper")


@implements("rule-4")
def continuation_ends_on(job_start: date, params: ParameterSet) -> date:
    """The continuation's last day. Report 4 §五4 grants six months; by default
    (``continuation.month_basis = "calendar"``) they are calendar months from the job's start,
    ending the day before the same date six months later; a profile may count months of
    ``continuation.month_days`` days instead (``"days"``)."""
    months = params.int("continuation.months")
    basis = params.text("continuation.month_basis")
    if basis == "calendar":
        return last_day_of_months(job_start, months)
    if basis == "days":
        return job_start + timedelta(days=months * params.int("continuation.month_days") - 1)
    raise PolicyError(
        f"continuation.month_basis must be calendar or days in {params.version_id}, not {basis!r}"
    )


@implements("rule-4")
def continuation_terms(
    *, job_start: date, monthly_income: Decimal, previous_amount: Decimal, params: ParameterSet
) -> ContinuationTerms:
    """The automatic right on taking a job: the case's previous amount continues for the
    continuation period, in full or in part by the job's monthly income."""
    fraction, path = continuation_fraction(monthly_income, params)
    amount = round_money(
        previous_amount * fraction,
        params.decimal("benefits.rounding.quantum"),
        params.text("benefits.rounding.mode"),
    )
    full = fraction == params.decimal("continuation.fraction_below_threshold")
    threshold = yuan_text(params.decimal("continuation.income_threshold"))
    ends_on = continuation_ends_on(job_start, params)
    facts = {
        "income": yuan_text(monthly_income),
        "threshold": threshold,
        "previous": yuan_text(previous_amount),
        "months": params.int("continuation.months"),
        "until": ends_on.isoformat(),
    }
    if full:
        reason = say(
            "took a job paying %(income)s yuan a month (below %(threshold)s): the previous "
            "%(previous)s yuan continues for %(months)s months, to %(until)s (report 4 §五4)",
            **facts,
        )
    else:
        reason = say(
            "took a job paying %(income)s yuan a month (at or above %(threshold)s): "
            "%(fraction)s of the previous %(previous)s yuan continues for %(months)s months, "
            "to %(until)s (report 4 §五4)",
            fraction=str(fraction.normalize()),
            **facts,
        )
    return ContinuationTerms(
        status="continuation_full" if full else "continuation_half",
        fraction=fraction,
        monthly_amount=amount,
        starts_on=job_start,
        ends_on=ends_on,
        reason=reason,
        rule_path=path,
        parameter_version=params.version_id,
    )


@implements("rule-4")
def in_continuation(day: date, terms_start: date, terms_end: date) -> bool:
    return terms_start <= day <= terms_end


# --- and back: fast re-entry (report 4 §五4: 出得去进得来; POLICY.md rule 5) ----------------


@dataclass(frozen=True)
class ReentryRight:
    eligible: bool
    window_ends_on: date
    decision_due_on: date
    flagged_for_review: bool
    reason: Text
    parameter_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "window_ends_on": self.window_ends_on.isoformat(),
            "decision_due_on": self.decision_due_on.isoformat(),
            "flagged_for_review": self.flagged_for_review,
            "reason": str(self.reason),
            "said": as_data(self.reason),
            "parameter_version": self.parameter_version,
        }


@implements("rule-5")
def reentry_right(
    *,
    exited_on: date,
    job_ended_on: date,
    reported_on: date,
    end_reason: str,
    params: ParameterSet,
    calendar: WorkingCalendar,
) -> ReentryRight:
    """A job that ends within the window after the case's exit opens the simplified path:
    a short re-application, no appraisal or public notice, a decision within a few working
    days, payment from the day it was reported. A job lost through misconduct is flagged for
    review, not barred (POLICY.md safeguards: re-entry is an automatic right, not a favour)."""
    window_ends = add_months(exited_on, params.int("reentry.window_months"))
    # Working days as the offices keep them: holidays off, adjusted weekends on.
    due = calendar.add_working_days(reported_on, params.int("reentry.decision_working_days"))
    misconduct = end_reason == "dismissed_misconduct"
    eligible = exited_on <= job_ended_on <= window_ends
    facts = {
        "ended": job_ended_on.isoformat(),
        "exited": exited_on.isoformat(),
        "months": params.int("reentry.window_months"),
        "window_ends": window_ends.isoformat(),
    }
    if eligible and misconduct:
        reason = say(
            "the job ended on %(ended)s, within %(months)s months of the exit on %(exited)s; "
            "dismissal for misconduct is flagged for review (not a bar)",
            **facts,
        )
    elif eligible:
        reason = say(
            "the job ended on %(ended)s, within %(months)s months of the exit on %(exited)s",
            **facts,
        )
    else:
        reason = say(
            "the job ended on %(ended)s, outside the re-entry window (%(exited)s to "
            "%(window_ends)s): a full application applies",
            **facts,
        )
    return ReentryRight(
        eligible, window_ends, due, misconduct and eligible, reason, params.version_id
    )


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


def _replay_continuation(inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    return continuation_terms(
        job_start=date.fromisoformat(inputs["job_start"]),
        monthly_income=Decimal(inputs["monthly_income"]),
        previous_amount=Decimal(inputs["previous_amount"]),
        params=params,
    ).as_dict()


def _replay_reentry(inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    return reentry_right(
        exited_on=date.fromisoformat(inputs["exited_on"]),
        job_ended_on=date.fromisoformat(inputs["job_ended_on"]),
        reported_on=date.fromisoformat(inputs["reported_on"]),
        end_reason=inputs["end_reason"],
        params=params,
        calendar=working_calendar(),
    ).as_dict()


def _replay_reassessment(inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    from benefits.rules import EntitlementParams, assess_entitlement

    return assess_entitlement(
        scheme=inputs["scheme"],
        category=inputs["category"],
        member_count=inputs["member_count"],
        incomes=[Decimal(i) for i in inputs["incomes"]],
        params=EntitlementParams.from_policy(params, inputs["scheme"]),
    ).explanation()


REPLAYERS = {
    "reassessment": _replay_reassessment,
    "continuation-terms": _replay_continuation,
    "reentry-right": _replay_reentry,
    "registration-duty": _replay_duty,
    "refusal-verdict": _replay_refusal,
    "refusal-count": _replay_count,
    "sanction-terms": _replay_terms,
    "sanction-resumption": _replay_resumption,
}


@implements("safeguard-replayable")
def replay(kind: str, inputs: dict[str, Any], params: ParameterSet) -> dict[str, Any]:
    """Recompute a stored decision from its inputs under the parameter version it used."""
    return REPLAYERS[kind](inputs, params)
