"""A case tells a change decided but not in effect yet

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 07:40:00

A confirmed sanction stops the payment from a date after its notice, and a continuation ends on
a date fixed when it starts; until then the case's status alone misleads whoever checks it. The
case keeps the next decided change (its day and its words as data) for the status check to tell.
Changes decided before this revision are not back-filled: each is announced again by the sweep
or decision that acts on it, and cleared when it takes effect.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benefit_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coming_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("coming_said", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column in place (3.35+): a batch copy of the table would trip the foreign
    # keys of the rows that point at it.
    for column in ["coming_said", "coming_on"]:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE benefit_case DROP COLUMN {column}")
        else:
            op.drop_column("benefit_case", column)
