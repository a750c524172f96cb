"""A case's history under a reform of the sanction's scope (``activation.sanction.scope``): the
county pilot stops the household's payment (report 4 §五3), the national measures withhold only
the member's share (2014 Interim Measures, art. 45; POLICY.md rule 3).

Each started sanction was confirmed with recorded terms (a ``sanction-terms`` decision: the day,
the household's amount, its members). The replay works the terms out again with the same pure
rule (``activation.rules.sanction_terms``) under the reform and rewrites the period the sanction
started the way ``activation.sanctions.start_sanction`` writes it:

- **household**: the case suspended, nothing paid;
- **member's share**: the case as it was, its amount less the share (the household's amount at
  confirmation divided by its members, rounded by the policy's rule).

The sanction's days do not move (notice and minimum period are other parameters), and what
ended it — compliance, an upheld appeal, a termination — stands as recorded. A sanction whose
period was followed by anything else before it ended (an income change decided while it ran)
is *unresolved*: what that decision would have been under the other scope is a decision nobody
made, so the case keeps its history and is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from activation.replay.refusals import SANCTION_RULES, SanctionFacts, cut_of
from activation.rules import sanction_terms
from benefits.payment_rules import StatusSlice
from kernel.money import to_fen
from kernel.policy import ParameterSet

SCOPE = "activation.sanction.scope"
HOUSEHOLD, MEMBER_SHARE = "household", "member_share"
ENDINGS = ("sanction-ended-compliance", "appeal-upheld")
UNRESOLVED = "sanction-period-changed"

BookAt = Callable[[date], ParameterSet]


@dataclass(frozen=True)
class Rescoped:
    slices: tuple[StatusSlice, ...]
    changed: int
    unresolved: str | None = None


def rescope(
    slices: Sequence[StatusSlice],
    sanctions: Sequence[SanctionFacts],
    book_at: BookAt,
) -> Rescoped:
    history = list(slices)
    changed = 0
    used: set[int] = set()
    for sanction in sorted(sanctions, key=lambda s: (s.started_on or date.max, s.sanction_id)):
        facts = sanction.terms
        if sanction.started_on is None or facts is None:
            continue
        index = cut_of(history, sanction.started_on, used)
        if not index:  # none (it took nothing), or nothing recorded before it
            continue
        cut, before = history[index], history[index - 1]
        used.add(cut.period_id)
        again = sanction_terms(
            confirmed_on=facts.confirmed_on,
            household_amount=facts.household_amount,
            member_count=facts.member_count,
            params=book_at(facts.confirmed_on),
        )
        recorded = HOUSEHOLD if cut.rule == SANCTION_RULES[0] else MEMBER_SHARE
        if again.scope == recorded:
            continue
        after = history[index + 1] if index + 1 < len(history) else None
        if after is not None and after.rule not in ENDINGS and after.status != "terminated":
            return Rescoped(tuple(slices), 0, UNRESOLVED)
        if again.scope == HOUSEHOLD:
            history[index] = replace(cut, status="suspended", monthly_amount_fen=0)
        else:
            amount = max(before.monthly_amount_fen - to_fen(again.monthly_reduction), 0)
            history[index] = replace(cut, status=before.status, monthly_amount_fen=amount)
        changed += 1
    return Rescoped(tuple(history), changed)
