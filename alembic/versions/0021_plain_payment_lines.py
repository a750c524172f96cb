"""Plain payment lines are written by one statement and explained when read

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 23:20:00

Most cases in a month are paid from one status period that covers the whole month, with nothing
owed either way. A payment run writes their lines with one INSERT … SELECT per batch
(benefits.payment_sql) and records the period the amount came from in ``paid_from_period_id``
instead of a JSON explanation per line; the explanation is derived from that period when the
line is read (benefits.payment_explain), and is the same as the one stored for other lines.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_line") as batch:
        batch.add_column(sa.Column("paid_from_period_id", sa.Integer(), nullable=True))
        batch.alter_column("inputs", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    # The older code cannot derive an explanation from the period: lines explained by reference
    # are left with an empty one (their amounts, rule and parameter version stay).
    op.execute("UPDATE payment_line SET inputs = '{}' WHERE inputs IS NULL")
    with op.batch_alter_table("payment_line") as batch:
        batch.alter_column("inputs", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("paid_from_period_id")
