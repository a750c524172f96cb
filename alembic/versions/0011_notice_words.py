"""A sanction notice's sentences are kept as data, in the words of the printed notice

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:40:00

A confirmed sanction keeps the notice it issued. Its sentences (what happened, the rule, the
effect, how to end it, how to appeal) were English; the service now keeps each as the catalog
message of the printed notice with its facts, shown in the reader's language. Notices already
issued are read back here; a sentence in any other wording is left as written, and the officer's
reason for the decision is the officer's own words either way.
"""

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Data = dict[str, Any]


def _message(message: str, **values: Any) -> Data:
    return {"m": message, "v": values}


def _yuan(amount: str) -> Data:
    return _message("%(amount)s yuan", amount=amount)


HOUSEHOLD_RULE = (
    "Report 4 §5.4, county pilot: refusing suitable job offers from the public employment "
    "service twice stops the dibao payment."
)
MEMBER_RULE = (
    "Interim Measures on Social Assistance (2014), art. 45: after three consecutive refusals of "
    "suitable work, the person's share is withheld."
)
RULES = {
    HOUSEHOLD_RULE: HOUSEHOLD_RULE,
    MEMBER_RULE: MEMBER_RULE,
    "report 4 §五4: two refusals of suitable offers stop the payment (county pilot)": (
        HOUSEHOLD_RULE
    ),
    "Interim Measures on Social Assistance (2014) art. 45: three consecutive refusals": (
        MEMBER_RULE
    ),
}

Wording = tuple[re.Pattern[str], Callable[[dict[str, str]], Data]]

HOUSEHOLD_EFFECT = "The household's payment of %(amount)s a month stops from %(day)s."
SHARE_EFFECT = "Your share of %(amount)s a month is withheld from %(day)s."


def _effect(pattern: str, message: str) -> Wording:
    return re.compile(pattern), lambda v: _message(message, amount=_yuan(v["amount"]), day=v["day"])


EFFECTS: list[Wording] = [
    _effect(
        r"^the household's dibao payment of (?P<amount>\S+) yuan/month stops from (?P<day>\S+)$",
        HOUSEHOLD_EFFECT,
    ),
    _effect(
        r"^The household's payment of (?P<amount>\S+) yuan a month stops from (?P<day>\S+)\.$",
        HOUSEHOLD_EFFECT,
    ),
    _effect(
        r"^.*'s share, (?P<amount>\S+) yuan/month, is withheld from (?P<day>\S+)$", SHARE_EFFECT
    ),
    _effect(
        r"^Your share of (?P<amount>\S+) yuan a month is withheld from (?P<day>\S+)\.$",
        SHARE_EFFECT,
    ),
    (
        re.compile(r"^the dibao application is not accepted while the sanction stands$"),
        lambda v: _message(BLOCKED),
    ),
]
HOW_TO_END: list[Wording] = [
    (
        re.compile(
            r"^accept a suitable job offer or attend the training you are referred to; payment "
            r"resumes from then, but not before (?P<day>\S+)$"
        ),
        lambda v: _message(ENDING, **v),
    ),
]
APPEAL: list[Wording] = [
    (
        re.compile(
            r"^you may ask the county civil affairs bureau to reconsider this decision, in "
            r"writing or in person, until (?P<day>\S+); you may add evidence of a good reason "
            r"until the sanction takes effect$"
        ),
        lambda v: _message(APPEALING, **v),
    ),
]
BLOCKED = "The dibao application is not accepted while the sanction stands."
ENDING = (
    "Accept a suitable job offer or attend the training you are referred to. Payment resumes "
    "from then, but not before %(day)s."
)
APPEALING = (
    "You may ask the county civil affairs bureau to reconsider this decision, in writing or in "
    "person, until %(day)s. You may add evidence of a good reason until the sanction takes "
    "effect."
)


def _as_it_reads(message: str) -> Wording:
    """A message as its English reads now, its ``%(day)s`` read back."""
    pattern = re.escape(message).replace(re.escape("%(day)s"), r"(?P<day>\S+)")
    return re.compile(f"^{pattern}$"), lambda v: _message(message, **v)


