"""Pure training rules: trades, the possible order of outcome reports, rates and subsidies.

Report 4 §五1 is the source: courses in the trades the labour market wants, subsidies tied to
quality and to the "output" (输出) rate, an accountability review (责任倒查) when fewer than
60% are placed and a reward when more than 95% are. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from kernel.clauses import implements
from kernel.errors import Problem
from kernel.messages import say
from kernel.money import FEN, yuan_text
from kernel.policy import ParameterSet
from training import words

ZERO = Decimal(0)


@dataclass(frozen=True)
class Trade:
    code: str
    label: str
    physical_demand: str
    occupations: tuple[str, ...]


@implements("rule-6")
def trades_from_policy(params: ParameterSet) -> dict[str, Trade]:
    """Report 4 §五1's trades, extensible through the parameter training.trades."""
    return {
        t["code"]: Trade(
            code=t["code"],
            label=t["label"],
            physical_demand=t["physical_demand"],
            occupations=tuple(t.get("occupations", ())),
        )
        for t in params.raw("training.trades")
    }


# --- outcome reports ----------------------------------------------------------------------


class Kind(StrEnum):
    ENROLLED = "enrolled"
    ATTENDED = "attended"
    DROPPED = "dropped"
    COMPLETED = "completed"
    CERTIFIED = "certified"
    PLACED = "placed"


REQUIRED = {
    Kind.ENROLLED: (),
    Kind.ATTENDED: ("sessions_attended",),
    Kind.DROPPED: ("reason",),
    Kind.COMPLETED: (),
    Kind.CERTIFIED: ("certificate_no",),
    Kind.PLACED: ("employer", "occupation", "monthly_income", "hours_per_week"),
}


@dataclass(frozen=True)
class CourseWindow:
    starts_on: date
    ends_on: date
    sessions_total: int


@dataclass(frozen=True)
class Outcome:
    """One report from a provider about one trainee; ``on`` is the day it happened (for a
    placement: the job's start date)."""

    kind: Kind
    on: date
    sessions_attended: int | None = None
    reason: str | None = None
    certificate_no: str | None = None
    employer: str | None = None
    occupation: str | None = None
    monthly_income: Decimal | None = None
    hours_per_week: int | None = None


@dataclass(frozen=True)
class Progress:
    """Where a trainee stands; each milestone's day, None until reached."""

    enrolled_on: date
    sessions_attended: int = 0
    dropped_on: date | None = None
    completed_on: date | None = None
    certified_on: date | None = None
    placed_on: date | None = None

    @property
    def status(self) -> str:
        for name, day in (
            ("placed", self.placed_on),
            ("certified", self.certified_on),
            ("completed", self.completed_on),
            ("dropped", self.dropped_on),
        ):
            if day is not None:
                return name
        return "enrolled"


