"""Grids of reforms and the budget answer (activation/replay/grid.py)."""

from decimal import Decimal

import pytest

from activation.replay.grid import MAX_POINTS, budget_problems, parse_grid, within_budget
from kernel.policy import load_profile

BOOK = load_profile("county-pilot")


def test_every_combination_on_top_of_the_sets() -> None:
    reforms, problems = parse_grid(
        ["continuation.income_threshold=600,800,1000", "activation.refusal.threshold=1,2,3"],
        ["continuation.months=12"],
        BOOK,
    )
    assert problems == []
    assert len(reforms) == 9
    assert all(r.changes["continuation.months"] == 12 for r in reforms)
    assert {
        (r.changes["continuation.income_threshold"], r.changes["activation.refusal.threshold"])
        for r in reforms
    } == {(t, n) for t in ("600", "800", "1000") for n in (1, 2, 3)}


def test_no_grid_is_one_point_the_sets() -> None:
    reforms, problems = parse_grid([], ["continuation.months=9"], BOOK)
    assert problems == [] and [r.changes for r in reforms] == [{"continuation.months": 9}]


@pytest.mark.parametrize(
    ("axes", "sets", "rules"),
    [
        (["continuation.months=3,x"], [], ["reform-value"]),
        (["continuation.months=3", "continuation.months=4"], [], ["grid-repeated"]),
        (["continuation.months=3"], ["continuation.months=4"], ["grid-repeated"]),
        (["continuation.months"], [], ["grid-format"]),
        (["continuation.months=,"], [], ["grid-format"]),
        (["nothing.here=1,2"], [], ["reform-unknown-parameter", "reform-unknown-parameter"]),
    ],
)
def test_bad_axes_list_every_problem(axes, sets, rules) -> None:
    reforms, problems = parse_grid(axes, sets, BOOK)
    assert reforms == [] and [p.rule for p in problems] == rules


@pytest.mark.parametrize(("points", "refused"), [(MAX_POINTS, False), (MAX_POINTS + 2, True)])
def test_the_largest_grid(points: int, refused: bool) -> None:
    half = points // 2
    axes = [
        "continuation.months=" + ",".join(str(n) for n in range(1, half + 1)),
        "activation.refusal.threshold=1,2",
    ]
    reforms, problems = parse_grid(axes, [], BOOK)
    assert ([p.rule for p in problems] == ["grid-too-large"]) is refused
    assert len(reforms) == (0 if refused else points)


def point(cost: str, unresolved: dict | None = None) -> dict:
    return {"cost_reform": cost, "unresolved": unresolved or {}, "reform": {"cost": cost}}


def test_the_budget_answer_is_the_dearest_point_that_fits_and_is_known() -> None:
    points = [point("100.00"), point("250.00"), point("249.99"), point("240.00", {"x": 1})]
    assert within_budget(points, Decimal("250.00"))["cost_reform"] == "250.00"
    assert within_budget(points, Decimal("249.99"))["cost_reform"] == "249.99"
    assert within_budget(points, Decimal("245"))["cost_reform"] == "100.00"  # 240 is unknown
    assert within_budget(points, Decimal("99.99")) is None


@pytest.mark.parametrize(
    ("raw", "ok"), [(None, True), ("0", True), ("1000.50", True), ("-0.01", False), ("x", False)]
)
def test_budgets(raw, ok) -> None:
    _, problems = budget_problems(raw)
    assert (problems == []) is ok
