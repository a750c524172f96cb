"""A rejected sanction keeps the day it was rejected

Revision ID: 0035
Revises: 0034

Oversight (issue 17) counts the sanctions rejected at review month by month, beside those
confirmed (``confirmed_on``). The day was kept only in the vulnerability review (``on``) or in
the audit trail of the second officer's decision (``decided_on``); existing rejections take it
from there.
"""

import json
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _data(value: object) -> dict:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def upgrade() -> None:
    op.add_column("sanction", sa.Column("rejected_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    rejected = bind.execute(
        sa.text("SELECT id, vulnerability_review FROM sanction WHERE state = 'rejected'")
    ).all()
    decided = {
        int(entity_id): _data(details).get("decided_on")
        for entity_id, details in bind.execute(
            sa.text(
                "SELECT entity_id, details FROM audit_record "
                "WHERE entity = 'sanction' AND action = 'rejected'"
            )
        )
    }
    for sanction_id, review in rejected:
        review = _data(review)
        day = decided.get(sanction_id) or (None if review.get("proceed") else review.get("on"))
        if day:
            bind.execute(
                sa.text("UPDATE sanction SET rejected_on = :day WHERE id = :id"),
                {"day": date.fromisoformat(day), "id": sanction_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("sanction") as batch:
        batch.drop_column("rejected_on")
