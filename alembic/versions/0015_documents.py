"""The files an application brings: uploaded, kept, and replaced without being lost

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:20:35

An application's documents were a list of kinds an officer said were present; nothing held the
files, so a missing income statement could not be cleared from the pages. Each uploaded file is
now a row with its content, its SHA-256 and who brought it when. A replaced file keeps its row
and names the one that replaced it. Existing applications keep their list of kinds as it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "application_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("uploaded_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.Column("replaced_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("size > 0", name=op.f("ck_application_document_size_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_document_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_application_document_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by"],
            ["application_document.id"],
            name=op.f("fk_application_document_replaced_by_application_document"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_document")),
    )
    op.create_index(
        op.f("ix_application_document_application_id"),
        "application_document",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_application_document_household_id"),
        "application_document",
        ["household_id"],
        unique=False,
    )


def downgrade() -> None:
    # The files go with the table: a downgrade is for a release rolled back before use.
    op.drop_index(op.f("ix_application_document_household_id"), table_name="application_document")
    op.drop_index(op.f("ix_application_document_application_id"), table_name="application_document")
    op.drop_table("application_document")
