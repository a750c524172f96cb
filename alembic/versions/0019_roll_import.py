"""Bringing a county's roll in: the import and what it did with each household

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 16:00:00

An import commits in batches and resumes where a killed one stopped, so how far it came is
kept; the result file (a status per row) is written from what each household became.
"""

from collections.abc import Sequence

import sqlalchemy as sa

import kernel.db
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roll_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("done_through_line", sa.Integer(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("differs", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("parameter_version", sa.String(length=64), nullable=False),
        sa.Column("started_by", sa.String(length=160), nullable=False),
        sa.Column("started_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_roll_import_sha256", "roll_import", ["sha256"])
    op.create_table(
        "roll_import_household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("household_key", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("roll_amount_fen", sa.Integer(), nullable=False),
        sa.Column("computed_amount_fen", sa.Integer(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["roll_import.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_roll_import_household_import_id", "roll_import_household", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_roll_import_household_import_id", table_name="roll_import_household")
    op.drop_table("roll_import_household")
    op.drop_index("ix_roll_import_sha256", table_name="roll_import")
    op.drop_table("roll_import")
