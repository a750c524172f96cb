"""Four eyes on the bank file: a payment run is signed off by a second officer

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 07:20:00

A finished run's bank file is released only after a benefit officer other than the one who
started the run has signed it off. Runs finished before this revision have no signature: their
bank files too wait for one, since nobody checked them twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signed_off_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True)
        )
        batch_op.add_column(
            sa.Column("signed_off_at", kernel.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # SQLite drops a column in place (3.35+): a batch copy of the table would trip the foreign
    # keys of the rows that point at it.
    for column in ["signed_off_at", "signed_off_by"]:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE payment_run DROP COLUMN {column}")
        else:
            op.drop_column("payment_run", column)
