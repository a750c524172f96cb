"""Pure rules of the monthly payment: the month's amount, adjustments, and late corrections.

No I/O: plain values in (fen as integers, Decimal yuan for rates, dates), results out, each
carrying what it was computed from so a line in the ledger can be explained and recomputed.

The rules, in the order a run applies them (the seeds pay dibao by the month and say nothing on
part months or set-off, so these are documented choices):

1. **Regular amount.** Every status period carries the monthly amount payable while it holds
   (active: the assessed amount; continuation: full or half, POLICY.md rule 4; suspended and
   terminated: zero; a member-share sanction: the reduced amount). A month is paid pro rata by
   calendar days and rounded once, by the rounding rule (``benefits.rounding.*``) of the
   parameter version in force on the month's first day (``benefits.rules.amount_between``).
2. **Back pay** owed to the case (an upheld appeal, an underpayment found later) is added whole.
3. **Recovery** of an overpayment (POLICY.md rule 10) is deducted, oldest first, only as far as
   the month's payment stays at or above zero; a recovery that does not fit is deducted in
   part and the rest carried forward, and one that does not fit at all waits for a later month.
   Recovery is set off against later payments and shown on every line; nothing else collects
   it (rule 10: recording is in scope, collecting is not).
4. **Late changes.** When a status change reaches a month that was already paid (a termination
   or sanction recorded after the run, a re-review with an earlier effective date), the next
   run recomputes that month from the history as it now stands; the difference from what was
   paid (less corrections already recorded for that month) becomes a ``recovery`` or
   ``back_pay`` adjustment with the reason.
"""

from __future__ import annotations

import calendar
import decimal
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from benefits.rules import AmountPeriod, amount_between
from kernel.clauses import helper, implements
from kernel.dates import add_months
from kernel.errors import Problem
from kernel.messages import Text, carry, code_text, say, stored, uncarry
from kernel.money import fen_text, from_fen, to_fen, yuan_text
from kernel.policy import ParameterSet, PolicyError

PAYMENT_RULE = "monthly-pro-rata-v1"
RECOMPUTE_SOURCE = "recompute"  # adjustments from rule 4 have source "recompute:YYYY-MM"
CARRIED_SOURCE = "carried"  # the rest of a part-deducted recovery: "carried:<adjustment id>"
_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$")


# --- the month --------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` with a real month; ValueError otherwise."""
        match = _PERIOD.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                carry(say("%(text)s is not a month: write it as 2026-03", text=repr(text)))
            )
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(
                carry(say("%(text)s is not a month: the month must be 01 to 12", text=repr(text)))
            )
        if year < 1900:
            raise ValueError(
                carry(say("%(text)s is not a month: the year is out of range", text=repr(text)))
            )
        return cls(year, month)

    @cached_property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @cached_property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @cached_property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last(self) -> date:
        return date(self.year, self.month, self.days)

    def plus(self, months: int) -> Month:
        return Month.of(add_months(self.first, months))

    def __str__(self) -> str:
        return self.label


@helper
def period_problems(text: str, today: date) -> list[Problem]:
    """Why a payment run cannot be asked for this period, if it cannot.

    A period is ``YYYY-MM``. Next month may be run ahead (offices pay at the start of the month
    the money is for); anything later would pay on a status history that is not known yet.
    """
    try:
        month = Month.parse(text)
    except ValueError as exc:
        return [Problem("period", "period-format", uncarry(str(exc)))]
    latest = Month.of(today).plus(1)
    if month > latest:
        return [
            Problem(
                "period",
                "period-not-future",
                say(
                    "%(month)s is more than a month ahead; the latest period that can run "
                    "today (%(today)s) is %(latest)s",
                    month=month,
                    today=today.isoformat(),
                    latest=latest,
                ),
            )
        ]
    return []


# --- rounding -----------------------------------------------------------------------------------

ROUNDING_MODES = tuple(sorted(name for name in dir(decimal) if name.startswith("ROUND_")))


@dataclass(frozen=True)
class Rounding:
    quantum: Decimal
    mode: str
    parameter_version: str

    @classmethod
    def from_policy(cls, params: ParameterSet) -> Rounding:
        """The version's rounding; a mode Decimal does not know, or a step that is not a
        positive amount, is refused (a version proposed with one never goes live)."""
        quantum = params.decimal("benefits.rounding.quantum")
        mode = params.text("benefits.rounding.mode")
        if mode not in ROUNDING_MODES:
            raise PolicyError(f"benefits.rounding.mode must be one of {', '.join(ROUNDING_MODES)}")
        if not quantum.is_finite() or quantum <= 0:
            raise PolicyError("benefits.rounding.quantum must be an amount above 0")
        return cls(quantum=quantum, mode=mode, parameter_version=params.version_id)

    @cached_property
    def quantum_fen(self) -> int | None:
        """The step in whole fen that rounding to the quantum rounds to, or None when it is
        finer than a fen (kept once worked out: the replay asks for it once a month of every
        case it prices).

        ``Decimal.quantize`` rounds to the quantum's *exponent*, not its value: 0.5 rounds to
        the jiao, 0.10 and 1.00 to the fen. The integer paths (the payment run's SQL, the
        replay) round to this step, so they round as the Python rule does whatever way the
        quantum is written.
        """
        exponent = self.quantum.as_tuple().exponent
        if not isinstance(exponent, int) or exponent < -2:
            return None
        return 10 ** (exponent + 2)

    def as_dict(self) -> dict[str, str]:
        return {
            "quantum": str(self.quantum),
            "mode": self.mode,
            "parameter_version": self.parameter_version,
        }


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusSlice:
    """One status period of the case's history (a CaseStatusPeriod row)."""

    period_id: int
    status: str
    starts_on: date
    ends_on: date | None  # last day; None while open
    monthly_amount_fen: int
    rule: str
    parameter_version: str


