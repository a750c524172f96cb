"""Reasons the service writes keep their words as data: continuations, re-entry, sanctions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 06:30:00

The reasons written when a job starts or ends a continuation, when a sanction starts, ends or
is overturned, when a refusal stops counting, and the notes of open tasks were stored as English
sentences. The service now keeps them as catalog messages with their facts (``kernel.messages``):
in the ``said`` columns beside a case's status reasons, and in the text itself, marked, where
one column holds both the service's reasons and officers' own words (``stored``). Reasons already
written in one of the service's known wordings are read back into their facts here; anything
else (an officer's words, another wording) is left as written.

The duty's end reason may now hold a whole explanation, so its column is as wide as the others.
"""

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Data = dict[str, Any]

# The wordings are read as they were written before and as the messages now read in English
# (so a downgrade and upgrade give back the same data).

# How a job's end was written (its code with spaces), and the catalog message of that code.
END_WORDS = {
    "contract ended": "contract ended",
    "laid off": "laid off",
    "quit": "quit",
    "health": "health",
    "dismissed misconduct": "dismissed for misconduct",
    "dismissed for misconduct": "dismissed for misconduct",
    "employer closed": "employer closed",
    "other": "other",
}
STATUS_WORDS = {  # a case's status as a sanction that could not start named it
    "pending": "pending",
    "suspended": "suspended",
    "terminated": "terminated",
    "continuation_full": "continuation (full)",
    "continuation_half": "continuation (half)",
    "continuation (full)": "continuation (full)",
    "continuation (half)": "continuation (half)",
}


def _message(message: str, **values: Any) -> Data:
    return {"m": message, "v": values}


def _code(words: str, known: dict[str, str]) -> Any:
    return _message(known[words]) if words in known else words


_CASE_WORDINGS: list[tuple[re.Pattern[str], Callable[[dict[str, str]], Data]]] = [
    (
        re.compile(
            r"^took a job paying (?P<income>\S+) yuan(?:/month| a month) \(below (?P<threshold>\S+)\): the "
            r"previous (?P<previous>\S+) yuan continues for (?P<months>\d+) months, to "
            r"(?P<until>\S+) \(report 4 §五4\)$"
        ),
        lambda v: _message(
            "took a job paying %(income)s yuan a month (below %(threshold)s): the previous "
            "%(previous)s yuan continues for %(months)s months, to %(until)s (report 4 §五4)",
            **v,
        ),
    ),
    (
        re.compile(
            r"^took a job paying (?P<income>\S+) yuan(?:/month| a month) \(at or above (?P<threshold>\S+)\): "
            r"(?P<fraction>\S+) of the previous (?P<previous>\S+) yuan continues for "
            r"(?P<months>\d+) months, to (?P<until>\S+) \(report 4 §五4\)$"
        ),
        lambda v: _message(
            "took a job paying %(income)s yuan a month (at or above %(threshold)s): "
            "%(fraction)s of the previous %(previous)s yuan continues for %(months)s months, "
            "to %(until)s (report 4 §五4)",
            **v,
        ),
    ),
    (
        re.compile(
            r"^the job ended on (?P<day>\S+) \((?P<reason>[^)]*)\): back to the full amount "
            r"\(report 4 §五4\)$"
        ),
        lambda v: _message(
            "the job ended on %(day)s (%(reason)s): back to the full amount (report 4 §五4)",
            day=v["day"],
            reason=_code(v["reason"], END_WORDS),
        ),
    ),
    (
        re.compile(
            r"^continuation ended on (?P<day>\S+); reassessed on current incomes: "
            r"(?P<amount>\S+) yuan(?:/month| a month)$"
        ),
        lambda v: _message(
            "continuation ended on %(day)s; reassessed on current incomes: %(amount)s yuan a month",
            **v,
        ),
    ),
    (
        re.compile(
            r"^continuation ended on (?P<day>\S+); per-capita income (?P<income>\S+) is not "
            r"below the standard (?P<standard>\S+): the case exits; if the job falls through "
            r"within (?P<months>\d+) months, fast re-entry applies$"
        ),
        lambda v: _message(
            "continuation ended on %(day)s; per-capita income %(income)s is not below the "
            "standard %(standard)s: the case exits; if the job falls through within "
            "%(months)s months, fast re-entry applies",
            **v,
        ),
    ),
    (
        re.compile(
            r"^refusal sanction (?P<id>\d+): (?:the household's dibao payment of |.*'s share, )?"
            r"(?P<amount>\S+) yuan(?:/month| a month),? (?:stops|is withheld|withheld) from "
            r"(?P<day>\S+)$"
        ),
        lambda v: _message(
            "refusal sanction %(id)s: %(amount)s yuan a month withheld from %(day)s", **v
        ),
    ),
    (
        re.compile(r"^appeal (?P<id>\d+) upheld: (?P<reasons>.*)$", re.S),
        lambda v: _message("appeal %(id)s upheld: %(reasons)s", **v),
    ),
    (
        re.compile(r"^sanction (?P<id>\d+) ended: (?P<how>.*)$", re.S),
        lambda v: _message(
            "sanction %(id)s ended: %(how)s", id=v["id"], how=closed_data(v["how"]) or v["how"]
        ),
    ),
]


