"""Chart scaling and the palette's contrast, checked with numbers."""

from __future__ import annotations

import re

import pytest

from workbridge.pages.charts import BarChart, Line, Series, nice_axis, scale
from workbridge.pages.palette import (
    AA_TEXT,
    CHART_SERIES,
    PALETTE,
    TEXT_PAIRS,
    contrast_ratio,
    css_variables,
    relative_luminance,
)


@pytest.mark.parametrize(
    ("maximum", "top", "step"),
    [
        (0, 1.0, 0.25),
        (1, 1.0, 0.2),
        (7, 8.0, 2.0),
        (10, 10.0, 2.0),
        (13, 15.0, 5.0),
        (99, 100.0, 20.0),
        (101, 125.0, 25.0),
        (1234, 1250.0, 250.0),
        (0.3, 0.3, 0.1),
    ],
)
def test_axis_tops_are_round_and_cover_the_maximum(maximum, top, step) -> None:
    assert nice_axis(maximum) == (top, step)
    assert top >= maximum


@pytest.mark.parametrize("maximum", [0, 1, 2, 3, 0.4])
def test_counts_never_get_fractional_ticks(maximum) -> None:
    top, step = nice_axis(maximum, integer=True)
    assert step >= 1 and step == int(step) and top >= maximum


def test_scale_maps_values_onto_pixels_and_clamps() -> None:
    assert scale(0, 100, 200) == 0
    assert scale(50, 100, 200) == 100
    assert scale(100, 100, 200) == 200
    assert scale(150, 100, 200) == 200  # never leaves the plot
    assert scale(-5, 100, 200) == 0
    assert scale(5, 0, 200) == 0


def _heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)" fill="#(?!fff)', svg)]


def test_bars_are_proportional_and_lines_sit_at_their_value() -> None:
    chart = BarChart(
        title="placement",
        categories=["A", "B"],
        series=[Series("rate", "#0b4f8a", [30.0, 60.0])],
        lines=[Line("review below 60%", 60.0, "#9b1c1c")],
        fixed_top=100.0,
        height=300,
    )
    svg = chart.svg()
    bars = [h for h in _heights(svg) if h not in (12.0,)]  # legend swatches are 12 px
    assert bars[1] == pytest.approx(2 * bars[0])
    plot_h = 300 - 16 - 56  # one legend row
    assert bars[1] == pytest.approx(plot_h * 0.6, abs=0.1)
    review = re.search(r'<line [^>]*y1="([\d.]+)"[^>]*stroke="#9b1c1c"', svg)
    assert review is not None
    assert float(review.group(1)) == pytest.approx(16 + plot_h - 0.6 * plot_h, abs=0.1)


def test_stacked_bars_add_up_and_text_is_escaped() -> None:
    chart = BarChart(
        title="money <&>",
        categories=["2026年3月"],
        series=[Series("a", "#0b4f8a", [30.0]), Series("b", "#b45309", [70.0])],
        stacked=True,
        fixed_top=100.0,
    )
    svg = chart.svg()
    assert "money &lt;&amp;&gt;" in svg and "<script" not in svg
    bars = [h for h in _heights(svg) if h != 12.0]
    assert sum(bars) == pytest.approx(300 - 16 - 56)


def test_luminance_and_contrast_follow_wcag() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA edge
    with pytest.raises(ValueError):
        relative_luminance("#fff")


@pytest.mark.parametrize(("text", "background"), TEXT_PAIRS)
def test_every_text_colour_passes_aa_on_its_background(text: str, background: str) -> None:
    assert contrast_ratio(PALETTE[text], PALETTE[background]) >= AA_TEXT


@pytest.mark.parametrize("colour", CHART_SERIES)
def test_chart_colours_are_readable_as_text_on_white(colour: str) -> None:
    assert contrast_ratio(colour, PALETTE["background"]) >= AA_TEXT


def test_the_stylesheet_uses_only_palette_colours_for_text() -> None:
    from workbridge.pages import STATIC_DIR

    css = (STATIC_DIR / "app.css").read_text()
    colours = set(re.findall(r"(?<![\w-])color:\s*(#[0-9a-fA-F]{3,6})", css))
    assert colours <= {"#000"}  # print only; everything else is a palette variable
    assert "--primary:#0b4f8a" in css_variables()


def test_a_long_legend_wraps_instead_of_leaving_the_chart() -> None:
    names = [
        "obligated",
        "registered",
        "referred",
        "accepted",
        "in work",
        "continuation",
        "exit",
        "re-entry",
    ]
    chart = BarChart(
        title="funnel",
        categories=["Mar 2026"],
        series=[Series(n, "#0b4f8a", [1.0]) for n in names],
        width=500,
    )
    placed = chart.legend(64)
    assert [s.name for _, _, s in placed] == names
    assert max(row for _, row, _ in placed) >= 1
    for x, _, series in placed:
        assert x + 16 + 7 * len(series.name) <= 500
