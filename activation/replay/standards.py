"""A case's history under a reform of the standards or the category factors (report 1's
categorised assistance; POLICY.md rule 1), from the assessments recorded on its periods
(``benefits.assessments``).

Each assessment is worked out again with the service's rule (``benefits.rules.assess_entitlement``)
on its own inputs — scheme, category, members, the household's income that day — under the
reformed parameters of its day, and the history is restated the way the service would have
written it:

- a period an assessment opened (an approval, a re-review, the reassessment after a
  continuation) is paid the reformed amount from the day the assessment applied; a re-review
  that left the amount as it was is kept on the open period, and splits it where it applied;
- a period that carried the amount of the assessment before it (a restoration after a stop)
  carries the reformed amount;
- an assessment the household no longer passes under the reform ends the case there: it would
  have been refused or exited, and nothing after it in that case is paid (counted as *exited*);
- an exit at a re-review or after a continuation that the household would pass under the reform
  keeps the case paid at the reformed amount, until the household's next case begins or the
  history ends (counted as *kept*; no later assessment was made, so the amount is held);
- a period whose amount nothing recorded explains — paid before assessments were kept
  (migration 0034), an imported roll's, or a member's share withheld by a sanction — is
  *unresolved*: the case keeps its history as it was, and is counted, never guessed.

The continuation's periods are left to ``continuation.rebuild``, which the engine runs on the
restated history with the continuation's previous amount restated (``rebased``). With no change
``restate`` gives back the history exactly; the engine checks that for every case (the gate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from activation.replay.continuation import INCOME_CHANGE, START, ContinuationFacts
from benefits.assessments import assess_again, outcome_fen
from benefits.payment_rules import StatusSlice
from kernel.money import from_fen
from kernel.policy import ParameterSet

BookAt = Callable[[date], ParameterSet]
Record = Mapping[str, Any]

EXITS = ("re-review-exit", "continuation-ended-exit")
CONTINUING = (START, INCOME_CHANGE)
TERMINATED = "terminated"
NOT_ASSESSED = "amount-not-assessed"
NO_BASE = "continuation-base-not-assessed"


@dataclass(frozen=True)
class Restated:
    slices: tuple[StatusSlice, ...]
    exited: int = 0  # cases the reform would have refused or exited
    kept: int = 0  # cases an exit the reform would not have made keeps paid
    unresolved: str | None = None


def restate(
    slices: Sequence[StatusSlice],
    assessments: Mapping[int, Sequence[Record]],
    book_at: BookAt,
    *,
    from_day: date,
    next_case: date | None = None,
) -> Restated:
    """The history with every assessed amount worked out again; ``from_day`` is the replay's
    first day (what ended before it is left as it was), ``next_case`` the first day of the
    household's next case, if it has one."""
    history: list[StatusSlice] = []
    carried: tuple[int, int] | None = None  # (the amount as recorded, as reformed)
    refused_before = False  # an assessment before the range the household would not pass
    for piece in slices:
        records = _applying(assessments.get(piece.period_id, ()), piece)
        if piece.ends_on is not None and piece.ends_on < from_day:
            history.append(piece)
            for record in records:
                recorded, reformed, passes = _again(record, book_at)
                carried, refused_before = (recorded, reformed), refused_before or not passes
            continue
        if refused_before:  # the case would not have reached the range
            history.append(replace(piece, status=TERMINATED, monthly_amount_fen=0))
            return _ended(history, slices)
        for part, record in _split(piece, records):
            if record is None:
                restated = _carry(part, carried)
                if restated is None:
                    return Restated(tuple(slices), unresolved=NOT_ASSESSED)
                _join(history, restated)
                if restated.status == TERMINATED and part.status != TERMINATED:
                    return _ended(history, slices)
                continue
            recorded, reformed, passes = _again(record, book_at)
            carried = (recorded, reformed)
            if _not_its_amount(part):
                _join(history, part)  # a continuation's or a stop's amount is not this one's
                continue
            if part.status == TERMINATED:
                if part.rule in EXITS and passes:
                    ends = None if next_case is None else next_case - timedelta(days=1)
                    kept = replace(part, status="active", ends_on=ends, monthly_amount_fen=reformed)
                    return Restated((*history, kept), kept=1)
                _join(history, part)
                continue
            if part.monthly_amount_fen != recorded:
                return Restated(tuple(slices), unresolved=NOT_ASSESSED)
            if not passes:
                history.append(replace(part, status=TERMINATED, monthly_amount_fen=0))
                return _ended(history, slices)
            _join(history, replace(part, monthly_amount_fen=reformed))
    return Restated(tuple(history))


