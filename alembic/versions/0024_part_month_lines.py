"""Part-month payment lines with nothing owed are written by statement and explained when read

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 09:50:00

After the plain cases, most of the rest of a month's cases owe and are owed nothing but hold
more than one status period in the month, or a period that starts or ends in it (a re-review,
a suspension, a continuation, an opening or a closure). A payment run now pays those by two
statements per batch: the periods each line counts, with their days, go into
``payment_line_period``; the lines are summed and rounded from those rows in SQL. The line's
explanation is derived from those rows when it is read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_line_period",
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status_period_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("period", "case_id", "status_period_id"),
    )


def downgrade() -> None:
    # The older code cannot derive these lines' explanations: they keep an empty one (their
    # amounts, rule and parameter version stay), as revision 0021's downgrade does.
    op.execute(
        "UPDATE payment_line SET inputs = '{}' WHERE inputs IS NULL AND paid_from_period_id IS NULL"
    )
    op.drop_table("payment_line_period")
