"""The re-entry window under a reform (``reentry.window_months``; report 4 §五4 "出得去进得来",
POLICY.md rule 5): a job lost within the window after the case's exit opens the fast path — a
short re-application, decided in a few working days, paid from the day it was reported.

Each ``reentry-right`` decision is decided again from its inputs (the exit, the job's end, the
report) with the service's rule (``activation.rules.reentry_right``) under the reformed
parameters of its day. Whether the household would then have applied, and when a full
application would have been decided, nobody recorded, so neither is guessed:

- a fast re-entry the reform would refuse leaves the case it opened *unresolved*
  (``reentry-outside-window``): a full application would have been needed, decided by a person
  on a day nobody can tell; the case keeps its history and is counted (``reentries_refused``);
- a job lost outside the window that the reform would bring within it is a fast re-entry the
  household would have been offered: counted (``reentries_offered``), and no money moves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from activation.rules import replay
from kernel.policy import ParameterSet

WINDOW = ("reentry.window_months",)
UNRESOLVED = "reentry-outside-window"


@dataclass(frozen=True)
class ReentryFacts:
    """One ``reentry-right`` decision: what it was decided on, and whether it opened the path."""

    inputs: dict[str, Any]
    eligible: bool

    @property
    def exited_on(self) -> date:
        return date.fromisoformat(self.inputs["exited_on"])

    @property
    def reported_on(self) -> date:
        return date.fromisoformat(self.inputs["reported_on"])

    def again(self, book_at: Callable[[date], ParameterSet]) -> bool:
        return bool(replay("reentry-right", self.inputs, book_at(self.reported_on))["eligible"])


@dataclass(frozen=True)
class CaseOrigin:
    """How a case began and ended: a fast re-entry's application, and the exit's day."""

    reentry_applied_on: date | None  # the re-entry application's day, if it opened the case
    closed_on: date | None


@dataclass(frozen=True)
class Reentered:
    offered: int = 0
    refused: int = 0
    unresolved: str | None = None


def reentries(
    origin: CaseOrigin,
    decisions: Sequence[ReentryFacts],
    book_at: Callable[[date], ParameterSet],
    first: date,
    last: date,
) -> Reentered:
    """The case's re-entries under the reform: a job lost after its own exit and reported
    within ``first``..``last`` (offered or not), and the fast re-entry that opened it, if one
    did before ``last`` (what it paid in the range depends on it)."""
    offered = sum(
        1
        for d in decisions
        if d.exited_on == origin.closed_on
        and first <= d.reported_on <= last
        and not d.eligible
        and d.again(book_at)
    )
    opened = next(
        (
            d
            for d in decisions
            if d.eligible
            and origin.reentry_applied_on is not None
            and d.reported_on == origin.reentry_applied_on <= last
        ),
        None,
    )
    if opened is not None and not opened.again(book_at):
        return Reentered(offered, 1, UNRESOLVED)
    return Reentered(offered)
