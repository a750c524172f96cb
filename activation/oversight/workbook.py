"""The month's oversight report as open figures (issue 17): an Excel workbook (the groups, the
alerts) and a CSV of the groups, with headings and words in the reader's language and the
suppression applied — a cell of fewer people than the minimum gives no count, only that it
exists. Nothing here names a person: the never-fire checks give their counts, never their ids.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from activation.oversight.words import DIMENSION_WORDS, alert_words, group_words
from kernel.messages import Gettext, Text, render, say
from kernel.sheets import write_xlsx_sheets

COLUMNS: tuple[tuple[str, Text], ...] = (
    ("subject", say("people under the duty")),
    ("warnings", say("warnings")),
    ("proposals", say("stops proposed")),
    ("confirmations", say("confirmed by a second officer")),
    ("rejections", say("rejected at review")),
    ("stops_started", say("stops started")),
    ("restorations", say("paid again on complying")),
    ("appeals_lodged", say("appeals lodged")),
    ("appeals_upheld", say("appeals upheld")),
    ("appeals_dismissed", say("appeals dismissed")),
    ("under_stop", say("under a stop on the last day")),
    ("share_under_stop", say("share under a stop")),
    ("ratio", say("against everyone")),
    ("reversal_at_review", say("reversal at review")),
    ("reversal_at_appeal", say("reversal at appeal")),
)


def group_headings(gettext: Gettext) -> list[str]:
    return [
        render(text, gettext)
        for text in (
            say("month"),
            say("dimension"),
            say("group"),
            *(words for _, words in COLUMNS),
            say("interval low"),
            say("interval high"),
            say("note"),
        )
    ]


def group_rows(report: dict[str, Any], gettext: Gettext) -> Iterator[list[Any]]:
    rows: list[tuple[Text | str, Text | str, dict[str, Any]]] = [
        (say("everyone"), say("everyone"), report["overall"])
    ]
    rows += [
        (DIMENSION_WORDS[dimension], group_words(dimension, row["group"]), row)
        for dimension, found in report["by"].items()
        for row in found
    ]
    for dimension, group, row in rows:
        words = [report["month"], render(dimension, gettext), render(group, gettext)]
        if row["suppressed"]:
            note = say("fewer than %(n)s people: not shown", n=report["settings"]["min_cell"])
            yield [*words, *([None] * (len(COLUMNS) + 2)), render(note, gettext)]
            continue
        interval = row.get("interval") or [None, None]
        yield [*words, *(row.get(key) for key, _ in COLUMNS), *interval, None]


def alert_rows(report: dict[str, Any], gettext: Gettext) -> Iterator[list[Any]]:
    for alert in report["alerts"]:
        yield [
            report["month"],
            alert["alert"],
            render(alert_words(alert), gettext),
            alert.get("count"),
        ]


def write_workbook(target: str | BinaryIO, report: dict[str, Any], gettext: Gettext) -> None:
    sheets: Sequence[tuple[str, Sequence[str], Any]] = [
        (render(say("oversight"), gettext), group_headings(gettext), group_rows(report, gettext)),
        (
            render(say("alerts"), gettext),
            [render(t, gettext) for t in (say("month"), say("alert"), say("what"), say("count"))],
            alert_rows(report, gettext),
        ),
    ]
    write_xlsx_sheets(target, sheets)


def csv_text(report: dict[str, Any], gettext: Gettext) -> str:
    """The groups as CSV with a byte-order mark, so Excel opens the Chinese as Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(group_headings(gettext))
    writer.writerows(group_rows(report, gettext))
    return "\ufeff" + buffer.getvalue()
