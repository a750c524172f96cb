"""A training copy's clock, shared by its processes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:00:00

A training or acceptance copy lives at a date of its own (WORKBRIDGE_CLOCK) and an
administrator moves it forward; the offset from the real clock is kept in the database so that
every process of the copy agrees on the day.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import kernel.db
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offset_seconds", sa.BigInteger(), nullable=False),
        sa.Column("moved_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("moved_by", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("training_clock")