@implements("rule-6")
def check_outcome(
    progress: Progress, course: CourseWindow, outcome: Outcome, today: date
) -> list[Problem]:
    """Every reason this report cannot be accepted now; empty when it can.

    Impossible sequences are refused rather than guessed at: nothing but an enrolment for a
    course that has not started; no placement before the enrolment or before completion (a
    placement is the course's output, report 4 §五1); no certificate without completion; nothing
    after a drop-out; no milestone twice; no day in the future.
    """
    problems = [
        Problem(
            name,
            "required",
            say(
                "a report of “%(kind)s” needs %(name)s",
                kind=words.kind_text(outcome.kind),
                name=words.field_text(name),
            ),
        )
        for name in REQUIRED[outcome.kind]
        if getattr(outcome, name) is None
    ]
    kind, on = outcome.kind, outcome.on
    if on > today:
        problems.append(Problem("on", "not-future", say("%(on)s is in the future", on=on)))
    if kind is not Kind.ENROLLED and today < course.starts_on:
        problems.append(
            Problem(
                "course_id",
                "course-started",
                say(
                    "the course has not started (it starts on %(starts_on)s)",
                    starts_on=course.starts_on,
                ),
            )
        )
    if progress.dropped_on is not None and kind is not Kind.DROPPED:
        problems.append(
            Problem(
                "kind",
                "sequence",
                say("the trainee dropped out on %(dropped_on)s", dropped_on=progress.dropped_on),
            )
        )
    if kind is Kind.ENROLLED:
        if progress.status != "enrolled":
            problems.append(
                Problem(
                    "kind",
                    "sequence",
                    say(
                        "the trainee's state is already: %(status)s",
                        status=words.state_text(progress.status),
                    ),
                )
            )
    elif kind is Kind.ATTENDED:
        if progress.completed_on is not None:
            problems.append(Problem("kind", "sequence", "the trainee has completed the course"))
        sessions = outcome.sessions_attended
        if sessions is not None and sessions > course.sessions_total:
            problems.append(
                Problem(
                    "sessions_attended",
                    "sessions",
                    say(
                        "%(sessions)s sessions attended, but the course has %(sessions_total)s",
                        sessions=sessions,
                        sessions_total=course.sessions_total,
                    ),
                )
            )
        if sessions is not None and sessions < progress.sessions_attended:
            problems.append(
                Problem(
                    "sessions_attended",
                    "sessions",
                    say(
                        "attendance is cumulative: %(sessions_attended)s were reported already",
                        sessions_attended=progress.sessions_attended,
                    ),
                )
            )
    elif kind is Kind.DROPPED:
        if progress.dropped_on is not None:
            problems.append(Problem("kind", "once", "the drop-out was reported already"))
        if progress.completed_on is not None:
            problems.append(Problem("kind", "sequence", "a trainee who completed cannot drop out"))
    elif kind is Kind.COMPLETED:
        if progress.completed_on is not None:
            problems.append(Problem("kind", "once", "the completion was reported already"))
        if on < course.starts_on:
            problems.append(
                Problem(
                    "on",
                    "sequence",
                    say(
                        "completed before the course started (%(starts_on)s)",
                        starts_on=course.starts_on,
                    ),
                )
            )
    elif kind is Kind.CERTIFIED:
        if progress.certified_on is not None:
            problems.append(Problem("kind", "once", "the certificate was reported already"))
        if progress.completed_on is None:
            problems.append(
                Problem("kind", "sequence", "certified without completion: report completion first")
            )
        elif on < progress.completed_on:
            problems.append(
                Problem(
                    "on",
                    "sequence",
                    say(
                        "certified before completion (%(completed_on)s)",
                        completed_on=progress.completed_on,
                    ),
                )
            )
    elif kind is Kind.PLACED:
        if progress.placed_on is not None:
            problems.append(Problem("kind", "once", "the placement was reported already"))
        if progress.completed_on is None:
            problems.append(
                Problem(
                    "kind",
                    "sequence",
                    "placed before completion: a placement counts as the course's output only "
                    "after the trainee completed it (report 4 §五1)",
                )
            )
        if on < progress.enrolled_on:
            problems.append(
                Problem(
                    "on",
                    "sequence",
                    say(
                        "placed before enrolment (%(enrolled_on)s)",
                        enrolled_on=progress.enrolled_on,
                    ),
                )
            )
    if kind in (Kind.ATTENDED, Kind.DROPPED) and on < progress.enrolled_on:
        problems.append(
            Problem(
                "on",
                "sequence",
                say(
                    "%(on)s is before the enrolment (%(enrolled_on)s)",
                    on=on,
                    enrolled_on=progress.enrolled_on,
                ),
            )
        )
    return problems


@implements("rule-6")
def apply_outcome(progress: Progress, outcome: Outcome) -> Progress:
    """The trainee's progress after an accepted report."""
    match outcome.kind:
        case Kind.ENROLLED:
            return replace(progress, enrolled_on=outcome.on)
        case Kind.ATTENDED:
            return replace(progress, sessions_attended=outcome.sessions_attended or 0)
        case Kind.DROPPED:
            return replace(progress, dropped_on=outcome.on)
        case Kind.COMPLETED:
            return replace(progress, completed_on=outcome.on)
        case Kind.CERTIFIED:
            return replace(progress, certified_on=outcome.on)
        case Kind.PLACED:
            return replace(progress, placed_on=outcome.on)
    raise ValueError(outcome.kind)


# --- rates, flags and subsidy -------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    enrolled: int = 0
    dropped: int = 0
    completed: int = 0
    certified: int = 0
    placed: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.enrolled + other.enrolled,
            self.dropped + other.dropped,
            self.completed + other.completed,
            self.certified + other.certified,
            self.placed + other.placed,
        )