def _match(text: str | None, wordings: list[tuple[re.Pattern[str], Callable[..., Data]]]) -> Any:
    if not text:
        return None
    for pattern, data in wordings:
        if found := pattern.match(text):
            return data(found.groupdict())
    return None


def case_said(text: str | None) -> Data | None:
    """The data of a case status reason in one of the service's wordings."""
    return _match(text, _CASE_WORDINGS)


_CLOSED_WORDINGS: list[tuple[re.Pattern[str], Callable[[dict[str, str]], Data]]] = [
    (
        re.compile(r"^vulnerability review: (?P<findings>.*)$", re.S),
        lambda v: _message("vulnerability review: %(findings)s", **v),
    ),
    (
        re.compile(r"^(?:the )?case was (?P<status>.+?) when the sanction began$"),
        lambda v: _message(
            "the case was %(status)s when the sanction began",
            status=_code(v["status"], STATUS_WORDS),
        ),
    ),
    (
        re.compile(r"^appeal (?P<id>\d+) upheld: (?P<reasons>.*)$", re.S),
        lambda v: _message("appeal %(id)s upheld: %(reasons)s", **v),
    ),
    (
        re.compile(r"^(?:the )?refusal on referral (?P<id>\d+) is being reviewed again$"),
        lambda v: _message("the refusal on referral %(id)s is being reviewed again", **v),
    ),
    (
        re.compile(r"^accepted suitable offer (?P<code>\S+)$"),
        lambda v: _message("accepted suitable offer %(code)s", **v),
    ),
    (
        re.compile(r"^started work at (?P<employer>.+)$", re.S),
        lambda v: _message("started work at %(employer)s", **v),
    ),
]


def closed_data(text: str | None) -> Data | None:
    """A sanction's closing reason in one of the service's wordings."""
    return _match(text, _CLOSED_WORDINGS)


_CONTINUATION_WORDINGS = [
    (
        re.compile(r"^job ended: (?P<reason>[a-z_ ]+)$"),
        lambda v: _message(
            "job ended: %(reason)s",
            reason=_code(v["reason"].replace("_", " "), END_WORDS),
        ),
    ),
    *_CASE_WORDINGS[3:5],  # the continuation's end, reassessed or exited
]
_VOID_WORDINGS = [
    (
        re.compile(r"^good-reason review reopened by new evidence$"),
        lambda v: _message("good-reason review reopened by new evidence"),
    ),
    (re.compile(r"^appeal (?P<id>\d+) upheld$"), lambda v: _message("appeal %(id)s upheld", **v)),
]
_NOTE_WORDINGS: list[tuple[re.Pattern[str], Callable[..., Data]]] = [
    (
        re.compile(r"^re-review of case (?P<case>\d+) is due \((?P<scheme>[a-z]+)[:;] report 1\)$"),
        lambda v: _message(
            "re-review of case %(case)s is due (%(scheme)s; report 1)",
            case=v["case"],
            scheme=_code(v["scheme"], {"urban": "urban", "rural": "rural"}),
        ),
    ),
]

# Task notes the service wrote in fixed words (read as catalog messages already, kept as data
# like the notes written now).
FIXED_NOTES = (
    "job-seeker registration due",
    "registration deadline passed: remind the person",
    "decide whether the person had a good reason",
    "no answer to the offer: contact the person",
    "no answer by the deadline: contact the person (not a refusal)",
    "new evidence: review the decline again",
    "fast re-entry: decide within the working days allowed",
    "continuation ends: prepare the household's reassessment",
)
_NOTE_WORDINGS += [
    (re.compile("^" + re.escape(note) + "$"), lambda v, note=note: _message(note))
    for note in FIXED_NOTES
]

# Why a duty to register ended: the rule's explanation, in its old and its present words.
EXEMPTIONS = {  # as written before ("serious illness") and as the message reads now
    "serious illness": "serious illness",
    "disability": "severe disability",
    "severe disability": "severe disability",
    "carer": "full-time carer",
    "full-time carer": "full-time carer",
    "pregnant": "pregnancy",
    "pregnancy": "pregnancy",
    "student": "full-time student",
    "full-time student": "full-time student",
    "three nos": "three-nos person",
    "three-nos person": "three-nos person",
}


def _exemptions(text: str) -> Any:
    found = [part.strip() for part in re.split(r"[,;] ", text)]
    if not all(part in EXEMPTIONS for part in found):
        return None
    return [_message(EXEMPTIONS[part]) for part in found]


