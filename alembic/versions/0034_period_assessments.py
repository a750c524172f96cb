"""Status periods keep the inputs of the assessments that set their amounts

Revision ID: 0034
Revises: 0033

The policy replay (issue 16) prices reforms of the standards and the category factors by
assessing each household again on what it was assessed on: scheme, category, members and the
household's income on the assessment's day. Approvals, re-reviews and the reassessment after a
continuation record those inputs on the period they open (or on the open one when a re-review
leaves the amount as it was). Periods recorded before this revision have none; the replay
counts the cases that need them as unresolved rather than guess.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case_status_period", sa.Column("assessments", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_status_period") as batch:
        batch.drop_column("assessments")
