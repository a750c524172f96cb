"""The SMS outbox partitioned by month on PostgreSQL; its keys in a table of their own

Revision ID: 0028
Revises: 0027

A province queues a text or two a month for every person subject to the duty, and the outbox
is read by the worker only for what is due: old months are the archive's. Partitioning by the
month a message was queued (``created_at``, UTC) lets a month be detached once none of its
messages is queued or being sent (``kernel.partitions``).

PostgreSQL allows only unique rules that contain the partition key on a partitioned table, and
a foreign key only to such a rule. The outbox's exactly-once rests on its dedupe key being
unique for all time, and delivery receipts point at a message. So, on both databases:

- ``sms_dedupe`` holds each key once (primary key), with its message's id (unique) and the
  month's instant; enqueue writes it in the message's transaction. It is filled here from the
  outbox, and it outlives a detached month, so an old key stays a duplicate;
- the outbox's own unique rule on the key is dropped;
- a receipt's ``outbox_id`` points at ``sms_dedupe.outbox_id`` instead of the outbox.

Then, on PostgreSQL only, the outbox is rebuilt partitioned (``kernel.partitions.convert``,
as migration 0026 did for the ledger), its primary key becoming (id, created_at). Down, the
same in reverse; keys queued meanwhile are unique in the outbox, so the unique rule comes back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from kernel.db import UTCDateTime
from kernel.partitions import convert

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_dedupe",
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dedupe_key", name=op.f("pk_sms_dedupe")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_sms_dedupe_outbox_id")),
    )
    op.execute(
        "INSERT INTO sms_dedupe (dedupe_key, outbox_id, queued_at) "
        "SELECT dedupe_key, id, created_at FROM sms_outbox"
    )
    with op.batch_alter_table("sms_receipt", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sms_receipt_outbox_id_sms_outbox", type_="foreignkey")
        batch_op.create_foreign_key(
            op.f("fk_sms_receipt_outbox_id_sms_dedupe"), "sms_dedupe", ["outbox_id"], ["outbox_id"]
        )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sms_outbox_dedupe_key", type_="unique")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        convert(bind, "sms_outbox", partitioned=True)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        convert(bind, "sms_outbox", partitioned=False)
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_sms_outbox_dedupe_key", ["dedupe_key"])
    with op.batch_alter_table("sms_receipt", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sms_receipt_outbox_id_sms_dedupe", type_="foreignkey")
        batch_op.create_foreign_key(
            op.f("fk_sms_receipt_outbox_id_sms_outbox"), "sms_outbox", ["outbox_id"], ["id"]
        )
    op.drop_table("sms_dedupe")
