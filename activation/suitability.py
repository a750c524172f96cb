"""Is an offer suitable for this person? The check stored on every referral.

POLICY.md safeguards: a referral counts only if it was suitable — health and capacity,
childcare, commute, wage at or above the local minimum, no strike or labour dispute — and the
check is recorded on the referral. A person's reservation wage above the minimum does not make
an offer unsuitable; it only matters for ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kernel.money import yuan_text

DEMAND_ORDER = {"light": 0, "medium": 1, "heavy": 2}
LIMIT_MAX_DEMAND = {"none": 2, "no_heavy": 1, "light_only": 0}


@dataclass(frozen=True)
class SeekerConstraints:
    work_capacity: str
    disability: str
    serious_illness: bool
    community: str
    hours_per_week: int
    shifts: tuple[str, ...]
    max_commute_km: int
    physical_limit: str
    childcare: bool


@dataclass(frozen=True)
class OfferFacts:
    monthly_wage: Decimal
    hours_per_week: int
    shift: str
    place: str
    commute_km: Decimal | None
    physical_demand: str
    labour_dispute: bool


def check_offer(
    seeker: SeekerConstraints, offer: OfferFacts, minimum_wage: Decimal
) -> dict[str, Any]:
    """Every hard check with its reason; suitable only if all pass."""
    checks: list[dict[str, Any]] = []

    def check(name: str, passed: bool, reason: str) -> None:
        checks.append({"name": name, "passed": passed, "reason": reason})

    limit = seeker.physical_limit
    if seeker.work_capacity == "partial" or seeker.disability != "none" or seeker.serious_illness:
        limit = "no_heavy" if limit == "none" else limit
    demand_ok = DEMAND_ORDER[offer.physical_demand] <= LIMIT_MAX_DEMAND[limit]
    check(
        "health_and_capacity",
        demand_ok,
        f"{offer.physical_demand} work within the person's limit ({limit})"
        if demand_ok
        else f"{offer.physical_demand} work exceeds the person's limit ({limit})",
    )
    if offer.commute_km is None:
        same = offer.place == seeker.community
        check(
            "commute",
            same,
            "in the person's own community"
            if same
            else "distance unknown and outside the person's community",
        )
    else:
        ok = offer.commute_km <= seeker.max_commute_km
        check(
            "commute", ok, f"{offer.commute_km} km against a maximum of {seeker.max_commute_km} km"
        )
    hours_ok = offer.hours_per_week <= seeker.hours_per_week
    check(
        "hours",
        hours_ok,
        f"{offer.hours_per_week} h/week against {seeker.hours_per_week} h available",
    )
    allowed_shifts = ("day",) if seeker.childcare else seeker.shifts
    shift_ok = offer.shift in allowed_shifts
    check(
        "shift_and_childcare",
        shift_ok,
        f"{offer.shift} shift; available: {', '.join(allowed_shifts)}"
        + (" (childcare: day shifts only)" if seeker.childcare else ""),
    )
    wage_ok = offer.monthly_wage >= minimum_wage
    check(
        "wage",
        wage_ok,
        f"{yuan_text(offer.monthly_wage)} yuan/month against the local minimum "
        f"{yuan_text(minimum_wage)}",
    )
    check(
        "no_labour_dispute",
        not offer.labour_dispute,
        "labour dispute or strike at the employer"
        if offer.labour_dispute
        else "no labour dispute known",
    )
    return {"suitable": all(c["passed"] for c in checks), "checks": checks}
