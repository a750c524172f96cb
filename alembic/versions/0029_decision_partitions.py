"""Activation decisions partitioned by month on PostgreSQL; what cites them points at their key

Revision ID: 0029
Revises: 0028

Every person subject to the duty adds decisions each year (the duty opened and ended,
refusals counted, warnings, sanctions, continuations), each with its inputs and rule path kept
for replay. Old months are the archive's: partitioning by the month a decision was recorded
(``decided_at``, UTC) lets a month be detached (``kernel.partitions``).

Four tables cite a decision by id: a counted refusal, a warning, a sanction's count and a
continuation. A foreign key can point at a partitioned table only through a key containing its
partition key, and a month cited by any row could then never be detached. So, on both
databases, ``activation_decision_key`` holds the id and instant of each decision that is
cited (filled here from the four tables) and the four foreign keys point at it; it stays when
a month is detached. Then, on PostgreSQL only, the decisions are rebuilt partitioned
(``kernel.partitions.convert``), the primary key becoming (id, decided_at). Down, the same in
reverse.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from kernel.db import UTCDateTime
from kernel.partitions import convert

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the column that cites a decision
CITING = {
    "refusal": "decision_id",
    "activation_warning": "decision_id",
    "sanction": "count_decision_id",
    "continuation": "decision_id",
}


def upgrade() -> None:
    op.create_table(
        "activation_decision_key",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_decision_key")),
    )
    cited = " UNION ".join(
        f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
        for table, column in CITING.items()
    )
    op.execute(
        "INSERT INTO activation_decision_key (id, decided_at) "
        f"SELECT id, decided_at FROM activation_decision WHERE id IN ({cited})"
    )
    for table, column in CITING.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_{column}_activation_decision", type_="foreignkey")
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_{column}_activation_decision_key"),
                "activation_decision_key",
                [column],
                ["id"],
            )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        convert(bind, "activation_decision", partitioned=True)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        convert(bind, "activation_decision", partitioned=False)
    for table, column in CITING.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                f"fk_{table}_{column}_activation_decision_key", type_="foreignkey"
            )
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_{column}_activation_decision"),
                "activation_decision",
                [column],
                ["id"],
            )
    op.drop_table("activation_decision_key")