EFFECTS.append(_as_it_reads(BLOCKED))
HOW_TO_END.append(_as_it_reads(ENDING))
APPEAL.append(_as_it_reads(APPEALING))

FACT = re.compile(
    r"^(?P<day>\d{4}-\d{2}-\d{2}): (?P<title>.*) at (?P<employer>.*) \((?P<wage>\S+) "
    r"yuan/month\), declined(?: — reason given: (?P<reason>.*))?$",
    re.S,
)


def _read(text: Any, wordings: list[Wording]) -> Any:
    if not isinstance(text, str):
        return text  # data already
    for pattern, data in wordings:
        if found := pattern.match(text):
            return data(found.groupdict())
    return text


# As the sentences read in English now (a notice taken down to 0010 and up again).
OFFERED = re.compile(
    r"^On (?P<day>\d{4}-\d{2}-\d{2}) you were offered (?P<title>.*) at (?P<employer>.*) for "
    r"(?P<wage>\S+) yuan a month, and declined\.$",
    re.S,
)
REASON = re.compile(r"^The reason you gave: (?P<reason>.*)\.$", re.S)


def facts_data(fact: Any) -> list[Any]:
    """One fact as written, as the printed notice's sentences: the offer, then the reason."""
    if not isinstance(fact, str):
        return [fact]
    if found := REASON.match(fact):
        return [_message("The reason you gave: %(reason)s.", reason=found["reason"])]
    if not (found := FACT.match(fact) or OFFERED.match(fact)):
        return [fact]
    said = [
        _message(
            "On %(day)s you were offered %(title)s at %(employer)s for %(wage)s a month, and "
            "declined.",
            day=found["day"],
            title=found["title"],
            employer=found["employer"],
            wage=_yuan(found["wage"]),
        )
    ]
    if found.groupdict().get("reason"):
        said.append(_message("The reason you gave: %(reason)s.", reason=found["reason"]))
    return said


def notice_data(notice: Any) -> Any:
    """A notice as issued, its sentences as data; anything unrecognised as it was."""
    if not isinstance(notice, dict):
        return notice
    read = dict(notice)
    rule = notice.get("rule")
    if isinstance(rule, str) and rule in RULES:
        read["rule"] = _message(RULES[rule])
    read["effect"] = _read(notice.get("effect"), EFFECTS)
    read["how_to_end"] = _read(notice.get("how_to_end"), HOW_TO_END)
    read["appeal"] = _read(notice.get("appeal"), APPEAL)
    read["facts"] = [said for fact in notice.get("facts", []) for said in facts_data(fact)]
    return read


def _rewrite(read: Callable[[Any], Any]) -> None:
    table = sa.table("sanction", sa.column("id", sa.Integer), sa.column("notice", sa.JSON))
    connection = op.get_bind()
    updates = []
    for key, notice in connection.execute(sa.select(table.c.id, table.c.notice)).all():
        if isinstance(notice, str):  # a driver that hands JSON back as text
            notice = json.loads(notice)
        if (changed := read(notice)) != notice:
            updates.append({"key": key, "notice": changed})
    if updates:  # one statement for all of them
        connection.execute(table.update().where(table.c.id == sa.bindparam("key")), updates)


def upgrade() -> None:
    _rewrite(notice_data)


def english(value: Any) -> Any:
    """A sentence kept as data, as its English words (what the notice held before)."""
    if isinstance(value, dict) and "m" in value:
        values = {k: english(v) for k, v in dict(value.get("v", {})).items()}
        return str(value["m"]) % values if values else str(value["m"])
    return value


def notice_english(notice: Any) -> Any:
    if not isinstance(notice, dict):
        return notice
    read = {key: english(value) for key, value in notice.items()}
    read["facts"] = [english(fact) for fact in notice.get("facts", [])]
    return read


def downgrade() -> None:
    _rewrite(notice_english)
