"""Charts as SVG written here in Python: no script, no network, readable when printed.

Scaling is pure arithmetic (tested): a "nice" axis top and step, and values mapped onto the
plot's pixels. The SVG carries a title and a text table alternative is shown beside each chart
on the page, so a screen reader gets the numbers too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_axis(maximum: float, ticks: int = 5, *, integer: bool = False) -> tuple[float, float]:
    """An axis top and step covering ``maximum`` with about ``ticks`` steps of 1, 2, 2.5 or 5
    times a power of ten; an empty chart still gets the axis 0…1 in steps of 0.25. Counts
    (``integer``) never get a step below 1, so no tick reads "0.5 people"."""
    if maximum <= 0 or not math.isfinite(maximum):
        return (1.0, 1.0) if integer else (1.0, 0.25)
    raw = maximum / ticks
    if integer:
        raw = max(raw, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in NICE_STEPS if s * magnitude >= raw - 1e-12)
    if integer and step != int(step):
        step = float(math.ceil(step))
    top = math.ceil(maximum / step - 1e-9) * step
    return round(top, 12), round(step, 12)


def scale(value: float, top: float, pixels: float) -> float:
    """Pixels from the baseline for ``value`` on an axis 0…``top`` drawn ``pixels`` tall;
    values are clamped to the axis so a bar never leaves the plot."""
    if top <= 0:
        return 0.0
    return max(0.0, min(value, top)) / top * pixels


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float]


@dataclass(frozen=True)
class Line:
    """A horizontal reference line (e.g. the 60% review line)."""

    label: str
    value: float
    colour: str


@dataclass
class BarChart:
    title: str
    categories: Sequence[str]
    series: Sequence[Series]
    lines: Sequence[Line] = field(default_factory=list)
    stacked: bool = False
    integer: bool = False
    fixed_top: float | None = None
    fmt: Callable[[float], str] = lambda v: f"{v:g}"
    width: int = 720
    height: int = 300
    note: str = ""

    def top(self) -> tuple[float, float]:
        if self.fixed_top is not None:
            return self.fixed_top, self.fixed_top / 5
        if self.stacked:
            peak = max(
                (sum(s.values[i] for s in self.series) for i in range(len(self.categories))),
                default=0.0,
            )
        else:
            peak = max((v for s in self.series for v in s.values), default=0.0)
        peak = max([peak, *(line.value for line in self.lines)])
        return nice_axis(peak, integer=self.integer)

    def legend(self, left: int) -> list[tuple[float, int, Series]]:
        """(x, row, series) for each legend entry, wrapped into rows that fit the width."""
        placed, x, row = [], float(left), 0
        for series in self.series:
            width = 28 + sum(13 if ord(ch) > 0x2E80 else 7 for ch in series.name)
            if x + width > self.width and x > left:
                x, row = float(left), row + 1
            placed.append((x, row, series))
            x += width
        return placed

    def svg(self) -> str:
        left, right, top_pad = 64, 16, 16
        legend = self.legend(left)
        rows = (legend[-1][1] + 1) if legend else 0
        bottom = 36 + 20 * rows
        plot_w = self.width - left - right
        plot_h = self.height - top_pad - bottom
        axis_top, step = self.top()
        base_y = top_pad + plot_h
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
            f'role="img" aria-label="{escape(self.title)}" class="chart">',
            f"<title>{escape(self.title)}</title>",
        ]
        tick = 0.0
        while tick <= axis_top + 1e-9:
            y = base_y - scale(tick, axis_top, plot_h)
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#d5dae1" stroke-width="1"/>'
                f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
                f'fill="#4b5563">{escape(self.fmt(tick))}</text>'
            )
            tick += step
        groups = max(len(self.categories), 1)
        group_w = plot_w / groups
        bars = 1 if self.stacked else max(len(self.series), 1)
        bar_w = min(56.0, max(2.0, group_w * 0.8 / bars))
        for i, category in enumerate(self.categories):
            x0 = left + i * group_w + (group_w - bar_w * bars) / 2
            stack = 0.0
            for j, series in enumerate(self.series):
                v = float(series.values[i]) if i < len(series.values) else 0.0
                h = scale(v, axis_top, plot_h)
                if self.stacked:
                    y = base_y - scale(stack + v, axis_top, plot_h)
                    h = scale(stack + v, axis_top, plot_h) - scale(stack, axis_top, plot_h)
                    x = x0
                    stack += v
                else:
                    y = base_y - h
                    x = x0 + j * bar_w
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                    f'fill="{series.colour}"><title>{escape(series.name)} · '
                    f"{escape(category)}: {escape(self.fmt(v))}</title></rect>"
                )
            parts.append(
                f'<text x="{x0 + bar_w * bars / 2:.1f}" y="{base_y + 16}" text-anchor="middle" '
                f'font-size="12" fill="#1f2933">{escape(category)}</text>'
            )
        for line in self.lines:
            y = base_y - scale(line.value, axis_top, plot_h)
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{line.colour}" stroke-width="2" stroke-dasharray="6 4"/>'
                f'<text x="{left + plot_w - 4}" y="{y - 4:.1f}" text-anchor="end" '
                f'font-size="12" fill="{line.colour}">{escape(line.label)}</text>'
            )
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{base_y}" y2="{base_y}" '
            'stroke="#1f2933" stroke-width="1"/>'
        )
        for x, row, series in legend:
            y = self.height - 20 * (rows - row)
            parts.append(
                f'<rect x="{x:.0f}" y="{y}" width="12" height="12" '
                f'fill="{series.colour}"/><text x="{x + 16:.0f}" y="{y + 10}" '
                f'font-size="12" fill="{series.colour}">{escape(series.name)}</text>'
            )
        parts.append("</svg>")
        return "".join(parts)
