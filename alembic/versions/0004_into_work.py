"""Into work and back: jobs, continuations, re-entry applications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:44:17.657444
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("employer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("occupation", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("monthly_income_fen", sa.Integer(), nullable=False),
        sa.Column("hours_per_week", sa.Integer(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_job_household_id_household")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_job_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_job_source_ref")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_member_id"), ["member_id"], unique=False)

    op.create_table(
        "continuation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("base_amount_fen", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("fraction", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["benefit_case.id"], name=op.f("fk_continuation_case_id_benefit_case")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["activation_decision.id"],
            name=op.f("fk_continuation_decision_id_activation_decision"),
        ),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_continuation_job_id_job")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_continuation_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_continuation")),
    )
    with op.batch_alter_table("continuation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_continuation_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_continuation_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_continuation_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_continuation_state"), ["state"], unique=False)

    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_due_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("review_flag", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("review_flag")
        batch_op.drop_column("decision_due_on")

    with op.batch_alter_table("continuation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_continuation_state"))
        batch_op.drop_index(batch_op.f("ix_continuation_member_id"))
        batch_op.drop_index(batch_op.f("ix_continuation_job_id"))
        batch_op.drop_index(batch_op.f("ix_continuation_case_id"))

    op.drop_table("continuation")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_member_id"))
        batch_op.drop_index(batch_op.f("ix_job_household_id"))

    op.drop_table("job")
