"""A replay as an Excel workbook (issue 16: "an xlsx download"), in the reader's language.

Sheets: the summary (the range, the office, the reform or the grid, the gate), the months, the
groups, each change in turn, and for a grid its points; ``workbridge replay`` prints the same
sheets as tables. Money is yuan as numbers with two decimals; words come from the catalogs, so
a Chinese reader gets Chinese headings and an English reader English ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, BinaryIO

from activation.replay.groups import DIMENSION_WORDS, value_words
from kernel.messages import Gettext, Text, render, say
from kernel.sheets import write_xlsx_sheets


def _words(gettext: Gettext, *texts: Text) -> list[str]:
    return [render(text, gettext) for text in texts]


def _yuan(text: str) -> Decimal:
    return Decimal(text)


COUNTS = {
    "households_gain": say("households that gain"),
    "households_lose": say("households that lose"),
    "persons_gain": say("persons in households that gain"),
    "persons_lose": say("persons in households that lose"),
    "sanctions_lifted": say("sanctions that fall away"),
    "sanctions_rescoped": say("sanctions that stop another amount"),
    "households_exited": say("households the reform would refuse or exit"),
    "households_kept": say("households an exit would not have left"),
    "reentries_refused": say("fast re-entries the window would refuse"),
    "reentries_offered": say("fast re-entries the window would offer"),
    "persons_newly_proposed": say("persons newly needing a decision"),
    "approximated": say("approximated"),
}


def _summary(report: dict[str, Any], gettext: Gettext) -> Iterator[Sequence[Any]]:
    def t(text: Text) -> str:
        return render(text, gettext)

    gate = report["gate"]
    yield [t(say("months")), f"{report['from']} – {report['to']}"]
    yield [t(say("office")), report.get("office") or t(say("the whole county"))]
    yield [t(say("the no-change replay")), t(say("passed") if gate["passed"] else say("differs"))]
    yield [t(say("months checked against the ledger")), ", ".join(gate["months_checked"])]
    yield [t(say("decisions replayed")), gate["decisions_checked"]]
    yield [t(say("assessments worked out again")), gate.get("assessments_checked", 0)]
    if not gate["passed"]:
        for name, count in gate["differences"].items():
            yield [t(say("differences")), name, count]
        for example in gate.get("examples", []):  # where it differs: the first few, as found
            yield [t(say("where it differs")), _changes(example)]
        return
    yield [t(say("actual cost (yuan)")), _yuan(report["cost_actual"])]
    for key, value in report.get("reform", {}).items():
        yield [t(say("reform")), key, str(value)]
    if "cost_reform" in report:
        yield [t(say("cost under the reform (yuan)")), _yuan(report["cost_reform"])]
        yield [t(say("difference (yuan)")), _yuan(report["difference"])]
        if "back_pay_actual" in report:  # runs kept from before it was counted have none
            yield [t(say("repaid on appeal, actual (yuan)")), _yuan(report["back_pay_actual"])]
            yield [t(say("repaid on appeal, reform (yuan)")), _yuan(report["back_pay_reform"])]
        for key, words in COUNTS.items():
            yield [t(words), report.get(key, 0)]  # runs kept from before a count existed
        for reason, count in report["unresolved"].items():
            yield [t(say("unresolved")), reason, count]
    if "budget" in report:
        yield [t(say("budget (yuan)")), _yuan(report["budget"])]
        answer = report["within_budget"]
        yield [t(say("within budget")), _changes(answer) if answer else t(say("no point fits"))]


def _changes(changes: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in changes.items())


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def write_workbook(target: str | BinaryIO, report: dict[str, Any], gettext: Gettext) -> None:
    """``report`` is what ``run_replay`` returns, or the grid's report (with ``points``)."""
    write_xlsx_sheets(target, report_sheets(report, gettext))


def report_sheets(report: dict[str, Any], gettext: Gettext) -> list[Sheet]:
    """The report as titled tables of words and figures in the reader's language: the
    workbook's sheets, and the tables ``workbridge replay`` prints."""
    sheets: list[Sheet] = [
        (
            render(say("replay"), gettext),
            _words(gettext, say("item"), say("value")),
            _summary(report, gettext),
        )
    ]
    if "by_month" in report:
        sheets.append(
            (
                render(say("by month"), gettext),
                _words(
                    gettext, say("month"), say("paid"), say("actual (yuan)"), say("reform (yuan)")
                ),
                (
                    [
                        row["month"],
                        render(say("yes") if row["paid"] else say("no"), gettext),
                        _yuan(row["cost_actual"]),
                        _yuan(row["cost_reform"]),
                    ]
                    for row in report["by_month"]
                ),
            )
        )
    if "by_group" in report:
        sheets.append(
            (
                render(say("by group"), gettext),
                _words(
                    gettext,
                    say("dimension"),
                    say("group"),
                    say("cases"),
                    say("actual (yuan)"),
                    say("reform (yuan)"),
                    say("households that gain"),
                    say("households that lose"),
                ),
                (
                    [
                        render(DIMENSION_WORDS[dimension], gettext),
                        render(value_words(dimension, group["group"]), gettext),
                        group["cases"],
                        _yuan(group["cost_actual"]),
                        _yuan(group["cost_reform"]),
                        group["households_gain"],
                        group["households_lose"],
                    ]
                    for dimension, groups in report["by_group"].items()
                    for group in groups
                ),
            )
        )
    if report.get("stacking"):
        sheets.append(
            (
                render(say("each change in turn"), gettext),
                _words(
                    gettext,
                    say("change"),
                    say("cost with it and those before it (yuan)"),
                    say("its own effect (yuan)"),
                    say("households that gain"),
                    say("households that lose"),
                ),
                (
                    [
                        _changes(step["change"]),
                        _yuan(step["cost_reform"]),
                        _yuan(step["effect"]),
                        step["households_gain"],
                        step["households_lose"],
                    ]
                    for step in report["stacking"]
                ),
            )
        )
    if "points" in report:
        sheets.append(
            (
                render(say("grid"), gettext),
                _words(
                    gettext,
                    say("reform"),
                    say("cost under the reform (yuan)"),
                    say("difference (yuan)"),
                    say("households that gain"),
                    say("households that lose"),
                    say("sanctions that fall away"),
                    say("persons newly needing a decision"),
                    say("unresolved"),
                ),
                (
                    [
                        _changes(point["reform"]),
                        _yuan(point["cost_reform"]),
                        _yuan(point["difference"]),
                        point["households_gain"],
                        point["households_lose"],
                        point["sanctions_lifted"],
                        point["persons_newly_proposed"],
                        sum(point["unresolved"].values()),
                    ]
                    for point in report["points"]
                ),
            )
        )
    return sheets