@dataclass(frozen=True)
class Owed:
    """An unsettled adjustment: back pay positive, recovery negative (fen)."""

    adjustment_id: int
    kind: str
    amount_fen: int
    source: str
    reason: str
    parameter_version: str = ""


@dataclass(frozen=True)
class Applied:
    adjustment_id: int
    owed_fen: int
    applied_fen: int  # what this month's payment took of it (the whole of it, or part)


@dataclass(frozen=True)
class Settlement:
    regular_fen: int
    adjustments_fen: int
    amount_fen: int
    carried_fen: int  # recovery still owed after this month (a positive number of fen)
    applied: tuple[Applied, ...]  # adjustments settled this month
    carry_rest_of: Applied | None  # a recovery settled in part; its rest becomes a new row

    @property
    def settled_ids(self) -> list[int]:
        return [a.adjustment_id for a in self.applied]


# --- rules 1 to 3 ------------------------------------------------------------------------------

TERMINATED = "terminated"


@implements("rule-1")
def in_ledger(slices: Sequence[StatusSlice], owed: Sequence[Owed]) -> bool:
    """A case has a line for the month if it was live (not terminated) on some day of it, or
    if money is owed either way. A case closed before the month began has none: its zero would
    say nothing and would repeat every month for ever."""
    return bool(owed) or any(s.status != TERMINATED for s in slices)


@implements("rule-1")
def regular_fen(slices: Iterable[StatusSlice], month: Month, rounding: Rounding) -> int:
    """Rule 1: the month's amount from the status history, pro rata, rounded once."""
    periods = [AmountPeriod(s.starts_on, s.ends_on, from_fen(s.monthly_amount_fen)) for s in slices]
    if not periods:
        return 0
    amount = amount_between(periods, month.first, month.last, rounding.quantum, rounding.mode)
    return to_fen(amount)


@implements("rule-10")
def settle(regular: int, owed: Sequence[Owed]) -> Settlement:
    """Rules 2 and 3: add back pay, then deduct recoveries oldest first down to zero at most.

    ``owed`` must be in the order the adjustments arose (oldest first).
    """
    back_pay = [o for o in owed if o.amount_fen > 0]
    recoveries = [o for o in owed if o.amount_fen < 0]
    applied = [Applied(o.adjustment_id, o.amount_fen, o.amount_fen) for o in back_pay]
    payable = regular + sum(o.amount_fen for o in back_pay)
    carried = 0
    partial: Applied | None = None
    for recovery in recoveries:
        owed_back = -recovery.amount_fen
        if payable == 0:
            carried += owed_back  # waits, unsettled, for a month with something to deduct from
            continue
        taken = min(payable, owed_back)
        payable -= taken
        entry = Applied(recovery.adjustment_id, recovery.amount_fen, -taken)
        applied.append(entry)
        if taken < owed_back:
            partial = entry
            carried += owed_back - taken
    adjustments = sum(a.applied_fen for a in applied)
    return Settlement(
        regular_fen=regular,
        adjustments_fen=adjustments,
        amount_fen=regular + adjustments,
        carried_fen=carried,
        applied=tuple(applied),
        carry_rest_of=partial,
    )


@implements("rule-1")
def plain_fen(
    slices: Sequence[StatusSlice], owed: Sequence[Owed], month: Month, rounding: Rounding
) -> int | None:
    """The month's amount of a *plain* case, or None if the case is not plain.

    Plain: one status period covers every day of the month, pays a positive amount that is a
    whole number of rounding steps, and nothing is owed either way. Rules 1 to 3 then reduce to
    "pay the period's monthly amount": d = n days pro rata is the whole amount, rounding leaves
    it as it is, and there is nothing to add or deduct. Most cases of a month are plain, so a
    run pays them with one statement per batch (``benefits.payment_sql``) — this function is
    that statement's rule, and the tests hold the two to each other and to rules 1 to 3.
    """
    if owed or len(slices) != 1:
        return None
    only = slices[0]
    step = rounding.quantum_fen
    if (
        only.status == TERMINATED
        or only.monthly_amount_fen <= 0
        or step is None
        or only.monthly_amount_fen % step
        or only.starts_on > month.first
        or (only.ends_on is not None and only.ends_on < month.last)
    ):
        return None
    return only.monthly_amount_fen


