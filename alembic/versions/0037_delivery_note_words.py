"""How an offer reached the person is kept as words for the catalogs, in a column wide enough

Revision ID: 0037
Revises: 0036

A referral's ``delivery_note`` was an English sentence the service wrote ("told in person by the
counsellor", "phone on 2026-03-03: …", "SMS delivered (delivered)") and nobody could read it in
Chinese. The service now keeps it as a catalog message with its facts (``kernel.messages.stored``)
and the API shows it in the reader's language. A counsellor's own note of up to 300 characters
went into a column of 300 with the service's words before it, so a long note could not be
written at all; the column is now 1,000 wide.

Notes already written in one of the service's wordings are read back into their facts here;
anything else is left as written (and is shown as written).
"""

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CARRIED = "\x1etext:"  # kernel.messages.carry: a message kept in a text column
HOW = {  # how the old notes named a channel, and its message (activation.words)
    "in person": "in person",
    "phone": "by phone",
    "sms receipt": "by an SMS receipt",
}
Data = dict[str, Any]


def _message(message: str, **values: Any) -> Data:
    return {"m": message, "v": values}


WORDINGS: list[tuple[re.Pattern[str], Callable[[dict[str, str]], Data]]] = [
    (
        re.compile(r"^told (?P<how>in person|phone) by the counsellor$"),
        lambda v: _message("told %(channel)s by the counsellor", channel=_message(HOW[v["how"]])),
    ),
    (
        re.compile(r"^(?P<how>in person|phone|sms receipt) on (?P<day>\d{4}-\d\d-\d\d)$"),
        lambda v: _message(
            "confirmed %(how)s on %(day)s", how=_message(HOW[v["how"]]), day=v["day"]
        ),
    ),
    (
        re.compile(
            r"^(?P<how>in person|phone|sms receipt) on (?P<day>\d{4}-\d\d-\d\d): (?P<note>.*)$",
            re.S,
        ),
        lambda v: _message(
            "confirmed %(how)s on %(day)s: %(note)s",
            how=_message(HOW[v["how"]]),
            day=v["day"],
            note=v["note"],
        ),
    ),
    (
        re.compile(r"^SMS delivered \((?P<status>[^)]*)\)$"),
        lambda v: _message("SMS delivered (%(status)s)", **v),
    ),
    (
        re.compile(r"^SMS not delivered \((?P<status>[^)]*)\): it can never count as a refusal$"),
        lambda v: _message("SMS not delivered (%(status)s): it can never count as a refusal", **v),
    ),
]

REFERRAL = sa.table("referral", sa.column("id", sa.Integer), sa.column("delivery_note", sa.String))


def carried(text: str | None) -> str | None:
    """The old note as data, or None when it is in none of the service's wordings."""
    if not text or text.startswith(CARRIED):
        return None
    for pattern, data in WORDINGS:
        if found := pattern.match(text):
            return CARRIED + json.dumps(data(found.groupdict()), ensure_ascii=False)
    return None


def english(text: str) -> str:
    """A carried note as the English sentence of its message."""

    def words(value: Any) -> Any:
        if isinstance(value, dict) and "m" in value:
            values = {k: words(v) for k, v in dict(value.get("v", {})).items()}
            return str(value["m"]) % values if values else str(value["m"])
        return value

    try:
        return str(words(json.loads(text[len(CARRIED) :])))
    except (ValueError, TypeError, KeyError):
        return text


def _rewrite(read: Callable[[str], str | None], only_carried: bool) -> None:
    connection = op.get_bind()
    query = sa.select(REFERRAL.c.id, REFERRAL.c.delivery_note).where(
        REFERRAL.c.delivery_note.is_not(None)
    )
    if only_carried:
        query = query.where(REFERRAL.c.delivery_note.startswith(CARRIED))
    rows = connection.execute(query).all()
    updates = [{"key": i, "delivery_note": note} for i, text in rows if (note := read(text))]
    if updates:  # one statement for all of them
        connection.execute(REFERRAL.update().where(REFERRAL.c.id == sa.bindparam("key")), updates)


def _widen(old: int, new: int) -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.alter_column(
            "delivery_note",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=old),
            type_=sqlmodel.sql.sqltypes.AutoString(length=new),
            existing_nullable=True,
        )


def upgrade() -> None:
    _widen(300, 1000)
    _rewrite(carried, only_carried=False)


def downgrade() -> None:
    """Carried notes back to English sentences, cut to the narrower column."""
    _rewrite(lambda text: english(text)[:300], only_carried=True)
    _widen(1000, 300)
