"""A gateway's send rate shared by every worker process

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 05:00:00

The rate limit per gateway was a token bucket in each worker's memory, so two workers on one
PostgreSQL database sent at twice the provider's rate. The bucket now lives in a row per gateway;
a worker takes permits for the messages it claims in the claim's own transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_send_rate",
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("gateway", name=op.f("pk_sms_send_rate")),
    )


def downgrade() -> None:
    op.drop_table("sms_send_rate")