def _ratio(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


@dataclass(frozen=True)
class PlacementFlags:
    review: bool  # below the review line: accountability review (责任倒查)
    reward: bool  # above the reward line: reward

    @property
    def text(self) -> str:
        if self.review:
            return "placement rate below the review line: accountability review (责任倒查)"
        if self.reward:
            return "placement rate above the reward line: reward"
        return "placement rate between the review and reward lines"


@implements("rule-6")
def placement_flags(rate: Decimal, review_below: Decimal, reward_above: Decimal) -> PlacementFlags:
    """Report 4 §五1: 输出比率低于60%的要进行责任倒查 ... 超过95%的要进行奖励. Strict on both
    sides: exactly 60% is not below 60%, exactly 95% is not above 95%."""
    return PlacementFlags(review=rate < review_below, reward=rate > reward_above)


@dataclass(frozen=True)
class Rates:
    counts: Counts
    completion_rate: Decimal | None  # completed / enrolled
    certification_rate: Decimal | None  # certified / completed
    placement_rate: Decimal | None  # placed / completed: the output rate (输出比率)
    flags: PlacementFlags | None
    parameter_version: str

    def as_dict(self) -> dict[str, Any]:
        def pct(value: Decimal | None) -> str | None:
            return None if value is None else str((value * 100).quantize(Decimal("0.1")))

        return {
            "counts": self.counts.__dict__,
            "completion_rate_percent": pct(self.completion_rate),
            "certification_rate_percent": pct(self.certification_rate),
            "placement_rate_percent": pct(self.placement_rate),
            "accountability_review": bool(self.flags and self.flags.review),
            "reward": bool(self.flags and self.flags.reward),
            "parameter_version": self.parameter_version,
        }


PLACEMENT_DENOMINATOR = (
    "placement (output, 输出) rate = placed ÷ completed. Report 4 §五1 judges quality and output "
    "separately: trainees who cannot do the basic work (quality) and the 输出比率 (output) — so "
    "drop-outs show in the completion rate and are not counted twice against output; "
    "placed ÷ enrolled is also given for reference."
)


@implements("rule-6")
def rates(counts: Counts, params: ParameterSet) -> Rates:
    placement = _ratio(counts.placed, counts.completed)
    flags = None
    if placement is not None:
        flags = placement_flags(
            placement,
            params.decimal("training.placement.review_below"),
            params.decimal("training.placement.reward_above"),
        )
    return Rates(
        counts=counts,
        completion_rate=_ratio(counts.completed, counts.enrolled),
        certification_rate=_ratio(counts.certified, counts.completed),
        placement_rate=placement,
        flags=flags,
        parameter_version=params.version_id,
    )


@dataclass(frozen=True)
class Subsidy:
    per_trainee: Decimal
    on_completion: Decimal
    on_placement: Decimal
    reward_bonus: Decimal
    held_for_review: Decimal
    payable: Decimal
    parameter_version: str

    def as_dict(self) -> dict[str, str]:
        return {
            "per_trainee": yuan_text(self.per_trainee),
            "on_completion": yuan_text(self.on_completion),
            "on_placement": yuan_text(self.on_placement),
            "reward_bonus": yuan_text(self.reward_bonus),
            "held_for_review": yuan_text(self.held_for_review),
            "payable": yuan_text(self.payable),
            "parameter_version": self.parameter_version,
        }


@implements("rule-6")
def subsidy(per_trainee: Decimal, course_rates: Rates, params: ParameterSet) -> Subsidy:
    """Report 4 §五1: 将培训补贴与培训质量挂钩、与输出比例挂钩.

    A share of the per-trainee subsidy is earned for each completion and the rest for each
    placement (parameters training.subsidy.share_on_*). Above the reward line a bonus share is
    added; below the review line the placement share is held until the accountability review
    ends — held, not forfeited, because the review may find the cause outside the provider.
    Each amount is rounded once, to the fen.
    """
    counts = course_rates.counts

    def fen(amount: Decimal) -> Decimal:
        return amount.quantize(FEN, rounding=ROUND_HALF_UP)

    on_completion = fen(
        per_trainee * counts.completed * params.decimal("training.subsidy.share_on_completion")
    )
    on_placement = fen(
        per_trainee * counts.placed * params.decimal("training.subsidy.share_on_placement")
    )
    flags = course_rates.flags
    bonus = ZERO
    if flags is not None and flags.reward:
        share = params.decimal("training.subsidy.reward_bonus_share")
        bonus = fen((on_completion + on_placement) * share)
    held = on_placement if flags is not None and flags.review else ZERO
    return Subsidy(
        per_trainee=per_trainee,
        on_completion=on_completion,
        on_placement=on_placement,
        reward_bonus=bonus,
        held_for_review=held,
        payable=on_completion + on_placement + bonus - held,
        parameter_version=params.version_id,
    )
