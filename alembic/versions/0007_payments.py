"""Payments: monthly runs, the payment ledger and job claims

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:47:40.245139
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("claimed_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_claim")),
        sa.UniqueConstraint("job", "period", name=op.f("uq_job_claim_job_period")),
    )
    op.create_table(
        "payment_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("month_first", sa.Date(), nullable=False),
        sa.Column("month_last", sa.Date(), nullable=False),
        sa.Column("parameter_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("first_case_id", sa.Integer(), nullable=False),
        sa.Column("last_case_id", sa.Integer(), nullable=False),
        sa.Column("done_through_case_id", sa.Integer(), nullable=False),
        sa.Column("batches_done", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("paid_lines", sa.Integer(), nullable=False),
        sa.Column("zero_lines", sa.Integer(), nullable=False),
        sa.Column("without_account", sa.Integer(), nullable=False),
        sa.Column("regular_fen", sa.BigInteger(), nullable=False),
        sa.Column("adjustments_fen", sa.BigInteger(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("carried_fen", sa.BigInteger(), nullable=False),
        sa.Column("recomputed_months", sa.Integer(), nullable=False),
        sa.Column("recoveries_found_fen", sa.BigInteger(), nullable=False),
        sa.Column("back_pay_found_fen", sa.BigInteger(), nullable=False),
        sa.Column("reconciled_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("started_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_run")),
        sa.UniqueConstraint("period", name=op.f("uq_payment_run_period")),
    )
    with op.batch_alter_table("payment_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_run_state"), ["state"], unique=False)

    op.create_table(
        "payment_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("payee_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("bank_account", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("regular_fen", sa.Integer(), nullable=False),
        sa.Column("adjustments_fen", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("carried_fen", sa.Integer(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("parameter_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_payment_line_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["benefit_case.id"], name=op.f("fk_payment_line_case_id_benefit_case")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_run.id"], name=op.f("fk_payment_line_run_id_payment_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_line")),
        sa.UniqueConstraint("period", "case_id", name=op.f("uq_payment_line_period_case_id")),
    )
    with op.batch_alter_table("payment_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_line_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("case_status_period", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_status_period_recorded_at"), ["recorded_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_status_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_status_period_recorded_at"))

    with op.batch_alter_table("payment_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_line_case_id"))

    op.drop_table("payment_line")
    with op.batch_alter_table("payment_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_run_state"))

    op.drop_table("payment_run")
    op.drop_table("job_claim")
