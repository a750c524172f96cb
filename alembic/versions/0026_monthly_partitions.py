"""Payment lines and audit records partitioned by month on PostgreSQL.

Revision ID: 0026
Revises: 0025

A province's ledger and audit trail grow by millions of rows a month. Declarative partitioning
by month keeps each month's rows (and indexes) apart: a payment run for a month reads and writes
one partition, and an old month is detached for the archive instead of deleted
(``kernel.partitions``). The rules that guard money stay enforced by the database: the unique
(period, case_id) of payment lines contains the partition key, so one line per case and month
holds across partitions; the primary keys become (id, partition key), ids still coming from
the same sequence; the audit trail's append-only trigger is created on the parent and reaches
every partition.

An existing table is converted in place: a partitioned twin with the same columns, defaults
and checks, one partition per month its rows fall in, the current month and three ahead, and a
default partition for anything else; the rows copied; the old table dropped and the twin given
its name, constraints, indexes and triggers (``kernel.partitions.convert``, which migration 0028
shares). SQLite has no partitions: nothing changes there.
"""

from __future__ import annotations

from alembic import op
from kernel.partitions import convert

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

TABLES = ("payment_line", "audit_record")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TABLES:
        convert(bind, table, partitioned=True)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TABLES:
        convert(bind, table, partitioned=False)
