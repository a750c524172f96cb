"""Each change of a reform with its own effect (``activation.replay.stacking``): the steps that
build a reform up, in the order its changes were given, and what each adds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from activation.replay.reform import Reform
from activation.replay.stacking import stacking, with_steps

LINE, MONTHS, THRESHOLD = (
    "continuation.income_threshold",
    "continuation.months",
    "activation.refusal.threshold",
)


@pytest.mark.parametrize(
    ("reforms", "priced"),
    [
        ([Reform({})], [{}]),  # no change: the gate alone
        ([Reform({LINE: "1000"})], [{LINE: "1000"}]),  # one change: nothing to stack
        (
            [Reform({MONTHS: 12, LINE: "1000"})],
            [{MONTHS: 12, LINE: "1000"}, {MONTHS: 12}],  # the reform first, then its step
        ),
        (
            [Reform({THRESHOLD: 3, MONTHS: 12, LINE: "1000"})],
            [{THRESHOLD: 3, MONTHS: 12, LINE: "1000"}, {THRESHOLD: 3}, {THRESHOLD: 3, MONTHS: 12}],
        ),
        ([Reform({LINE: "600"}), Reform({LINE: "1000"})], [{LINE: "600"}, {LINE: "1000"}]),
    ],
)
def test_the_steps_of_a_reform_in_the_order_given(reforms, priced) -> None:
    steps = with_steps(reforms)
    assert [dict(r.changes) for r in steps] == priced
    assert [list(r.changes) for r in steps] == [list(p) for p in priced]  # order kept


def report(changes: dict[str, Any], cost: str, gain: int = 0, lose: int = 0) -> dict[str, Any]:
    return {
        "reform": dict(sorted(changes.items())),  # a report's reform is sorted, not in order
        "cost_actual": "1000.00",
        "cost_reform": cost,
        "households_gain": gain,
        "households_lose": lose,
        "unresolved": {"ends-before-job-lost": 1} if cost == "1500.00" else {},
    }


def test_each_change_in_turn_and_the_effects_add_up_to_the_reform() -> None:
    whole = {THRESHOLD: 3, MONTHS: 12, LINE: "1000"}
    reports = [
        report(whole, "1500.00", gain=40, lose=2),
        report({THRESHOLD: 3}, "1100.50", gain=10),
        report({THRESHOLD: 3, MONTHS: 12}, "1250.25", gain=30, lose=2),
    ]
    found = stacking(reports)
    assert [step["change"] for step in found] == [{THRESHOLD: 3}, {MONTHS: 12}, {LINE: "1000"}]
    assert [step["cost_reform"] for step in found] == ["1100.50", "1250.25", "1500.00"]
    assert [step["effect"] for step in found] == ["100.50", "149.75", "249.75"]
    total = sum(Decimal(step["effect"]) for step in found)
    assert total == Decimal("1500.00") - Decimal("1000.00")
    assert [(s["households_gain"], s["households_lose"]) for s in found] == [
        (10, 0),
        (30, 2),
        (40, 2),
    ]
    assert [s["unresolved"] for s in found] == [0, 0, 1]


def test_a_change_that_saves_has_a_negative_effect() -> None:
    reports = [report({LINE: "600", MONTHS: 3}, "900.00"), report({LINE: "600"}, "950.00")]
    assert [step["effect"] for step in stacking(reports)] == ["-50.00", "-50.00"]
