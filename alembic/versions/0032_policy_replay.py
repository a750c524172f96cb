"""Policy replay runs, kept for good: a run cannot be deleted, nor changed once finished

Revision ID: 0032
Revises: 0031

A replay run records what was asked, by whom and when, and the gate and aggregates that came
back (``activation/replay/models.py``). Issue 16 asks that runs be kept and never deleted, so
that a parameter version's sign-off can point at the replay it rests on: the database refuses
DELETE always, and UPDATE once the run has left ``running``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT_SQLITE = [
    """CREATE TRIGGER policy_replay_no_delete BEFORE DELETE ON policy_replay
    BEGIN SELECT RAISE(ABORT, 'policy_replay runs are kept'); END""",
    """CREATE TRIGGER policy_replay_finished BEFORE UPDATE ON policy_replay
    WHEN OLD.state <> 'running'
    BEGIN SELECT RAISE(ABORT, 'a finished policy_replay run is kept as it is'); END""",
]
KEPT_POSTGRESQL = [
    """CREATE FUNCTION policy_replay_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'policy_replay runs are kept';
        END IF;
        IF OLD.state <> 'running' THEN
            RAISE EXCEPTION 'a finished policy_replay run is kept as it is';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER policy_replay_kept BEFORE UPDATE OR DELETE ON policy_replay
    FOR EACH ROW EXECUTE FUNCTION policy_replay_kept()""",
]


def upgrade() -> None:
    op.create_table(
        "policy_replay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("first_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("last_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("office", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("grid", sa.JSON(), nullable=False),
        sa.Column("budget", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.Column("rerun_of", sa.Integer(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("gate_passed", sa.Boolean(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("finished_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["rerun_of"], ["policy_replay.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_policy_replay_requested_at"), "policy_replay", ["requested_at"], unique=False
    )
    kept = KEPT_POSTGRESQL if op.get_bind().dialect.name == "postgresql" else KEPT_SQLITE
    for statement in kept:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS policy_replay_kept ON policy_replay")
        op.execute("DROP FUNCTION IF EXISTS policy_replay_kept()")
    op.drop_index(op.f("ix_policy_replay_requested_at"), table_name="policy_replay")
    op.drop_table("policy_replay")
