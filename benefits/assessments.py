"""The inputs of an assessment, kept on the status period whose amount it set.

An amount on the roll is a function of a few facts and the parameters in force: the scheme,
the category, how many members, the household's income on the assessment's day (report 1's
categorised assistance, POLICY.md rule 1). Keeping exactly those beside the period lets the
policy replay (issue 16) assess the household again under other standards or category factors,
and lets its gate prove first that the same inputs under the recorded version give the recorded
amount. What the assessment found (eligible, the amount, the version) is kept with them, so a
difference is visible without the period around it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from benefits.rules import Entitlement, EntitlementParams, assess_entitlement
from kernel.money import to_fen
from kernel.policy import ParameterSet


def assessment_record(entitlement: Entitlement, on: date, applies_from: date) -> dict[str, Any]:
    """``on``: the day the household was assessed; ``applies_from``: the first day paid on it."""
    return {
        "on": on.isoformat(),
        "from": applies_from.isoformat(),
        "scheme": entitlement.scheme.value,
        "category": entitlement.category,
        "member_count": entitlement.member_count,
        "household_income": str(entitlement.household_income),
        "eligible": entitlement.eligible,
        "monthly_amount_fen": to_fen(entitlement.monthly_amount),
        "parameter_version": entitlement.parameter_version,
    }


def assess_again(record: dict[str, Any], params: ParameterSet) -> Entitlement:
    """The household assessed on the record's inputs under ``params`` (the same pure rule)."""
    return assess_entitlement(
        scheme=record["scheme"],
        category=record["category"],
        member_count=int(record["member_count"]),
        incomes=[Decimal(record["household_income"])],
        params=EntitlementParams.from_policy(params, record["scheme"]),
    )


def outcome_fen(entitlement: Entitlement) -> int:
    """What the case is paid on an assessment: its amount while eligible, nothing otherwise."""
    return to_fen(entitlement.monthly_amount) if entitlement.eligible else 0