_DUTY_END_WORDINGS = [
    (
        re.compile(r"^household no longer applying or receiving$"),
        lambda v: _message("household no longer applying or receiving"),
    ),
    (
        re.compile(r"^recorded as without work capacity$"),
        lambda v: _message("recorded as without work capacity"),
    ),
    (
        re.compile(r"^aged (?P<age>\d+), below working age 16$"),
        lambda v: _message("aged %(age)s, below working age 16", age=int(v["age"])),
    ),
    (
        re.compile(
            r"^aged (?P<age>\d+); the duty applies to (?:males|females|people) under "
            r"(?P<limit>\d+)(?: of this sex)? \(report 4\)$"
        ),
        lambda v: _message(
            "aged %(age)s; the duty applies to people under %(limit)s of this sex (report 4)",
            age=int(v["age"]),
            limit=int(v["limit"]),
        ),
    ),
    (
        re.compile(r"^exempt: (?P<list>.+)$"),
        lambda v: (
            _message("exempt: %(exemptions)s", exemptions=found)
            if (found := _exemptions(v["list"]))
            else None
        ),
    ),
]

CARRIED = "\x1etext:"  # kernel.messages.carry: a message kept in a text column


def carried(wordings: list[Any]) -> Callable[[str | None], str | None]:
    def read(text: str | None) -> str | None:
        if not text or text.startswith(CARRIED):
            return None
        data = _match(text, wordings)
        return CARRIED + json.dumps(data, ensure_ascii=False) if data else None

    return read


continuation_end = carried(_CONTINUATION_WORDINGS)
sanction_closed = carried(_CLOSED_WORDINGS)
refusal_void = carried(_VOID_WORDINGS)
task_note = carried(_NOTE_WORDINGS)
duty_end = carried(_DUTY_END_WORDINGS)

SAID_COLUMNS = [  # table, the reason as written, its data
    ("benefit_case", "status_reason", "status_said"),
    ("case_status_period", "reason", "said"),
]
TEXT_COLUMNS: list[tuple[str, str, Callable[[str | None], str | None]]] = [
    ("continuation", "end_reason", continuation_end),
    ("sanction", "closed_reason", sanction_closed),
    ("refusal", "void_reason", refusal_void),
    ("activation_task", "note", task_note),
    ("registration_duty", "end_reason", duty_end),
]


def _rewrite(table_name: str, column: str, read: Callable[[str | None], Any], target: str) -> None:
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        sa.column(column, sa.String),
        sa.column(target, sa.JSON if target != column else sa.String),
    )
    connection = op.get_bind()
    query = sa.select(table.c.id, table.c[column])
    if target != column:
        query = query.where(
            table.c[target].is_(None) | (sa.cast(table.c[target], sa.String) == "null")
        )
    rows = connection.execute(query).all()
    updates = [{"key": row[0], target: data} for row in rows if (data := read(row[1]))]
    if updates:  # one statement for all of them
        connection.execute(table.update().where(table.c.id == sa.bindparam("key")), updates)


def upgrade() -> None:
    with op.batch_alter_table("registration_duty", schema=None) as batch_op:
        batch_op.alter_column(
            "end_reason", existing_type=sa.String(length=300), type_=sa.String(length=2000)
        )
    for table, written, said in SAID_COLUMNS:
        _rewrite(table, written, case_said, said)
    for table, column, read in TEXT_COLUMNS:
        _rewrite(table, column, read, column)


DOWN_COLUMNS = [  # table, column, its width before
    ("continuation", "end_reason", 2000),
    ("sanction", "closed_reason", 2000),
    ("refusal", "void_reason", 500),
    ("activation_task", "note", 500),
    ("registration_duty", "end_reason", 300),
]


def downgrade() -> None:
    """Reasons kept as data read back as English sentences in the text columns; the ``said``
    columns keep their data (0009 drops them)."""
    connection = op.get_bind()
    for table_name, column, limit in DOWN_COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, sa.String))
        rows = connection.execute(
            sa.select(table.c.id, table.c[column]).where(table.c[column].startswith(CARRIED))
        ).all()
        updates = [{"key": row[0], column: english(row[1])[:limit]} for row in rows]
        if updates:
            connection.execute(table.update().where(table.c.id == sa.bindparam("key")), updates)
    with op.batch_alter_table("registration_duty", schema=None) as batch_op:
        batch_op.alter_column(
            "end_reason", existing_type=sa.String(length=2000), type_=sa.String(length=300)
        )


def english(text: str) -> str:
    """A carried message as its English sentence (what the column held before)."""

    def words(value: Any) -> Any:
        if isinstance(value, dict) and "m" in value:
            values = {k: words(v) for k, v in dict(value.get("v", {})).items()}
            return str(value["m"]) % values if values else str(value["m"])
        if isinstance(value, list):
            return "; ".join(str(words(item)) for item in value)
        return value

    try:
        return str(words(json.loads(text[len(CARRIED) :])))
    except (ValueError, TypeError, KeyError):
        return text
