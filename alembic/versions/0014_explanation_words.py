"""A case's entitlement explanation keeps each line's words as data

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:05:00

Each line of the explanation kept with a case (household income, per-capita income, the
standard, the gap, the category, the amount) had its sentence in English only. The service now
keeps the catalog message and its facts beside the sentence (``said``), shown in the reader's
language. Lines already written are read back here from their wording; a line in any other
wording keeps its sentence as written.
"""

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Data = dict[str, Any]


def _message(message: str, **values: Any) -> Data:
    return {"m": message, "v": values}


SCHEMES = {"urban": "urban", "rural": "rural"}


def _category(text: str) -> Data | None:
    if found := re.match(r"^category (?P<code>\S+): the full standard per person$", text):
        return _message("category %(code)s: the full standard per person", **found.groupdict())
    if found := re.match(r"^category (?P<code>\S+): the gap × (?P<factor>\S+)$", text):
        return _message("category %(code)s: the gap × %(factor)s", **found.groupdict())
    if found := re.match(
        r"^category (?P<code>\S+): a fixed (?P<amount>\S+) yuan per person$", text
    ):
        return _message(
            "category %(code)s: a fixed %(amount)s yuan per person", **found.groupdict()
        )
    return None


def _labelled_category(found: dict[str, str]) -> Data | None:
    rule = _category(found["rule"])
    return (
        _message("%(rule)s (%(label)s; report 1)", rule=rule, label=found["label"])
        if rule
        else None
    )


WORDINGS: list[tuple[re.Pattern[str], Callable[[dict[str, str]], Data | None]]] = [
    (
        re.compile(r"^total monthly income of the household's (?P<count>\d+) member\(s\)$"),
        lambda v: _message(
            "total monthly income of the household's %(count)s member(s)", count=int(v["count"])
        ),
    ),
    (
        re.compile(
            r"^(?P<scheme>urban|rural) standard per person per month "
            r"\(benefits\.(?P<key>urban|rural)\.standard, (?P<version>[^)]+)\)$"
        ),
        lambda v: _message(
            "%(scheme)s standard per person per month (benefits.%(key)s.standard, %(version)s)",
            scheme=_message(SCHEMES[v["scheme"]]),
            key=v["key"],
            version=v["version"],
        ),
    ),
    (
        re.compile(
            r"^per-capita income (?P<income>\S+) is not below the standard (?P<standard>\S+) "
            r"\(report 4: reaching the standard ends dibao\)$"
        ),
        lambda v: _message(
            "per-capita income %(income)s is not below the standard %(standard)s "
            "(report 4: reaching the standard ends dibao)",
            **v,
        ),
    ),
    (
        re.compile(r"^standard minus per-capita income \(补差\)$"),
        lambda v: _message("standard minus per-capita income (补差)"),
    ),
    (
        re.compile(r"^(?P<rule>category \S+: .+?) \((?P<label>[^;]+); report 1\)$"),
        _labelled_category,
    ),
    (re.compile(r"^(?P<rule>category .+)$"), lambda v: _category(v["rule"])),
    (
        re.compile(r"^amount per covered person before rounding$"),
        lambda v: _message("amount per covered person before rounding"),
    ),
    (
        re.compile(
            r"^per-person amount × (?P<count>\d+), rounded once to (?P<quantum>\S+) yuan "
            r"\((?P<mode>[^;]+); benefits\.rounding\.\*, (?P<version>[^)]+)\)$"
        ),
        lambda v: _message(
            "per-person amount × %(count)s, rounded once to %(quantum)s yuan "
            "(%(mode)s; benefits.rounding.*, %(version)s)",
            count=int(v["count"]),
            quantum=v["quantum"],
            mode=v["mode"],
            version=v["version"],
        ),
    ),
]


def line_said(text: Any) -> Data | None:
    """The data of an explanation line's sentence in one of the service's wordings."""
    if not isinstance(text, str):
        return None
    for pattern, data in WORDINGS:
        if found := pattern.match(text):
            return data(found.groupdict())
    return None


def explanation_data(explanation: Any) -> Any:
    """An explanation with each line it can read keeping its data; anything else as it was."""
    if not isinstance(explanation, dict):
        return explanation
    lines = []
    for line in explanation.get("lines", []):
        said = line_said(line.get("text")) if isinstance(line, dict) else None
        lines.append({**line, "said": said} if said and "said" not in line else line)
    return {**explanation, "lines": lines}


def upgrade() -> None:
    table = sa.table("benefit_case", sa.column("id", sa.Integer), sa.column("explanation", sa.JSON))
    connection = op.get_bind()
    updates = []
    for key, explanation in connection.execute(sa.select(table.c.id, table.c.explanation)):
        if isinstance(explanation, str):  # a driver that hands JSON back as text
            explanation = json.loads(explanation)
        if (read := explanation_data(explanation)) != explanation:
            updates.append({"key": key, "explanation": read})
    if updates:  # one statement for all of them
        connection.execute(table.update().where(table.c.id == sa.bindparam("key")), updates)


def downgrade() -> None:
    """The lines keep their English sentences; their data is simply not read before 0014."""
