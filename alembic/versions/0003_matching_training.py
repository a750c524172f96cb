"""Matching and training: seeker profiles, vacancies, providers, courses, enrolments, outcomes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:05:29.711034
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_provider")),
        sa.UniqueConstraint("name", name=op.f("uq_training_provider_name")),
    )
    op.create_table(
        "vacancy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("occupation_code", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("monthly_wage_fen", sa.Integer(), nullable=False),
        sa.Column("hours_per_week", sa.Integer(), nullable=False),
        sa.Column("shift", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("physical_demand", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("labour_dispute", sa.Boolean(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours_per_week BETWEEN 1 AND 84", name=op.f("ck_vacancy_hours")),
        sa.CheckConstraint("monthly_wage_fen > 0", name=op.f("ck_vacancy_wage")),
        sa.CheckConstraint("openings >= 0", name=op.f("ck_vacancy_openings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy")),
    )
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vacancy_community"), ["community"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vacancy_occupation_code"), ["occupation_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vacancy_valid_until"), ["valid_until"], unique=False)

    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("trade", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("sessions_total", sa.Integer(), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("cost_per_trainee_fen", sa.Integer(), nullable=False),
        sa.Column("subsidy_per_trainee_fen", sa.Integer(), nullable=False),
        sa.Column("physical_demand", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_course_capacity")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_course_dates")),
        sa.CheckConstraint("sessions_total > 0", name=op.f("ck_course_sessions")),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["training_provider.id"],
            name=op.f("fk_course_provider_id_training_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_trade"), ["trade"], unique=False)

    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("sessions_attended", sa.Integer(), nullable=False),
        sa.Column("dropped_on", sa.Date(), nullable=True),
        sa.Column("drop_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("certified_on", sa.Date(), nullable=True),
        sa.Column("certificate_no", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("placed_on", sa.Date(), nullable=True),
        sa.Column("employer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("occupation", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("monthly_income_fen", sa.Integer(), nullable=True),
        sa.Column("hours_per_week", sa.Integer(), nullable=True),
        sa.Column("enrolled_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("updated_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_enrolment_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_enrolment_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint(
            "course_id", "member_id", name=op.f("uq_enrolment_course_id_member_id")
        ),
    )
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolment_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrolment_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrolment_status"), ["status"], unique=False)

    op.create_table(
        "seeker_profile",
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("labour_office", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("desired_occupations", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("training_wishes", sa.JSON(), nullable=False),
        sa.Column("hours_per_week", sa.Integer(), nullable=False),
        sa.Column("shifts", sa.JSON(), nullable=False),
        sa.Column("max_commute_km", sa.Float(), nullable=False),
        sa.Column("physical_limit", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("childcare", sa.Boolean(), nullable=False),
        sa.Column("accepts_outside_county", sa.Boolean(), nullable=False),
        sa.Column("reservation_wage_fen", sa.Integer(), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("work_capacity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("disability", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("serious_illness", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours_per_week BETWEEN 1 AND 84", name=op.f("ck_seeker_profile_hours")),
        sa.CheckConstraint(
            "reservation_wage_fen >= 0", name=op.f("ck_seeker_profile_reservation_wage")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_seeker_profile_member_id_member")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_seeker_profile")),
    )
    with op.batch_alter_table("seeker_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seeker_profile_active"), ["active"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_seeker_profile_community"), ["community"], unique=False
        )

    op.create_table(
        "outcome_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("payload_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("received_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_outcome_report_enrolment_id_enrolment"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["training_provider.id"],
            name=op.f("fk_outcome_report_provider_id_training_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_report")),
        sa.UniqueConstraint(
            "provider_id", "report_id", name=op.f("uq_outcome_report_provider_id_report_id")
        ),
    )
    with op.batch_alter_table("outcome_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_report_enrolment_id"), ["enrolment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outcome_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_report_enrolment_id"))

    op.drop_table("outcome_report")
    with op.batch_alter_table("seeker_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seeker_profile_community"))
        batch_op.drop_index(batch_op.f("ix_seeker_profile_active"))

    op.drop_table("seeker_profile")
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_status"))
        batch_op.drop_index(batch_op.f("ix_enrolment_member_id"))
        batch_op.drop_index(batch_op.f("ix_enrolment_course_id"))

    op.drop_table("enrolment")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_trade"))
        batch_op.drop_index(batch_op.f("ix_course_provider_id"))

    op.drop_table("course")
    with op.batch_alter_table("vacancy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vacancy_valid_until"))
        batch_op.drop_index(batch_op.f("ix_vacancy_occupation_code"))
        batch_op.drop_index(batch_op.f("ix_vacancy_community"))

    op.drop_table("vacancy")
    op.drop_table("training_provider")
