"""SMS notifications: the outbox, inbound replies, delivery receipts and opt-outs

The unique constraints are the point: a dedupe key is queued once, and an inbound message or a
delivery receipt (gateway + provider id) has one effect however often a gateway pushes it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:07:34.967710
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "provider_message_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False
        ),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1600), nullable=False),
        sa.Column("command", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("received_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_inbound")),
        sa.UniqueConstraint(
            "gateway",
            "provider_message_id",
            name=op.f("uq_sms_inbound_gateway_provider_message_id"),
        ),
    )
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sms_inbound_phone_received", ["phone", "received_at"], unique=False
        )

    op.create_table(
        "sms_opt_out",
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("changed_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("keyword", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_opt_out")),
    )
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("template_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("not_before", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column(
            "provider_message_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True
        ),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_sms_outbox_dedupe_key")),
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_sms_outbox_due", ["status", "not_before"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_outbox_phone"), ["phone"], unique=False)
        batch_op.create_index(
            "ix_sms_outbox_provider", ["gateway", "provider_message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sms_outbox_reference"), ["reference"], unique=False)

    op.create_table(
        "sms_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("receipt_key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("reported_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["sms_outbox.id"], name=op.f("fk_sms_receipt_outbox_id_sms_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_receipt")),
        sa.UniqueConstraint(
            "gateway", "receipt_key", name=op.f("uq_sms_receipt_gateway_receipt_key")
        ),
    )
    with op.batch_alter_table("sms_receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_receipt_outbox_id"), ["outbox_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_receipt_outbox_id"))

    op.drop_table("sms_receipt")
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_outbox_reference"))
        batch_op.drop_index("ix_sms_outbox_provider")
        batch_op.drop_index(batch_op.f("ix_sms_outbox_phone"))
        batch_op.drop_index("ix_sms_outbox_due")

    op.drop_table("sms_outbox")
    op.drop_table("sms_opt_out")
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_inbound_phone_received")

    op.drop_table("sms_inbound")
