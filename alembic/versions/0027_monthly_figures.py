"""A month's paid figures by township, for the national roll-up

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 18:00:00

What a province's database gives upward: counts and money by region, month and township, no
persons (benefits.figures). A national reporting database subscribes to this table by logical
replication; its primary key is the replica identity that carries updates and deletes.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from kernel.db import UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_figures",
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("township", sa.String(length=120), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("paid_cases", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("adjustments_fen", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("region", "period", "township", name="pk_monthly_figures"),
    )


def downgrade() -> None:
    op.drop_table("monthly_figures")
