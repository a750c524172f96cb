"""Where a pattern shows (issue 17), with the settings' limits (``WORKBRIDGE_OVERSIGHT_*``):

- a group's share under stop set against the overall share: a ratio above ``ratio_high``
  (1.25) or below ``ratio_low`` (0.8) — the four-fifths line used for adverse impact, both ways;
- an office (a township or a community) above ``office_multiple`` (2) times the county median
  of its level, as Denmark discusses its outliers;
- reversals at appeal above ``appeal_reversal`` (20%) of the appeals decided in the month;
- and every finding of the checks that must never fire (``checks``).

Only cells with at least ``min_cell`` people are compared: a rate over six people says more
about chance than about practice, and publishing it could point at a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from activation.oversight.checks import Finding
from activation.oversight.figures import (
    OFFICE_DIMENSIONS,
    OVERALL,
    PERSON_DIMENSIONS,
    Cell,
    office_median,
    reversal,
    share,
)
from kernel.settings import Settings


@dataclass(frozen=True)
class Limits:
    min_cell: int = 10
    ratio_high: float = 1.25
    ratio_low: float = 0.8
    office_multiple: float = 2.0
    appeal_reversal: float = 0.2

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            min_cell=settings.oversight_min_cell,
            ratio_high=settings.oversight_ratio_high,
            ratio_low=settings.oversight_ratio_low,
            office_multiple=settings.oversight_office_multiple,
            appeal_reversal=settings.oversight_appeal_reversal,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "min_cell": self.min_cell,
            "ratio_high": self.ratio_high,
            "ratio_low": self.ratio_low,
            "office_multiple": self.office_multiple,
            "appeal_reversal": self.appeal_reversal,
        }


def pattern_alerts(
    cells: Mapping[tuple[str, str], Cell], limits: Limits, *, with_refs: bool = False
) -> list[dict[str, Any]]:
    """Each pattern alert; ``with_refs`` adds the cases behind it (``sanction:N``): a group's or
    an office's stops running on the month's last day, the sanctions whose appeal was upheld."""
    overall_cell = cells.get(OVERALL, Cell())
    overall = share(overall_cell.counts["under_stop"], overall_cell.counts["subject"])
    found: list[dict[str, Any]] = []
    for (dimension, group), cell in sorted(cells.items()):
        if dimension not in PERSON_DIMENSIONS or dimension in OFFICE_DIMENSIONS:
            continue
        if cell.counts["subject"] < limits.min_cell or not overall:
            continue
        ratio = (share(cell.counts["under_stop"], cell.counts["subject"]) or 0.0) / overall
        if ratio > limits.ratio_high:
            alert = _alert("group-ratio-high", dimension, group, ratio, limits.ratio_high)
        elif ratio < limits.ratio_low:
            alert = _alert("group-ratio-low", dimension, group, ratio, limits.ratio_low)
        else:
            continue
        found.append(_behind(alert, cell, "under_stop", with_refs))
    for dimension in OFFICE_DIMENSIONS:
        median = office_median(cells, dimension, limits.min_cell)
        for (level, office), cell in sorted(cells.items()):
            if level != dimension or cell.counts["subject"] < limits.min_cell:
                continue
            rate = share(cell.counts["under_stop"], cell.counts["subject"]) or 0.0
            if rate > limits.office_multiple * median:
                alert = _alert("office-above-median", dimension, office, rate, median)
                alert["multiple"] = limits.office_multiple
                found.append(_behind(alert, cell, "under_stop", with_refs))
    upheld = reversal(overall_cell, "appeal")
    if upheld is not None and upheld > limits.appeal_reversal:
        alert = _alert("appeal-reversal", "all", "all", upheld, limits.appeal_reversal)
        found.append(_behind(alert, overall_cell, "appeals_upheld", with_refs))
    return found


def _behind(alert: dict[str, Any], cell: Cell, count: str, with_refs: bool) -> dict[str, Any]:
    if with_refs:
        alert["refs"] = [f"sanction:{i}" for i in sorted(set(cell.behind[count]))]
    return alert


def check_alerts(findings: Sequence[Finding], *, with_refs: bool) -> list[dict[str, Any]]:
    """The never-fire checks as alerts: the count always, the ids only for those who act."""
    return [
        {
            "alert": finding.check,
            "zero_tolerance": True,
            "count": len(finding.refs),
            **({"refs": list(finding.refs)} if with_refs else {}),
        }
        for finding in findings
    ]


def _alert(code: str, dimension: str, group: str, value: float, limit: float) -> dict[str, Any]:
    return {
        "alert": code,
        "zero_tolerance": False,
        "dimension": dimension,
        "group": group,
        "value": round(value, 4),
        "limit": round(limit, 4),
    }
