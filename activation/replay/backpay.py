"""Back pay on an upheld appeal, in the replay's costs (POLICY.md "Safeguards": an upheld appeal
restores payment and repays what the stop withheld; ``activation.sanctions._back_pay``).

An upheld appeal leaves the stopped period in the case's history and repays what it withheld as
a ``back_pay`` adjustment (``source = "appeal:<id>"``): the sanction's monthly reduction, pro rata
by the days from its start to the day before payment came back, rounded once per month. The
money a household had for a month is therefore its regular amount *and* what an appeal later
repaid of that month; the replay counts the back pay in the months it repays, so that a month
of an overturned stop costs, as recorded, what it cost in the end.

Under a reform, the appeal stands as it was decided (a person's decision, kept where it still
applies):

- a sanction that **falls away** (fewer refusals counted) withheld nothing: nothing is repaid,
  and the household is paid those days as regular money instead — the same money, so a stop
  that was overturned anyway changes nobody's figures;
- a sanction whose period the reform **leaves as recorded** repays what was recorded;
- a sanction whose period the reform **changes** (another scope, another standard) repays what
  that period withheld under the reform: the amount before it less the amount during it, over
  the same days, rounded as the sanction's own back pay was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from activation.replay.refusals import SANCTION_RULES
from benefits.payment_rules import Month, StatusSlice
from benefits.rules import AmountPeriod, amount_between
from kernel.money import from_fen, to_fen
from kernel.policy import ParameterSet


@dataclass(frozen=True)
class BackPayFacts:
    """An upheld appeal's back pay, with the sanction whose stop it repaid."""

    sanction_id: int
    started_on: date  # the sanction's first day
    covers_from: date
    covers_to: date
    amount_fen: int
    monthly_reduction: Decimal  # the sanction's recorded terms
    parameter_version: str  # the terms' version, whose rounding the back pay used


def reduction_at(history: Sequence[StatusSlice], started_on: date) -> int | None:
    """What the stop that began on ``started_on`` took a month in ``history`` (fen): the amount
    of the period before it less its own; None when the history has no such stop (the case was
    not running, or nothing was recorded before it)."""
    for index, piece in enumerate(history):
        if piece.rule in SANCTION_RULES and piece.starts_on >= started_on:
            if index == 0:
                return None
            return max(history[index - 1].monthly_amount_fen - piece.monthly_amount_fen, 0)
    return None


def split(
    reduction_fen: int,
    facts: BackPayFacts,
    months: Sequence[Month],
    version: Callable[[str], ParameterSet],
) -> list[int]:
    """``reduction_fen`` a month over the back pay's days, month by month (fen): rule 1 of the
    payment run, a month at a time, so the months add up to what the whole period gives."""
    params = version(facts.parameter_version)
    quantum = params.decimal("benefits.rounding.quantum")
    mode = params.text("benefits.rounding.mode")
    period = [AmountPeriod(facts.covers_from, facts.covers_to, from_fen(reduction_fen))]
    found = []
    for month in months:
        first, last = max(month.first, facts.covers_from), min(month.last, facts.covers_to)
        found.append(
            to_fen(amount_between(period, first, last, quantum, mode)) if first <= last else 0
        )
    return found


def recorded_split(
    facts: BackPayFacts, months: Sequence[Month], version: Callable[[str], ParameterSet]
) -> tuple[list[int], bool]:
    """The recorded back pay by the months it repaid, and whether the months of its whole
    period add up to the amount recorded (the gate's check that the ledger is reproduced)."""
    reduction = to_fen(facts.monthly_reduction)
    whole = split(reduction, facts, _months_of(facts), version)
    return split(reduction, facts, months, version), sum(whole) == facts.amount_fen


def repaid(
    recorded: Sequence[StatusSlice],
    reformed: Sequence[StatusSlice],
    back_pays: Sequence[BackPayFacts],
    months: Sequence[Month],
    version: Callable[[str], ParameterSet],
) -> list[int]:
    """What upheld appeals repay of each month under the reform (fen), by the rules above."""
    total = [0] * len(months)
    for facts in back_pays:
        was = reduction_at(recorded, facts.started_on)
        now = reduction_at(reformed, facts.started_on)
        if now == was:
            by_month, _ = recorded_split(facts, months, version)
        elif not now:
            continue  # the stop fell away, or the reform's history has none: nothing withheld
        else:
            by_month = split(now, facts, months, version)
        total = [a + b for a, b in zip(total, by_month, strict=True)]
    return total


def _months_of(facts: BackPayFacts) -> list[Month]:
    month, last = Month(facts.covers_from.year, facts.covers_from.month), facts.covers_to
    found = []
    while month.first <= last:
        found.append(month)
        month = month.plus(1)
    return found
