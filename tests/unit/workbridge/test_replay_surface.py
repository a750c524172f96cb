"""The replay grid's surfaces (issue 16): the points laid out by their axes, and the heat map's
shades — which way, how deep, and always readable."""

from __future__ import annotations

import re
from itertools import product

import pytest

from workbridge.pages.heatmap import (
    DEEPEST,
    LESS,
    MORE,
    NEUTRAL,
    WEAKEST,
    Cell,
    HeatMap,
    mix,
    shade,
    text_on,
)
from workbridge.pages.palette import AA_TEXT, contrast_ratio
from workbridge.pages.replay_surface import axes_of, grid_order, surfaces

THRESHOLDS = ("600", "800", "1000")
REFUSALS = ("1", "2", "3")
MONTHS = ("3", "6", "12")


def _point(**reform: str) -> dict:
    return {"reform": dict(sorted(reform.items())), "difference": "0.00", "unresolved": {}}


def _grid(*axes: tuple[str, tuple[str, ...]], fixed: dict | None = None) -> list[dict]:
    """Points in the grid's own order (itertools.product over the axes as asked)."""
    keys = [key for key, _ in axes]
    return [
        _point(**(fixed or {}), **dict(zip(keys, values, strict=True)))
        for values in product(*(found for _, found in axes))
    ]


AXES = (
    ("continuation.income_threshold", THRESHOLDS),
    ("activation.refusal.threshold", REFUSALS),
    ("continuation.months", MONTHS),
)


def test_the_45_point_grid_is_three_surfaces_of_threshold_across_and_refusals_down() -> None:
    points = _grid(*AXES[:2], ("continuation.months", ("3", "6", "9", "12", "18")))
    found = surfaces(points, grid_order([f"{k}={','.join(v)}" for k, v in AXES]))
    assert len(points) == 45 and len(found) == 5
    for surface, months in zip(found, ("3", "6", "9", "12", "18"), strict=True):
        assert surface.facet == (("continuation.months", months),)
        assert surface.column_axis == "continuation.income_threshold"
        assert surface.row_axis == "activation.refusal.threshold"
        assert surface.columns == THRESHOLDS and surface.rows == REFUSALS
        for r, row in enumerate(surface.points):
            for c, point in enumerate(row):
                assert point["reform"] == {
                    "activation.refusal.threshold": REFUSALS[r],
                    "continuation.income_threshold": THRESHOLDS[c],
                    "continuation.months": months,
                }
    assert sum(1 for s in found for row in s.points for p in row if p) == 45


def test_the_axes_follow_the_grid_as_asked_and_the_fixed_changes_are_not_axes() -> None:
    points = _grid(AXES[1], AXES[0], fixed={"continuation.months": "12"})
    # stored reforms are sorted by key; the order asked puts refusals across
    asked = grid_order(["activation.refusal.threshold=1,2,3", "continuation.income_threshold=x"])
    assert [key for key, _ in axes_of(points, asked)] == [
        "activation.refusal.threshold",
        "continuation.income_threshold",
    ]
    # without the order asked, the stored (sorted) order
    assert [key for key, _ in axes_of(points)] == [
        "activation.refusal.threshold",
        "continuation.income_threshold",
    ]
    reversed_ = axes_of(points, ["continuation.income_threshold", "activation.refusal.threshold"])
    assert [key for key, _ in reversed_] == [
        "continuation.income_threshold",
        "activation.refusal.threshold",
    ]
    (only,) = surfaces(points, asked)
    assert only.facet == () and only.columns == REFUSALS and only.rows == THRESHOLDS


@pytest.mark.parametrize(
    ("points", "shape"),
    [
        ([], None),  # nothing asked
        ([_point(**{"continuation.months": "12"})], None),  # one point: no surface
        (_grid(("continuation.months", MONTHS)), (1, 3)),  # one axis: one row
        (_grid(*AXES[:2]), (3, 3)),
    ],
)
def test_one_axis_is_one_row_and_a_single_point_no_surface(points, shape) -> None:
    found = surfaces(points)
    if shape is None:
        assert found == []
        return
    (surface,) = found
    assert (len(surface.points), len(surface.points[0])) == shape
    if shape[0] == 1:
        assert surface.row_axis is None and surface.rows == ("",)


def test_a_missing_combination_leaves_its_cell_empty() -> None:
    points = _grid(*AXES[:2])
    del points[4]  # 800 × 2
    (surface,) = surfaces(points)
    assert surface.points[1][1] is None
    assert sum(1 for row in surface.points for p in row if p) == 8


@pytest.mark.parametrize(
    ("value", "peak", "colour"),
    [
        (0, 100, NEUTRAL),
        (0.01, 100, mix(MORE, WEAKEST)),  # the least difference is still tinted
        (-0.01, 100, mix(LESS, WEAKEST)),
        (50, 100, mix(MORE, (WEAKEST + DEEPEST) / 2)),
        (-100, 100, mix(LESS, DEEPEST)),
        (100, 100, mix(MORE, DEEPEST)),
        (250, 100, mix(MORE, DEEPEST)),  # beyond the peak: no deeper
        (5, 0, NEUTRAL),  # nothing differs anywhere
    ],
)
def test_shades_by_sign_and_size(value, peak, colour) -> None:
    assert shade(value, peak) == colour


def test_mix_ends_at_its_colours() -> None:
    assert mix("#0b4f8a", 0) == "#ffffff"
    assert mix("#0b4f8a", 1) == "#0b4f8a"
    assert mix("#000000", 0.5) == "#808080"


def test_every_shade_reads_with_the_text_drawn_on_it() -> None:
    for step in range(0, 101):
        for sign in (1, -1):
            background = shade(sign * step, 100)
            assert contrast_ratio(text_on(background), background) >= AA_TEXT, background


def test_the_map_draws_a_cell_per_point_with_its_figures_and_outlines() -> None:
    cells = [
        [Cell(-100, ["-¥100", "+0 / −3"], "a"), Cell(0, ["¥0", "+0 / −0"], "b")],
        [Cell(40, ["¥40", "+2 / −0"], "c", marked=True), None],
        [Cell(5, ["¥5", "+1 / −0"], "d", dashed=True), Cell(0, ["¥0"], "e")],
    ]
    svg = HeatMap("t", ["1", "2", "3"], ["600", "800"], cells, peak=100).svg()
    fills = re.findall(r'<rect class="cell"[^>]*fill="(#[0-9a-f]{6})"', svg)
    assert fills == [mix(LESS, DEEPEST), NEUTRAL, shade(40, 100), shade(5, 100), NEUTRAL]
    assert svg.count('stroke-width="3"') == 1 and svg.count("stroke-dasharray") == 1
    for words in ("-¥100", "+0 / −3", "+2 / −0", ">600<", ">800<", ">3<"):
        assert words in svg, words
    # white on the deepest blue, the page's text on the neutral surface
    assert re.search(r'fill="#ffffff">-¥100<', svg)
    assert re.search(r'fill="#1f2933">¥0<', svg)
