"""The pages' colours, and the WCAG 2.x contrast arithmetic that proves they are readable.

Every text colour is paired with the backgrounds it is drawn on; tests check each pair reaches
AA for normal text (4.5:1). Chart colours carry labels drawn in the same colour on white, so
they are held to the same ratio.
"""

from __future__ import annotations

AA_TEXT = 4.5

PALETTE: dict[str, str] = {
    "text": "#1f2933",
    "muted": "#4b5563",
    "background": "#ffffff",
    "surface": "#f3f5f8",
    "border": "#8a94a3",
    "primary": "#0b4f8a",
    "primary_text": "#ffffff",
    "nav": "#102a43",
    "nav_text": "#ffffff",
    "danger": "#9b1c1c",
    "danger_surface": "#fdecec",
    "success": "#1d6b35",
    "success_surface": "#e8f5ec",
    "warning_text": "#5c4300",
    "warning_surface": "#fff4ce",
    "focus": "#b45309",
}

# (text, background) pairs that the stylesheet actually uses.
TEXT_PAIRS: list[tuple[str, str]] = [
    ("text", "background"),
    ("text", "surface"),
    ("muted", "background"),
    ("muted", "surface"),
    ("primary", "background"),
    ("primary", "surface"),
    ("primary_text", "primary"),
    ("nav_text", "nav"),
    ("danger", "background"),
    ("danger", "danger_surface"),
    ("primary_text", "danger"),
    ("success", "success_surface"),
    ("primary_text", "success"),
    ("warning_text", "warning_surface"),
    ("text", "warning_surface"),
    ("text", "danger_surface"),
]

CHART_SERIES: list[str] = [
    "#0b4f8a",
    "#b45309",
    "#1d6b35",
    "#6d28d9",
    "#9b1c1c",
    "#0f6e6e",
    "#4b5563",
    "#9d174d",
]


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour written ``#rrggbb``."""
    text = hex_colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {hex_colour!r}")
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05) with L1 the lighter: 1.0 (same) to 21.0 (black on white)."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def css_variables() -> str:
    """The palette as CSS custom properties, so the stylesheet uses only tested colours."""
    return ";".join(f"--{name.replace('_', '-')}:{colour}" for name, colour in PALETTE.items())


def palette_style() -> str:
    """The text of the pages' one inline ``<style>`` block; its hash is the only inline style
    the pages' Content-Security-Policy allows (workbridge.pages.web)."""
    return f":root{{{css_variables()}}}"
