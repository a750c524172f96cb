"""A grid of reforms and the budget question (issue 16: "a sweep over a grid of values ... as a
surface of cost and people affected; a solver for the value of one parameter that meets a
budget").

``--grid continuation.income_threshold=600,800,1000 --grid activation.refusal.threshold=1,2,3``
is every combination of the values, each on top of the ``--set`` changes; the engine prices all
of them in one pass over the caseload. Given a budget, the answer is the point whose cost comes
closest to it without going over, among the points with no unresolved case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from itertools import product
from typing import Any

from activation.replay.reform import Reform, parse_reform
from kernel.errors import Problem
from kernel.messages import say
from kernel.policy import PolicyBook

MAX_POINTS = 200


def parse_grid(
    axes: Iterable[str], sets: Iterable[str], book: PolicyBook
) -> tuple[list[Reform], list[Problem]]:
    """The reforms of a grid: one per combination of the axes' values, each with ``sets``."""
    base, problems = parse_reform(sets, book)
    values: list[list[str]] = []
    seen: set[str] = set()
    for axis in axes:
        key, sep, raw = axis.partition("=")
        key = key.strip()
        where = f"grid.{key}" if key else "grid"
        options = [v.strip() for v in raw.split(",") if v.strip()]
        if not sep or not key or not options:
            problems.append(Problem(where, "grid-format", say("write each axis as key=v1,v2,v3")))
            continue
        if key in seen or key in base.changes:
            problems.append(Problem(where, "grid-repeated", say("%(key)s is set twice", key=key)))
            continue
        seen.add(key)
        for option in options:
            _, found = parse_reform([f"{key}={option}"], book)
            problems.extend(Problem(where, problem.rule, problem.message) for problem in found)
        values.append([f"{key}={option}" for option in options])
    points = 1
    for options in values:
        points *= len(options)
    if points > MAX_POINTS:
        problems.append(
            Problem(
                "grid",
                "grid-too-large",
                say("%(points)s points; at most %(most)s", points=points, most=MAX_POINTS),
            )
        )
    if problems:
        return [], problems
    reforms = []
    for combination in product(*values):
        reform, _ = parse_reform([*sets, *combination], book)
        reforms.append(reform)
    return reforms, []


def budget_problems(raw: str | None) -> tuple[Decimal | None, list[Problem]]:
    if raw is None:
        return None, []
    try:
        budget = Decimal(raw)
    except InvalidOperation:
        budget = Decimal(-1)
    if not budget.is_finite() or budget < 0:
        return None, [
            Problem("budget", "budget", say("a budget is yuan, at least 0: %(value)s", value=raw))
        ]
    return budget, []


def within_budget(reports: Sequence[dict[str, Any]], budget: Decimal) -> dict[str, Any] | None:
    """The point that costs most without going over the budget (None if none does). A point
    with unresolved cases is never the answer: part of its cost is not known."""
    fitting = [r for r in reports if Decimal(r["cost_reform"]) <= budget and not r["unresolved"]]
    return max(fitting, key=lambda r: Decimal(r["cost_reform"]), default=None)