@implements("rule-1")
def plain_inputs(month: Month, period: StatusSlice, rounding: Rounding) -> dict[str, Any]:
    """The explanation of a plain line, derived when it is read from the period it was paid
    from: the same as ``line_inputs`` would have stored. The period counts as covering the whole
    month whatever its dates say now (a period is closed in place when a later status begins;
    a change reaching back into a paid month is corrected by rule 4, not by rewriting the
    line)."""
    whole = StatusSlice(
        period_id=period.period_id,
        status=period.status,
        starts_on=month.first,
        ends_on=month.last,
        monthly_amount_fen=period.monthly_amount_fen,
        rule=period.rule,
        parameter_version=period.parameter_version,
    )
    return line_inputs(month, [whole], [], settle(period.monthly_amount_fen, []), rounding)


@implements("rule-1")
def line_inputs(
    month: Month,
    slices: Sequence[StatusSlice],
    owed: Sequence[Owed],
    settlement: Settlement,
    rounding: Rounding,
) -> dict[str, Any]:
    """What a ledger line records about how its amount came about (replayable by hand)."""
    applied = {a.adjustment_id: a.applied_fen for a in settlement.applied}
    return {
        "month": month.label,
        "days_in_month": month.days,
        "rounding": rounding.as_dict(),
        "periods": [
            {
                "id": s.period_id,
                "status": s.status,
                "from": max(s.starts_on, month.first).isoformat(),
                "to": min(s.ends_on or month.last, month.last).isoformat(),
                "days": days_in(s, month),
                "monthly_amount": fen_text(s.monthly_amount_fen),
                "rule": s.rule,
                "parameter_version": s.parameter_version,
            }
            for s in slices
        ],
        "adjustments": [
            {
                "id": o.adjustment_id,
                "kind": o.kind,
                "owed": fen_text(o.amount_fen),
                "applied": fen_text(applied.get(o.adjustment_id, 0)),
                "source": o.source,
                "reason": o.reason,
            }
            for o in owed
        ],
        "carried": fen_text(settlement.carried_fen),
    }


@helper
def days_in(slice_: StatusSlice, month: Month) -> int:
    start = max(slice_.starts_on, month.first)
    end = min(slice_.ends_on or month.last, month.last)
    return max((end - start).days + 1, 0)


REASON_LENGTH = 2000  # payment_adjustment.reason


@helper
def kept(text: Text) -> str:
    """A reason for the adjustment table, kept as data to be read in the reader's language; one
    too long for the column (a recovery carried forward many times) keeps its English."""
    data = stored(text)
    return data if len(data) <= REASON_LENGTH else str(text)[:REASON_LENGTH]


@implements("rule-10")
def carried_reason(recovery: Owed, month: Month, rest_fen: int) -> str:
    return kept(
        say(
            "rest of recovery %(id)s (%(rest)s) carried forward from %(month)s: the month's "
            "payment may not go below zero. Originally: %(reason)s",
            id=recovery.adjustment_id,
            rest=yuan_text(from_fen(rest_fen)),
            month=str(month),
            reason=uncarry(recovery.reason or ""),
        )
    )


# --- rule 4 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    month: Month
    due_fen: int
    paid_fen: int  # the regular amount on the month's line (0 if it had none)
    corrected_fen: int  # corrections for the month recorded before
    difference_fen: int  # > 0 underpaid (back pay), < 0 overpaid (recovery)

    @property
    def kind(self) -> str:
        return "back_pay" if self.difference_fen > 0 else "recovery"


@implements("rule-10")
def correction(month: Month, due_fen: int, paid_fen: int, corrected_fen: int) -> Correction:
    """Rule 4: what an already-paid month still owes (+) or was overpaid (−).

    Corrections recorded for the month before are counted as paid, so recomputing a month any
    number of times records each difference once.
    """
    return Correction(month, due_fen, paid_fen, corrected_fen, due_fen - paid_fen - corrected_fen)


@implements("rule-10")
def correction_reason(fix: Correction, late_changes: Sequence[StatusSlice]) -> str:
    changes = [
        say(
            "%(status)s from %(day)s (%(rule)s)",
            status=code_text(s.status),
            day=s.starts_on.isoformat(),
            rule=s.rule,
        )
        for s in late_changes
    ]
    return kept(
        say(
            "%(month)s recomputed after status changes recorded later (%(changes)s): paid "
            "%(paid)s, due %(due)s, %(verdict)s by %(difference)s (POLICY.md rule 10)",
            month=str(fix.month),
            changes=changes or say("history"),
            paid=yuan_text(from_fen(fix.paid_fen + fix.corrected_fen)),
            due=yuan_text(from_fen(fix.due_fen)),
            verdict=say("underpaid") if fix.difference_fen > 0 else say("overpaid"),
            difference=yuan_text(from_fen(abs(fix.difference_fen))),
        )
    )


@helper
def recompute_source(month: Month) -> str:
    return f"{RECOMPUTE_SOURCE}:{month}"


@helper
def overlaps(slice_: StatusSlice, month: Month) -> bool:
    return slice_.starts_on <= month.last and (
        slice_.ends_on is None or slice_.ends_on >= month.first
    )
