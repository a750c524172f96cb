"""A case's status history rebuilt under a reform of the continuation (report 4 §五4; POLICY.md
rule 4), from the facts the service recorded: the job's start, the wages and their changes,
the previous amount.

The service writes a continuation as a ``continuation-start`` period, a
``continuation-income-change`` period whenever a wage change moves the fraction (when
``continuation.follow_income_changes``), and ends it with a ``continuation-ended-*`` period the
day after its last day (the reassessment), or earlier by ``continuation-job-lost`` or a
person's decision. ``rebuild`` walks the same steps with the same pure rules
(``activation.rules.continuation_terms``) under the reformed parameters:

- the amounts of the continuation's periods follow the reformed line, fractions and taper;
- a longer continuation runs over the automatic reassessment that followed it, up to the next
  period a person or another event started; a shorter one hands over to that reassessment's
  outcome earlier (counted as *approximated*: the reassessment is taken as recorded, on the
  incomes of its actual day);
- a continuation still running that the reform would have ended before today is reassessed the
  day after its reformed end with the service's own rule (``benefits.rules.assess_entitlement``)
  on the household's incomes recorded for that day (counted as *reassessed*);
- a continuation the reform would end before a job loss or a person's decision, where what
  would have followed is a decision nobody made, is *unresolved*: the case keeps its history as
  it was, and is counted, never guessed.

With no change, ``rebuild`` must give back the history exactly; the engine checks that for
every case (the gate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from activation.rules import continuation_ends_on, continuation_terms
from benefits.payment_rules import StatusSlice
from kernel.money import to_fen
from kernel.policy import ParameterSet

START = "continuation-start"
INCOME_CHANGE = "continuation-income-change"
ENDED = ("continuation-ended-reassessed", "continuation-ended-exit")

BookAt = Callable[[date], ParameterSet]
# The reassessment the day after a reformed end: (status, monthly amount in fen, rule).
Reassess = Callable[[date, ParameterSet], tuple[str, int, str]]


@dataclass(frozen=True)
class ContinuationFacts:
    """What the service knew when it decided: the job's start, the amount before, the wages."""

    continuation_id: int
    job_start: date
    previous_amount: Decimal
    start_income: Decimal
    wage_changes: tuple[tuple[date, Decimal], ...]  # (effective from, monthly) after the start


@dataclass(frozen=True)
class Rebuilt:
    slices: tuple[StatusSlice, ...]
    approximated: int = 0
    reassessed: int = 0
    unresolved: str | None = None  # why the case keeps its history as it was


def rebuild(
    slices: Sequence[StatusSlice],
    continuations: Sequence[ContinuationFacts],
    book_at: BookAt,
    today: date,
    reassess: Reassess | None = None,
) -> Rebuilt:
    history = list(slices)
    approximated = reassessed = 0
    used: set[int] = set()
    for facts in sorted(continuations, key=lambda c: (c.job_start, c.continuation_id)):
        first = next(
            (
                i
                for i, s in enumerate(history)
                if s.rule == START and s.starts_on >= facts.job_start and s.period_id not in used
            ),
            None,
        )
        if first is None:
            return Rebuilt(tuple(slices), unresolved="no-start-period")
        last = first
        while last + 1 < len(history) and history[last + 1].rule == INCOME_CHANGE:
            last += 1
        used.update(s.period_id for s in history[first : last + 1])
        outcome = _rebuild_one(history, first, last, facts, book_at, today, reassess)
        if isinstance(outcome, str):
            return Rebuilt(tuple(slices), unresolved=outcome)
        history, shortened, fresh = outcome
        approximated += shortened
        reassessed += fresh
    return Rebuilt(tuple(history), approximated=approximated, reassessed=reassessed)


def _rebuild_one(
    history: list[StatusSlice],
    first: int,
    last: int,
    facts: ContinuationFacts,
    book_at: BookAt,
    today: date,
    reassess: Reassess | None,
) -> tuple[list[StatusSlice], int, int] | str:
    actual_end = history[last].ends_on
    following = history[last + 1] if last + 1 < len(history) else None
    reformed_end = continuation_ends_on(facts.job_start, book_at(facts.job_start))
    shortened = 0
    tail = history[last + 1 :]
    phase_end: date | None
    if following is not None and following.rule in ENDED:
        # Ended by its own term: the reformed term decides, up to the next event's start.
        phase_end = reformed_end
        if following.ends_on is not None and reformed_end >= following.ends_on:
            phase_end = following.ends_on
            tail = history[last + 2 :]
        else:
            moved = replace(following, starts_on=reformed_end + timedelta(days=1))
            tail = [moved, *history[last + 2 :]]
        if actual_end is not None and reformed_end < actual_end:
            shortened = 1
    elif actual_end is None:
        # Still running: a reform ending it before today reassesses the household the next day.
        if reformed_end < today:
            if reassess is None:
                return "ends-before-today"
            day = reformed_end + timedelta(days=1)
            status, amount, rule = reassess(day, book_at(day))
            phase = _phase(facts, book_at, history[first], reformed_end)
            after = StatusSlice(-1000, status, day, None, amount, rule, book_at(day).version_id)
            return [*history[:first], *phase, after], 0, 1
        phase_end = None
    else:
        # Ended by a job loss or a person's decision: that end stands unless the reform would
        # have ended the continuation first, which needs a reassessment nobody recorded.
        if reformed_end < actual_end:
            return f"ends-before-{following.rule if following else 'history-end'}"
        phase_end = actual_end
    phase = _phase(facts, book_at, history[first], phase_end)
    return [*history[:first], *phase, *tail], shortened, 0


def _phase(
    facts: ContinuationFacts, book_at: BookAt, start: StatusSlice, ends_on: date | None
) -> list[StatusSlice]:
    """The continuation's periods from its start period's first day to ``ends_on``, split where
    a wage change moves the fraction, as ``activation.work`` does."""
    params = book_at(facts.job_start)
    terms = continuation_terms(
        job_start=facts.job_start,
        monthly_income=facts.start_income,
        previous_amount=facts.previous_amount,
        params=params,
    )
    periods = [
        replace(
            start,
            status=terms.status,
            ends_on=ends_on,
            monthly_amount_fen=to_fen(terms.monthly_amount),
            parameter_version=params.version_id,
        )
    ]
    fraction = terms.fraction
    for day, income in facts.wage_changes:
        if ends_on is not None and day > ends_on:
            break
        at = book_at(day)
        if not at.bool("continuation.follow_income_changes"):
            continue
        changed = continuation_terms(
            job_start=facts.job_start,
            monthly_income=income,
            previous_amount=facts.previous_amount,
            params=at,
        )
        if changed.fraction == fraction:
            continue
        fraction = changed.fraction
        effective = max(day, periods[-1].starts_on + timedelta(days=1))
        if ends_on is not None and effective > ends_on:
            break
        periods[-1] = replace(periods[-1], ends_on=effective - timedelta(days=1))
        periods.append(
            StatusSlice(
                period_id=-len(periods),
                status=changed.status,
                starts_on=effective,
                ends_on=ends_on,
                monthly_amount_fen=to_fen(changed.monthly_amount),
                rule=INCOME_CHANGE,
                parameter_version=at.version_id,
            )
        )
    return periods


def same_history(left: Sequence[StatusSlice], right: Sequence[StatusSlice]) -> bool:
    """Equal as money sees it: the same statuses, days and amounts in the same order."""

    def key(s: StatusSlice) -> tuple[str, date, date | None, int]:
        return (s.status, s.starts_on, s.ends_on, s.monthly_amount_fen)

    return [key(s) for s in left] == [key(s) for s in right]
