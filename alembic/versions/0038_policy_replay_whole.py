"""A replay run keeps whether its reform was priced whole

Revision ID: 0038
Revises: 0037

A reform of several changes is priced with its stacking steps (each change added to those before
it) unless it is asked for whole, which prices it once. The run keeps the choice, so a re-run
asks the same. Runs recorded before this were all priced with their steps: ``false``.

Added in place (SQLite's ``ADD COLUMN``), not by copying the table, so the triggers that keep a
run from being deleted or changed once finished (0032) stay as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "policy_replay",
        sa.Column("whole", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("policy_replay", "whole")
