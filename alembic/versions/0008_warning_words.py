"""Written warnings keep their words as data, to be shown in the reader's language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 04:00:00

A warning was stored as an English sentence only. It now keeps, beside that sentence, the
catalog message and its facts (``kernel.messages.as_data``). The warnings already written were
made by two functions whose wording is known, so each is read back into its facts here; a text
that does not match (edited by hand, or older wording) keeps no data and is shown as written.
"""

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = re.compile(
    r"^Written warning: (?P<count>\d+) suitable job offer\(s\) declined without good reason "
    r"since (?P<since>\d{4}-\d{2}-\d{2})\. If (?P<left>\d+) more (?P<verb>is|are) declined "
    r"(?P<run>in a row )?without good reason, (?P<effect>your share of the dibao payment|"
    r"your household's dibao payment) may be stopped after a notice and a review by a second "
    r"officer\. You can always give your reasons\. \((?P<version>[^)]*)\)$"
)
REGISTRATION = re.compile(
    r"^Written warning: you must register as a job seeker at your community or township labour "
    r"office \(report 4 §五4\); the deadline was (?P<deadline>\d{4}-\d{2}-\d{2})\. "
    r"\((?P<version>[^)]*)\)$"
)


def _refusal(found: re.Match[str]) -> dict[str, Any]:
    run = "in a row " if found["run"] else ""
    message = (
        "Written warning: %(count)s suitable job offer(s) declined without good reason since "
        f"%(since)s. If %(left)s more {found['verb']} declined {run}without good reason, "
        "%(effect)s may be stopped after a notice and a review by a second officer. You can "
        "always give your reasons. (%(version)s)"
    )
    return {
        "m": message,
        "v": {
            "count": int(found["count"]),
            "since": found["since"],
            "left": int(found["left"]),
            "effect": {"m": found["effect"], "v": {}},
            "version": found["version"],
        },
    }


def _registration(found: re.Match[str]) -> dict[str, Any]:
    return {
        "m": "Written warning: you must register as a job seeker at your community or township "
        "labour office (report 4 §五4); the deadline was %(deadline)s. (%(version)s)",
        "v": {"deadline": found["deadline"], "version": found["version"]},
    }


def said_of(text: str) -> dict[str, Any] | None:
    """The data of a warning's English text, when it is in a known wording."""
    if found := REFUSAL.match(text):
        return _refusal(found)
    if found := REGISTRATION.match(text):
        return _registration(found)
    return None


def upgrade() -> None:
    with op.batch_alter_table("activation_warning", schema=None) as batch_op:
        batch_op.add_column(sa.Column("said", sa.JSON(), nullable=True))
    table = sa.table(
        "activation_warning",
        sa.column("id", sa.Integer),
        sa.column("text", sa.String),
        sa.column("said", sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c.text)).all()
    updates = [{"key": row.id, "said": said} for row in rows if (said := said_of(row.text))]
    if updates:  # one statement for all of them
        connection.execute(
            table.update().where(table.c.id == sa.bindparam("key")),
            [{"key": u["key"], "said": u["said"]} for u in updates],
        )


def downgrade() -> None:
    with op.batch_alter_table("activation_warning", schema=None) as batch_op:
        batch_op.drop_column("said")
