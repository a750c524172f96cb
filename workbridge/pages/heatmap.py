"""A table of coloured cells as SVG: the replay grid's "surface of cost and people affected"
(issue 16) drawn as one heat map per combination of the axes beyond the first two.

A cell's colour says which way and how far its value lies from zero — one hue for less, one for
more, deeper with the size on a scale shared by every map of the page, so maps compare; the
cell's own text says the figures. Each cell's text colour is the first of the page's text
colour, white and black that reads on it, and every shade the scale can give is held to WCAG
AA (tested), so no figure is printed where it cannot be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from workbridge.pages.palette import AA_TEXT, PALETTE, contrast_ratio

NEUTRAL = PALETTE["surface"]
LESS = PALETTE["primary"]
MORE = PALETTE["focus"]
WEAKEST, DEEPEST = 0.15, 0.85


def mix(colour: str, share: float, base: str = "#ffffff") -> str:
    """``colour`` laid over ``base`` at ``share`` (0 gives ``base``, 1 gives ``colour``)."""
    share = max(0.0, min(share, 1.0))
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(base[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(y + (x - y) * share):02x}" for x, y in zip(a, b, strict=True))


def shade(value: float, peak: float) -> str:
    """The cell colour of ``value`` on a scale whose deepest shade is at ``±peak``: the neutral
    surface for zero (and for any value when nothing differs), otherwise at least a faint tint,
    so a small non-zero value is never mistaken for none."""
    if value == 0 or peak <= 0:
        return NEUTRAL
    share = WEAKEST + (DEEPEST - WEAKEST) * min(abs(value) / peak, 1.0)
    return mix(LESS if value < 0 else MORE, share)


def text_on(background: str) -> str:
    """The first of the page's text colour, white and black that reads at AA on
    ``background`` (mid-tones need black: neither of the others reaches 4.5:1 on them)."""
    inks = (PALETTE["text"], "#ffffff", "#000000")
    for ink in inks:
        if contrast_ratio(ink, background) >= AA_TEXT:
            return ink
    return max(inks, key=lambda ink: contrast_ratio(ink, background))


@dataclass(frozen=True)
class Cell:
    value: float
    lines: Sequence[str]
    hint: str = ""
    marked: bool = False  # drawn with a heavy outline (e.g. the point the budget chose)
    dashed: bool = False  # drawn with a dashed outline (e.g. a point with cases not known)


@dataclass
class HeatMap:
    title: str
    rows: Sequence[str]
    columns: Sequence[str]
    cells: Sequence[Sequence[Cell | None]]  # cells[row][column]
    peak: float
    row_title: str = ""
    column_title: str = ""
    notes: Sequence[str] = field(default_factory=list)
    width: int = 720
    cell_height: int = 44

    def svg(self) -> str:
        left, top_pad, right = 150, 44 if self.column_title else 28, 8
        columns = max(len(self.columns), 1)
        cell_w = (self.width - left - right) / columns
        body_h = self.cell_height * max(len(self.rows), 1)
        height = top_pad + body_h + 8 + 18 * len(self.notes)
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {height}" '
            f'role="img" aria-label="{escape(self.title)}" class="chart heatmap">',
            f"<title>{escape(self.title)}</title>",
        ]
        if self.column_title:
            parts.append(
                f'<text x="{left + (self.width - left - right) / 2:.1f}" y="14" '
                f'text-anchor="middle" font-size="12" fill="{PALETTE["muted"]}">'
                f"{escape(self.column_title)}</text>"
            )
        for j, name in enumerate(self.columns):
            parts.append(
                f'<text x="{left + (j + 0.5) * cell_w:.1f}" y="{top_pad - 8}" '
                f'text-anchor="middle" font-size="12" fill="{PALETTE["text"]}">'
                f"{escape(name)}</text>"
            )
        if self.row_title:
            parts.append(
                f'<text x="4" y="{top_pad - 8}" font-size="12" fill="{PALETTE["muted"]}">'
                f"{escape(self.row_title)}</text>"
            )
        for i, name in enumerate(self.rows):
            y = top_pad + i * self.cell_height
            parts.append(
                f'<text x="{left - 8}" y="{y + self.cell_height / 2 + 4:.1f}" text-anchor="end" '
                f'font-size="12" fill="{PALETTE["text"]}">{escape(name)}</text>'
            )
            for j in range(columns):
                row = self.cells[i] if i < len(self.cells) else []
                cell = row[j] if j < len(row) else None
                if cell is not None:
                    parts.append(self._cell(cell, left + j * cell_w, y, cell_w))
        for k, note in enumerate(self.notes):
            parts.append(
                f'<text x="4" y="{top_pad + body_h + 20 + 18 * k}" font-size="12" '
                f'fill="{PALETTE["muted"]}">{escape(note)}</text>'
            )
        parts.append("</svg>")
        return "".join(parts)

    def _cell(self, cell: Cell, x: float, y: float, w: float) -> str:
        fill = shade(cell.value, self.peak)
        ink = text_on(fill)
        stroke = ""
        if cell.marked:
            stroke = f' stroke="{PALETTE["text"]}" stroke-width="3"'
        elif cell.dashed:
            stroke = f' stroke="{PALETTE["text"]}" stroke-width="1.5" stroke-dasharray="4 3"'
        out = [
            f'<rect class="cell" x="{x + 1:.1f}" y="{y + 1:.1f}" width="{w - 2:.1f}" '
            f'height="{self.cell_height - 2}" fill="{fill}"{stroke}>'
            f"<title>{escape(cell.hint)}</title></rect>"
        ]
        lines = list(cell.lines)
        first = y + self.cell_height / 2 - 7 * (len(lines) - 1) + 4
        for k, line in enumerate(lines):
            out.append(
                f'<text x="{x + w / 2:.1f}" y="{first + 14 * k:.1f}" text-anchor="middle" '
                f'font-size="{12 if k == 0 else 11}" fill="{ink}">{escape(line)}</text>'
            )
        return "".join(out)
