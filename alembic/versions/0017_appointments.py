"""Appointments with a text reminder the day before

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:45:00

A counsellor books a time and place to see someone; the reminder goes out by SMS the day before
(les-emplois and rdv-insertion centre their work on such invitations).
"""

from collections.abc import Sequence

import sqlalchemy as sa

import kernel.db
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("booked_by", sa.String(length=160), nullable=False),
        sa.Column("booked_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=160), nullable=True),
        sa.Column("closed_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appointment_member_id", "appointment", ["member_id"])
    op.create_index("ix_appointment_at", "appointment", ["at"])


def downgrade() -> None:
    op.drop_index("ix_appointment_at", table_name="appointment")
    op.drop_index("ix_appointment_member_id", table_name="appointment")
    op.drop_table("appointment")
