"""The outbox's status index carries the claim's whole order: status, then due time, then id

Revision ID: 0031
Revises: 0030

A worker claims the first due messages in order of due time and id. With the index on
(status, not_before) alone, messages queued together — a campaign, a day's offers, all due at
the same instant — are one run of equal keys, and PostgreSQL read and sorted the whole run to
find the first few dozen: each claim read every queued message. With the id in the index the
claim reads only the rows it takes (``notifications/worker.py``, ``_claim_statement``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_sms_outbox_due", table_name="sms_outbox")
    op.create_index("ix_sms_outbox_due", "sms_outbox", ["status", "not_before", "id"])


def downgrade() -> None:
    op.drop_index("ix_sms_outbox_due", table_name="sms_outbox")
    op.create_index("ix_sms_outbox_due", "sms_outbox", ["status", "not_before"])
