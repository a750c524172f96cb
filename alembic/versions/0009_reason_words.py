"""Reasons the service writes keep their words as data: approvals and re-reviews

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 04:10:00

An application's decision reason, a case's status reason and each status period's reason were
stored as English sentences only. Where the service wrote them (not an officer's own words),
they now keep the catalog message and its facts beside the sentence, to be shown in the
reader's language. Reasons already written in one of the service's known wordings are read back
into their facts here; any other text (an officer's words, another wording) is left as written.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPROVED = re.compile(
    r"^approved: per-capita income (?P<income>\S+) below the standard (?P<standard>\S+); "
    r"category (?P<category>\S+)$"
)
REASSESSED = re.compile(r"^re-review: amount reassessed to (?P<amount>\S+)$")
FIXED = {
    "re-review: per-capita income is no longer below the standard",
    "re-review: amount unchanged",
}


def said_of(text: str | None) -> dict[str, Any] | None:
    """The data of a reason in one of the service's wordings."""
    if not text:
        return None
    if text in FIXED:
        return {"m": text, "v": {}}
    if found := APPROVED.match(text):
        return {
            "m": "approved: per-capita income %(income)s below the standard %(standard)s; "
            "category %(category)s",
            "v": dict(found.groupdict()),
        }
    if found := REASSESSED.match(text):
        return {"m": "re-review: amount reassessed to %(amount)s", "v": dict(found.groupdict())}
    return None


COLUMNS = [  # table, the reason's column, the new column
    ("application", "decision_reason", "decision_said"),
    ("benefit_case", "status_reason", "status_said"),
    ("case_status_period", "reason", "said"),
]


def _read_back(table_name: str, written: str, said: str, read: Callable[[str | None], Any]) -> None:
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        sa.column(written, sa.String),
        sa.column(said, sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c[written])).all()
    updates = [{"key": row[0], said: data} for row in rows if (data := read(row[1]))]
    if updates:  # one statement for all of them
        connection.execute(table.update().where(table.c.id == sa.bindparam("key")), updates)


def upgrade() -> None:
    for table, written, said in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(said, sa.JSON(), nullable=True))
        _read_back(table, written, said, said_of)


def downgrade() -> None:
    for table, _, said in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(said)
