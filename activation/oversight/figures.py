"""The month's figures of the refusal rule, counted from plain facts (no I/O).

What oversight bodies look at (issue 17): the people subject to the rule, and of them the
warnings, proposals, confirmations and rejections at review, stops started and ended on
compliance, appeals and their outcomes, and — the way the UK publishes it — the share of subject
people under a stop on the month's last day. Each is counted overall and by group; a group's
share is set against the overall share (a ratio), with a 95% Wilson interval, and a cell of
fewer people than the setting is suppressed: its counts are not given, only that it exists.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from benefits.payment_rules import Month

# A person's groups: where they live, who registered them, who they are, their case.
PERSON_DIMENSIONS = (
    "township",
    "community",
    "counsellor",
    "sex",
    "age_band",
    "disability",
    "category",
    "children",
    "scheme",
)
OFFICE_DIMENSIONS = ("township", "community")
OVERALL = ("all", "all")
COUNTS = (
    "subject",
    "warnings",
    "proposals",
    "confirmations",
    "rejections",
    "stops_started",
    "restorations",
    "appeals_lodged",
    "appeals_upheld",
    "appeals_dismissed",
    "under_stop",
)
Z = 1.96  # a 95% interval


@dataclass(frozen=True)
class Person:
    member_id: int
    groups: Mapping[str, str]
    subject: bool  # under the duty (and so the refusal rule) at some point in the month


@dataclass(frozen=True)
class StopFacts:
    sanction_id: int
    member_id: int
    state: str
    proposed_on: date
    confirmed_on: date | None
    confirmed_by: str | None
    rejected_on: date | None
    started_on: date | None
    ended_on: date | None


@dataclass(frozen=True)
class AppealFacts:
    member_id: int
    lodged_on: date
    decided_on: date | None
    state: str  # lodged | upheld | dismissed
    sanction_id: int | None = None


@dataclass
class Cell:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    durations: list[int] = field(default_factory=list)  # days, of the stops ended in the month
    # The cases behind the cell's alerts, as sanction ids: the stops running on the month's
    # last day, and the sanctions whose appeal was upheld in the month.
    behind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def count_month(
    month: Month,
    people: Iterable[Person],
    stops: Sequence[StopFacts],
    appeals: Sequence[AppealFacts],
    warnings: Sequence[int],
) -> dict[tuple[str, str], Cell]:
    """Every count of the month, overall and for each person's group; review decisions also by
    the officer who made them (``officer``)."""
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    who = {person.member_id: person for person in people}

    def add(member_id: int, name: str, days: int | None = None, ref: int | None = None) -> None:
        person = who.get(member_id)
        keys = [OVERALL]
        if person is not None:
            keys += [(d, person.groups.get(d, "unknown")) for d in PERSON_DIMENSIONS]
        for key in keys:
            cells[key].counts[name] += 1
            if days is not None:
                cells[key].durations.append(days)
            if ref is not None:
                cells[key].behind[name].append(ref)

    def within(day: date | None) -> bool:
        return day is not None and month.first <= day <= month.last

    for person in who.values():
        if person.subject:
            add(person.member_id, "subject")
    for member_id in warnings:
        add(member_id, "warnings")
    stopped: set[int] = set()
    for stop in stops:
        if within(stop.proposed_on):
            add(stop.member_id, "proposals")
        if within(stop.confirmed_on):
            add(stop.member_id, "confirmations")
            cells[("officer", officer_name(stop.confirmed_by))].counts["confirmations"] += 1
        if within(stop.rejected_on):
            add(stop.member_id, "rejections")
            officer = stop.confirmed_by or "unknown"
            cells[("officer", officer_name(officer))].counts["rejections"] += 1
        if within(stop.started_on):
            add(stop.member_id, "stops_started")
        if stop.state == "ended" and within(stop.ended_on) and stop.started_on is not None:
            assert stop.ended_on is not None
            add(stop.member_id, "restorations", (stop.ended_on - stop.started_on).days)
        if _stopped_on(stop, month.last) and stop.member_id not in stopped:
            stopped.add(stop.member_id)  # a person, however many stops run at once
            add(stop.member_id, "under_stop", ref=stop.sanction_id)
    for appeal in appeals:
        if within(appeal.lodged_on):
            add(appeal.member_id, "appeals_lodged")
        if within(appeal.decided_on) and appeal.state in ("upheld", "dismissed"):
            add(appeal.member_id, f"appeals_{appeal.state}", ref=appeal.sanction_id)
    return cells


def _stopped_on(stop: StopFacts, day: date) -> bool:
    """Under a stop on ``day``: started by then and not yet ended (an overturned stop was one
    until the day it was overturned)."""
    return (
        stop.started_on is not None
        and stop.started_on <= day
        and (stop.ended_on is None or stop.ended_on > day)
    )


def officer_name(label: str | None) -> str:
    """An account's name from its label (``user:3:王芳``): officers are named, people never."""
    return (label or "unknown").split(":", 2)[-1]


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def wilson(part: int, whole: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of ``part / whole`` (sound for small and zero counts)."""
    if not whole:
        return None
    p = part / whole
    spread = Z * Z / whole
    centre = (p + spread / 2) / (1 + spread)
    half = Z * math.sqrt(p * (1 - p) / whole + spread / (4 * whole)) / (1 + spread)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def reversal(cell: Cell, kind: str) -> float | None:
    """The share of review decisions that rejected (``review``) or of appeals decided that
    were upheld (``appeal``)."""
    counts = cell.counts
    if kind == "review":
        return share(counts["rejections"], counts["confirmations"] + counts["rejections"])
    return share(counts["appeals_upheld"], counts["appeals_upheld"] + counts["appeals_dismissed"])


def figure(cell: Cell, overall: float | None, min_cell: int, people: int) -> dict[str, Any]:
    """One cell as it is published: suppressed when fewer than ``min_cell`` people are in it."""
    if people < min_cell:
        return {"suppressed": True, "people": f"<{min_cell}"}
    counts = cell.counts
    under = share(counts["under_stop"], counts["subject"])
    found: dict[str, Any] = {"suppressed": False, **counts}
    found["share_under_stop"] = _rounded(under)
    interval = wilson(counts["under_stop"], counts["subject"])
    found["interval"] = [_rounded(v) for v in interval] if interval else None
    found["ratio"] = _rounded(under / overall) if under is not None and overall else None
    found["reversal_at_review"] = _rounded(reversal(cell, "review"))
    found["reversal_at_appeal"] = _rounded(reversal(cell, "appeal"))
    found["median_stop_days"] = statistics.median(cell.durations) if cell.durations else None
    return found


def office_median(cells: Mapping[tuple[str, str], Cell], dimension: str, min_cell: int) -> float:
    """The median share under stop of the offices of one level with enough people to count."""
    shares = [
        share(cell.counts["under_stop"], cell.counts["subject"]) or 0.0
        for (d, _), cell in cells.items()
        if d == dimension and cell.counts["subject"] >= min_cell
    ]
    return statistics.median(shares) if shares else 0.0


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