def _join(history: list[StatusSlice], part: StatusSlice) -> None:
    """A part of the same period paid as the part before it continues it: a re-review that
    changes nothing leaves one period, as the service does."""
    last = history[-1] if history else None
    if (
        last is not None
        and last.period_id == part.period_id
        and (last.status, last.monthly_amount_fen) == (part.status, part.monthly_amount_fen)
    ):
        history[-1] = replace(last, ends_on=part.ends_on)
    else:
        history.append(part)


def rebased(
    continuations: Sequence[ContinuationFacts],
    actual: Sequence[StatusSlice],
    restated: Sequence[StatusSlice],
) -> list[ContinuationFacts] | None:
    """Each continuation with its previous amount restated: the amount of the period in force
    the day before the job began, as the reform pays it. None when that amount is not the one
    the continuation was worked out from (the restatement cannot say what it would be)."""
    found = []
    for facts in continuations:
        day = facts.job_start - timedelta(days=1)
        before = _at(actual, day)
        after = _at(restated, day)
        if before is None or after is None:
            return None
        if Decimal(from_fen(before.monthly_amount_fen)) != facts.previous_amount:
            return None
        found.append(replace(facts, previous_amount=from_fen(after.monthly_amount_fen)))
    return found


def _applying(records: Sequence[Record], piece: StatusSlice) -> list[Record]:
    """The period's assessments that applied while it held, in order; one that would apply
    only after it ended (a re-review just before a change) never did."""
    ordered = sorted(records, key=lambda r: (r["from"], r["on"]))
    return [
        r
        for r in ordered
        if piece.ends_on is None or date.fromisoformat(r["from"]) <= piece.ends_on
    ]


def _split(
    piece: StatusSlice, records: Sequence[Record]
) -> list[tuple[StatusSlice, Record | None]]:
    """The period cut where each of its assessments applied; a part before the first carries
    the assessment before the period (``None``), and of two applying on one day the later holds."""
    parts: list[tuple[StatusSlice, Record | None]] = [(piece, None)]
    for record in records:
        starts = date.fromisoformat(record["from"])
        last, _ = parts[-1]
        if starts <= last.starts_on:
            parts[-1] = (last, record)
            continue
        parts[-1] = (replace(last, ends_on=starts - timedelta(days=1)), parts[-1][1])
        parts.append((replace(piece, starts_on=starts, ends_on=piece.ends_on), record))
    return parts


def _again(record: Record, book_at: BookAt) -> tuple[int, int, bool]:
    """(what the assessment paid as recorded, what it pays under the book, whether it passes)."""
    again = assess_again(record, book_at(date.fromisoformat(record["on"])))
    recorded = int(record["monthly_amount_fen"]) if record["eligible"] else 0
    return recorded, outcome_fen(again), again.eligible


def _not_its_amount(piece: StatusSlice) -> bool:
    return piece.rule in CONTINUING or (
        piece.monthly_amount_fen == 0 and piece.status != TERMINATED
    )


def _carry(piece: StatusSlice, carried: tuple[int, int] | None) -> StatusSlice | None:
    if _not_its_amount(piece) or piece.status == TERMINATED:
        return piece
    if carried is None or piece.monthly_amount_fen != carried[0]:
        return None
    if carried[1] == 0:
        return replace(piece, status=TERMINATED, monthly_amount_fen=0)
    return replace(piece, monthly_amount_fen=carried[1])


def _ended(history: list[StatusSlice], slices: Sequence[StatusSlice]) -> Restated:
    """Nothing after a refusal or an exit is paid: the last period runs to the history's end."""
    last = replace(history[-1], ends_on=slices[-1].ends_on)
    return Restated((*history[:-1], last), exited=1)


def _at(slices: Sequence[StatusSlice], day: date) -> StatusSlice | None:
    return next(
        (s for s in slices if s.starts_on <= day and (s.ends_on is None or s.ends_on >= day)),
        None,
    )
