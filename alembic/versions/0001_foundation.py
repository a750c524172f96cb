"""Foundation: API tokens, the append-only audit log, households, applications, cases

Revision ID: 0001
Revises:
Create Date: 2026-11-25 09:44:00.534793
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_SQLITE = [
    f"""CREATE TRIGGER audit_record_no_{verb.lower()} BEFORE {verb} ON audit_record
    BEGIN SELECT RAISE(ABORT, 'audit_record is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
APPEND_ONLY_POSTGRESQL = [
    """CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_record is append-only'; END $$""",
    """CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("office", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_token_role"), ["role"], unique=False)

    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("parameter_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_record_at"), ["at"], unique=False)

    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("township", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("bank_account", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_community"), ["community"], unique=False)
        batch_op.create_index(batch_op.f("ix_household_township"), ["township"], unique=False)

    op.create_table(
        "application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("category_requested", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("appraisal_passed", sa.Boolean(), nullable=True),
        sa.Column("notice_starts_on", sa.Date(), nullable=True),
        sa.Column("notice_last_day", sa.Date(), nullable=True),
        sa.Column("second_approval_required", sa.Boolean(), nullable=False),
        sa.Column("first_approver", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("parameter_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_application_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_application_state"), ["state"], unique=False)

    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("national_id", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("relation", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("work_capacity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("disability", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("serious_illness", sa.Boolean(), nullable=False),
        sa.Column("student", sa.Boolean(), nullable=False),
        sa.Column("carer", sa.Boolean(), nullable=False),
        sa.Column("pregnant", sa.Boolean(), nullable=False),
        sa.Column("three_nos", sa.Boolean(), nullable=False),
        sa.Column("official_relative", sa.Boolean(), nullable=False),
        sa.Column(
            "official_relative_note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True
        ),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_member_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint(
            "household_id", "national_id", name=op.f("uq_member_household_id_national_id")
        ),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_national_id"), ["national_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_phone"), ["phone"], unique=False)

    op.create_table(
        "application_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("recorded_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_step_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_step")),
    )
    with op.batch_alter_table("application_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_step_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "benefit_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("status_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("monthly_amount_fen", sa.Integer(), nullable=False),
        sa.Column("entitled_amount_fen", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("parameter_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_benefit_case_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_benefit_case_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_case")),
        sa.UniqueConstraint("application_id", name=op.f("uq_benefit_case_application_id")),
    )
    with op.batch_alter_table("benefit_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_benefit_case_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_benefit_case_next_review_on"), ["next_review_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_benefit_case_status"), ["status"], unique=False)

    op.create_table(
        "member_income",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("monthly_amount_fen", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("recorded_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_income_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_income")),
    )
    with op.batch_alter_table("member_income", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_income_current", ["member_id", "source", "effective_to"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_member_income_member_id"), ["member_id"], unique=False)

    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("objector", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_objection_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objection_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "case_status_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("monthly_amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("parameter_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("recorded_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["benefit_case.id"],
            name=op.f("fk_case_status_period_case_id_benefit_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_status_period")),
    )
    with op.batch_alter_table("case_status_period", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_status_period_case_from", ["case_id", "effective_from"], unique=False
        )

    dialect = op.get_bind().dialect.name
    for statement in APPEND_ONLY_POSTGRESQL if dialect == "postgresql" else APPEND_ONLY_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_record_append_only ON audit_record")
        op.execute("DROP FUNCTION IF EXISTS audit_record_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_delete")
    with op.batch_alter_table("case_status_period", schema=None) as batch_op:
        batch_op.drop_index("ix_case_status_period_case_from")

    op.drop_table("case_status_period")
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objection_application_id"))

    op.drop_table("objection")
    with op.batch_alter_table("member_income", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_income_member_id"))
        batch_op.drop_index("ix_member_income_current")

    op.drop_table("member_income")
    with op.batch_alter_table("benefit_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benefit_case_status"))
        batch_op.drop_index(batch_op.f("ix_benefit_case_next_review_on"))
        batch_op.drop_index(batch_op.f("ix_benefit_case_household_id"))

    op.drop_table("benefit_case")
    with op.batch_alter_table("application_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_step_application_id"))

    op.drop_table("application_step")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_phone"))
        batch_op.drop_index(batch_op.f("ix_member_national_id"))
        batch_op.drop_index(batch_op.f("ix_member_household_id"))

    op.drop_table("member")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_state"))
        batch_op.drop_index(batch_op.f("ix_application_household_id"))

    op.drop_table("application")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_township"))
        batch_op.drop_index(batch_op.f("ix_household_community"))

    op.drop_table("household")
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_record_at"))

    op.drop_table("audit_record")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_role"))
        batch_op.drop_index(batch_op.f("ix_api_token_provider_id"))

    op.drop_table("api_token")
