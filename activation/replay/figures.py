"""What a replay counts as it goes: the gate's differences and each reform's figures, added up
case by case, and merged when parts of the caseload were priced apart (``engine``'s workers).

Every figure is a sum or a count, so the parts add up to what one pass gives; the gate's
examples are kept in the order of the cases, the lowest part's first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from operator import add
from typing import Any

from activation.replay.groups import DIMENSIONS, GroupKey
from benefits.payment_rules import Month
from kernel.money import fen_text

EXAMPLES = 20  # differences shown by the gate; all are counted


@dataclass
class Gate:
    ledger: int = 0
    decisions: int = 0
    rebuild: int = 0
    assessments: int = 0
    decisions_checked: int = 0
    assessments_checked: int = 0
    months_checked: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (self.ledger or self.decisions or self.rebuild or self.assessments)

    def differs(self, example: dict[str, Any]) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)

    def merge(self, part: Gate) -> None:
        """Add what a later part of the caseload found (months are the caller's)."""
        self.ledger += part.ledger
        self.decisions += part.decisions
        self.rebuild += part.rebuild
        self.assessments += part.assessments
        self.decisions_checked += part.decisions_checked
        self.assessments_checked += part.assessments_checked
        for example in part.examples:
            self.differs(example)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "months_checked": self.months_checked,
            "decisions_checked": self.decisions_checked,
            "assessments_checked": self.assessments_checked,
            "differences": {
                "ledger": self.ledger,
                "decisions": self.decisions,
                "rebuild": self.rebuild,
                "assessments": self.assessments,
            },
            "examples": self.examples,
        }


COUNTS = (
    "cases",
    "gain",
    "lose",
    "approximated",
    "persons_gain",
    "persons_lose",
    "sanctions_lifted",
    "sanctions_rescoped",
    "persons_newly_proposed",
    "reassessed",
    "exited",
    "kept",
    "reentries_offered",
    "reentries_refused",
    "back_pay_actual",
    "back_pay_reform",
)


@dataclass
class Figures:
    months: list[Month]
    actual: list[int] = field(default_factory=list)
    reform: list[int] = field(default_factory=list)
    cases: int = 0
    gain: int = 0
    lose: int = 0
    approximated: int = 0
    persons_gain: int = 0
    persons_lose: int = 0
    sanctions_lifted: int = 0
    sanctions_rescoped: int = 0
    persons_newly_proposed: int = 0
    reassessed: int = 0
    exited: int = 0
    kept: int = 0
    reentries_offered: int = 0
    reentries_refused: int = 0
    back_pay_actual: int = 0
    back_pay_reform: int = 0
    unresolved: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    groups: dict[tuple[str, str], GroupFigure] = field(default_factory=dict)
    # The cases as recorded by their whole set of groups (``add_recorded``), spread over the
    # dimensions' ``groups`` by ``fold``.
    recorded: dict[GroupKey, GroupFigure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.actual = [0] * len(self.months)
        self.reform = [0] * len(self.months)

    def merge(self, part: Figures) -> None:
        """Add the figures of another part of the caseload, priced under the same reform."""
        self.actual = [a + b for a, b in zip(self.actual, part.actual, strict=True)]
        self.reform = [a + b for a, b in zip(self.reform, part.reform, strict=True)]
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(part, name))
        for reason, count in part.unresolved.items():
            self.unresolved[reason] += count
        for key, group in part.groups.items():
            self.groups.setdefault(key, GroupFigure()).merge(group)

    def by_group(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {dimension: [] for dimension in DIMENSIONS}
        for (dimension, value), figure in sorted(self.groups.items()):
            found[dimension].append({"group": value, **figure.as_dict()})
        return found


@dataclass
class GroupFigure:
    cases: int = 0
    actual: int = 0
    reform: int = 0
    gain: int = 0
    lose: int = 0

    def merge(self, part: GroupFigure) -> None:
        self.cases += part.cases
        self.actual += part.actual
        self.reform += part.reform
        self.gain += part.gain
        self.lose += part.lose

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "cost_actual": fen_text(self.actual),
            "cost_reform": fen_text(self.reform),
            "households_gain": self.gain,
            "households_lose": self.lose,
        }


def plus(due: list[int], repaid: list[int] | None) -> list[int]:
    """A case's months with what appeals repaid of them (``backpay``)."""
    if repaid is None:
        return due
    return [a + b for a, b in zip(due, repaid, strict=True)]


def add_recorded(
    base: Figures, groups: GroupKey, actual: list[int], repaid: list[int] | None
) -> None:
    """A case as recorded, counted once for every reform (``fold`` gives it to each): what a
    reform leaves as it was costs it what it cost, so a grid of 45 points adds the same case
    once, not 45 times, and a reform adds only what it changed (``add_change``). It is added
    to its whole set of groups at once; ``fold`` spreads the sums over each dimension."""
    base.cases += 1
    base.actual = list(map(add, base.actual, actual))
    if repaid is not None:
        base.back_pay_actual += sum(repaid)
    recorded = base.recorded.get(groups)
    if recorded is None:
        recorded = base.recorded[groups] = GroupFigure()
    recorded.cases += 1
    recorded.actual += sum(actual)


def add_change(
    figures: Figures,
    groups: GroupKey,
    persons: int,
    actual: list[int],
    reform: list[int],
    repaid: tuple[list[int], list[int]] | None,
) -> None:
    """What a case whose history the reform rebuilt adds to the reform's figures beyond its
    recorded cost: the months' differences, the back pay's, and who gains or loses."""
    for i, (a, r) in enumerate(zip(actual, reform, strict=True)):
        figures.reform[i] += r - a
    if repaid is not None:
        figures.back_pay_reform += sum(repaid[1]) - sum(repaid[0])
    actual_total, reform_total = sum(actual), sum(reform)
    if reform_total == actual_total:
        return
    gained = reform_total > actual_total
    if gained:
        figures.gain += 1
        figures.persons_gain += persons
    else:
        figures.lose += 1
        figures.persons_lose += persons
    for key in groups:
        group = figures.groups.setdefault(key, GroupFigure())
        group.reform += reform_total - actual_total
        group.gain += gained
        group.lose += not gained


def fold(base: Figures, figures: Figures) -> None:
    """Give a reform the cases as recorded (``add_recorded``): each costs the reform what it
    cost unless ``add_change`` said otherwise."""
    figures.cases += base.cases
    figures.actual = [a + b for a, b in zip(figures.actual, base.actual, strict=True)]
    figures.reform = [a + b for a, b in zip(figures.reform, base.actual, strict=True)]
    figures.back_pay_actual += base.back_pay_actual
    figures.back_pay_reform += base.back_pay_actual
    for groups, recorded in base.recorded.items():
        for key in groups:
            group = figures.groups.setdefault(key, GroupFigure())
            group.cases += recorded.cases
            group.actual += recorded.actual
            group.reform += recorded.actual
