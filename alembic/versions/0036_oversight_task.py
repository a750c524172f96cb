"""Oversight alerts as tasks for the roles that own them

Revision ID: 0036
Revises: 0035

Issue 17 asks that alerts appear as tasks for the roles that own them, not only on a page that
somebody has to open: one row per month, alert and subject (``activation/oversight/tasks.py``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oversight_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("alert", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opened_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "alert", "subject", name="uq_oversight_task"),
    )
    for column in ("month", "owner", "state"):
        op.create_index(op.f(f"ix_oversight_task_{column}"), "oversight_task", [column])


def downgrade() -> None:
    for column in ("month", "owner", "state"):
        op.drop_index(op.f(f"ix_oversight_task_{column}"), table_name="oversight_task")
    op.drop_table("oversight_task")
