"""Written warnings are kept as words only: the English sentence beside them goes

Revision ID: 0039
Revises: 0038

Since 0008 a warning kept its catalog message and facts (``said``) and, beside them, the English
sentence it was first written in (``text``), which nothing showed: a page, the API and an SMS
put ``said`` into the reader's language. The service now writes only ``said``; ``text`` stays
for the warnings 0008 could not read back (older or hand-edited wording), which are shown as
written, and is emptied where ``said`` holds the same words.

Going down writes the English sentence back from ``said`` (the messages' English is their
catalog id, with the facts put in), so the column can be required again.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = sa.table(
    "activation_warning",
    sa.column("id", sa.Integer),
    sa.column("text", sa.String),
    sa.column("said", sa.JSON),
)


def english(said: Any) -> Any:
    """A message kept as data (``{"m": id, "v": facts}``) in English: its id with the facts in."""
    if isinstance(said, dict) and "m" in said:
        values = {key: english(value) for key, value in dict(said.get("v") or {}).items()}
        return str(said["m"]) % values if values else str(said["m"])
    return said


def upgrade() -> None:
    with op.batch_alter_table("activation_warning", schema=None) as batch_op:
        batch_op.alter_column("text", existing_type=sa.String(length=2000), nullable=True)
    # Read in Python: a ``said`` written as JSON ``null`` is no words, and its text must stay.
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(TABLE.c.id, TABLE.c.said).where(TABLE.c.text.is_not(None))
    ).all()
    kept = [row.id for row in rows if isinstance(row.said, dict) and "m" in row.said]
    for start in range(0, len(kept), 1000):
        connection.execute(
            TABLE.update().where(TABLE.c.id.in_(kept[start : start + 1000])).values(text=None)
        )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(TABLE.c.id, TABLE.c.said).where(TABLE.c.text.is_(None))
    ).all()
    if rows:
        connection.execute(
            TABLE.update().where(TABLE.c.id == sa.bindparam("key")),
            [{"key": row.id, "text": english(row.said) if row.said else ""} for row in rows],
        )
    with op.batch_alter_table("activation_warning", schema=None) as batch_op:
        batch_op.alter_column("text", existing_type=sa.String(length=2000), nullable=False)
