"""The unsettled adjustments of a range of cases, found through their own index

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 14:10:00

Each batch of a payment run asks for the unsettled adjustments of its cases, and now also marks
the back pay its statements paid as settled. Asked as ``case_id BETWEEN … AND settled_period IS
NULL``, SQLite chose the ``settled_period`` index — every unsettled adjustment of the county,
for every batch. A partial index of the unsettled rows by case answers the question itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_payment_adjustment_unsettled",
        "payment_adjustment",
        ["case_id"],
        sqlite_where=sa.text("settled_period IS NULL"),
        postgresql_where=sa.text("settled_period IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_payment_adjustment_unsettled", table_name="payment_adjustment")
