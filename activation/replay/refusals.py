"""A case's history under a reform of the refusal rule (POLICY.md rule 3; report 4 §五3 and the
national measures' art. 45): how many counted refusals stop payment, in what window, and
whether only an unbroken run counts.

Each sanction was proposed by a refusal count the service recorded with every outcome it
counted from (``refusal-count`` decisions). The replay counts them again with the same pure
rule (``activation.rules.count_refusals``) under the reform, on the same day:

- a sanction whose count no longer reaches the threshold **falls away**: its period (the
  household suspended, or the member's share taken off) is paid as the period before it was;
  whatever followed — a restoration, a
  termination, a new job — stands as recorded;
- a count that did not reach the threshold but would under the reform is a proposal a second
  officer would have had to review: it is **counted as needing a person**, never assumed to
  have been confirmed, and changes no money.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from activation.rules import Outcome, count_refusals
from benefits.payment_rules import StatusSlice
from kernel.policy import ParameterSet

SANCTION_RULES = ("refusal-sanction-household", "refusal-sanction-member-share")
PROPOSAL = "sanction_proposal"

BookAt = Callable[[date], ParameterSet]


@dataclass(frozen=True)
class CountFacts:
    """A recorded refusal count: the day, every outcome it counted from, what it led to."""

    member_id: int
    on: date
    outcomes: tuple[Outcome, ...]
    consequence: str


@dataclass(frozen=True)
class TermsFacts:
    """What a sanction's terms were worked out from when it was confirmed."""

    confirmed_on: date
    household_amount: Decimal
    member_count: int


@dataclass(frozen=True)
class SanctionFacts:
    sanction_id: int
    count: CountFacts
    started_on: date | None  # None: never took effect (rejected, withdrawn, case not running)
    terms: TermsFacts | None = None  # None: never confirmed


def outcomes_of(raw: Sequence[dict]) -> tuple[Outcome, ...]:
    return tuple(Outcome(date.fromisoformat(o["on"]), o["kind"], o["referral_id"]) for o in raw)


def proposes(count: CountFacts, book_at: BookAt) -> bool:
    return count_refusals(count.outcomes, count.on, book_at(count.on)).consequence == PROPOSAL


def newly_proposed(counts: Sequence[CountFacts], book_at: BookAt) -> set[int]:
    """Members with a count that proposed nothing then and would propose a sanction now."""
    return {c.member_id for c in counts if c.consequence != PROPOSAL and proposes(c, book_at)}


@dataclass(frozen=True)
class Lifted:
    slices: tuple[StatusSlice, ...]
    lifted: int  # sanctions that fell away and had taken money


def cut_of(history: Sequence[StatusSlice], started_on: date, used: set[int]) -> int | None:
    """Where in ``history`` the period a sanction started on ``started_on`` is: the first
    sanction period from that day on that no earlier sanction took."""
    return next(
        (
            i
            for i, s in enumerate(history)
            if s.rule in SANCTION_RULES and s.starts_on >= started_on and s.period_id not in used
        ),
        None,
    )


def lift(
    slices: Sequence[StatusSlice], sanctions: Sequence[SanctionFacts], book_at: BookAt
) -> Lifted:
    history = list(slices)
    lifted = 0
    used: set[int] = set()
    for sanction in sorted(sanctions, key=lambda s: (s.started_on or date.max, s.sanction_id)):
        if sanction.started_on is None or proposes(sanction.count, book_at):
            continue
        index = cut_of(history, sanction.started_on, used)
        if index is None:
            continue  # the case was not running when it began: it took nothing
        cut = history[index]
        used.add(cut.period_id)
        before = history[index - 1] if index else None
        if before is None:
            continue  # nothing recorded before the cut to pay instead
        # Without the sanction the period before it would have gone on: its status and amount
        # (the household's amount, or the amount before the member's share came off).
        history[index] = replace(
            cut, status=before.status, monthly_amount_fen=before.monthly_amount_fen
        )
        lifted += 1
    return Lifted(tuple(history), lifted)
