"""A roll import may correct phone numbers and addresses: count the households it updated

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 19:30:00

A household Workbridge holds whose only differences from the roll are its members' phone
numbers or its address takes them from the roll (benefits.roll_plan.APPLIED); the import counts
those apart from the households that differ in anything else and are left as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roll_import") as batch:
        batch.add_column(sa.Column("updated", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("roll_import") as batch:
        batch.drop_column("updated")
