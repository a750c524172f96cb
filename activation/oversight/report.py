"""The month's oversight report (issue 17): the figures overall and by group with small cells
suppressed, each office's share against its level's median, and the alerts. The open form (the
API an upper-level bureau collects, the workbook) carries no person: counts, rates and the
checks' counts; ``with_refs`` adds the ids behind the checks for the people who must act."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from activation.oversight.alerts import Limits, check_alerts, pattern_alerts
from activation.oversight.checks import run_checks
from activation.oversight.facts import month_facts
from activation.oversight.figures import (
    OFFICE_DIMENSIONS,
    OVERALL,
    PERSON_DIMENSIONS,
    Cell,
    count_month,
    figure,
    office_median,
    share,
)
from benefits.payment_rules import Month
from kernel.policy import PolicyBook

DIMENSIONS = (*PERSON_DIMENSIONS, "officer")


def oversight_report(
    session: Session,
    book: PolicyBook,
    month: Month,
    limits: Limits,
    *,
    office: str | None = None,
    with_refs: bool = False,
) -> dict[str, Any]:
    facts = month_facts(session, month, office)
    cells = count_month(month, facts.people, facts.stops, facts.appeals, facts.warnings)
    overall_cell = cells.get(OVERALL, Cell())
    overall = share(overall_cell.counts["under_stop"], overall_cell.counts["subject"])
    by: dict[str, list[dict[str, Any]]] = {dimension: [] for dimension in DIMENSIONS}
    for (dimension, group), cell in sorted(cells.items()):
        if dimension not in by:
            continue
        people = (
            cell.counts["confirmations"] + cell.counts["rejections"]
            if dimension == "officer"
            else cell.counts["subject"]
        )
        by[dimension].append({"group": group, **figure(cell, overall, limits.min_cell, people)})
    findings = run_checks(session, book, month, office)
    return {
        "month": month.label,
        "office": office,
        "settings": limits.as_dict(),
        "overall": figure(overall_cell, overall, 0, overall_cell.counts["subject"]),
        "by": by,
        "office_medians": {
            level: round(office_median(cells, level, limits.min_cell), 4)
            for level in OFFICE_DIMENSIONS
        },
        "alerts": [
            *check_alerts(findings, with_refs=with_refs),
            *pattern_alerts(cells, limits, with_refs=with_refs),
        ],
    }
