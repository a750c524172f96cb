"""A counsellor's contact log and case notes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:40:00

Calls, visits and talks at the office were kept on paper beside the system; the person page now
keeps them, each with the day it happened and the day it was written down.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import kernel.db
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("written_by", sa.String(length=160), nullable=False),
        sa.Column("written_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contact_note_member_id", "contact_note", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_note_member_id", table_name="contact_note")
    op.drop_table("contact_note")
