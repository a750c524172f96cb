"""The household reassessed by the replay when a reform ends a continuation earlier than it
ended (activation/replay/continuation.py): the same rule the service applies the day after a
continuation (``benefits.rules.assess_entitlement``, POLICY.md rules 1 and 4), on the incomes
the household had recorded for that day, under the parameters in force that day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from activation.replay.continuation import Reassess
from benefits.rules import EntitlementParams, assess_entitlement
from kernel.money import to_fen
from kernel.policy import ParameterSet

EXIT = ("terminated", 0, "continuation-ended-exit")


@dataclass(frozen=True)
class IncomeFacts:
    amount: Decimal
    starts_on: date
    ends_on: date | None


def reassessor(
    scheme: str, category: str, member_count: int, incomes: Sequence[IncomeFacts]
) -> Reassess:
    def reassess(day: date, params: ParameterSet) -> tuple[str, int, str]:
        on_day = [
            i.amount
            for i in incomes
            if i.starts_on <= day and (i.ends_on is None or i.ends_on >= day)
        ]
        entitlement = assess_entitlement(
            scheme=scheme,
            category=category,
            member_count=max(member_count, 1),
            incomes=on_day,
            params=EntitlementParams.from_policy(params, scheme),
        )
        if not entitlement.eligible:
            return EXIT
        return "active", to_fen(entitlement.monthly_amount), "continuation-ended-reassessed"

    return reassess
