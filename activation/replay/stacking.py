"""Each change of a reform with its own effect (issue 16: "stacking, so each change of a reform
shows its own effect").

A reform of several changes is priced, in the same pass, as the steps that build it up in the
order the changes were given: the first change alone, then the first two, and so on to the
whole reform. A step's own effect is what it adds to the step before it (the first's, to what
was paid), so the effects add up to the whole reform's difference. The order is part of the
answer — a higher line costs more when the continuation is also longer — and the report keeps
the order it used, so the reader can ask again in another.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from activation.replay.reform import Reform


def with_steps(reforms: Sequence[Reform]) -> list[Reform]:
    """One reform of several changes: it, then the steps that build it up short of it — the
    reform first, so a report's first reform is still the one asked for. A grid, or a single
    change, is priced as it is."""
    if len(reforms) != 1 or len(reforms[0].changes) < 2:
        return list(reforms)
    items = list(reforms[0].changes.items())
    return [reforms[0], *(Reform(dict(items[:n])) for n in range(1, len(items)))]


def stacking(reports: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each change in turn with the step's cost and its own effect. ``reports`` are those of
    ``with_steps``, in that order, each with its figures (the gate passed). The households that
    gain and lose are each step's against what was paid, as in the reform's own report."""
    before = Decimal(reports[0]["cost_actual"])
    seen: set[str] = set()
    found = []
    for report in [*reports[1:], reports[0]]:
        (key,) = [k for k in report["reform"] if k not in seen]
        seen.add(key)
        cost = Decimal(report["cost_reform"])
        found.append(
            {
                "change": {key: report["reform"][key]},
                "cost_reform": report["cost_reform"],
                "effect": f"{cost - before:.2f}",
                "households_gain": report["households_gain"],
                "households_lose": report["households_lose"],
                "unresolved": sum(report["unresolved"].values()),
            }
        )
        before = cost
    return found
