"""Parameter versions proposed in the service, kept for good once decided

Revision ID: 0033
Revises: 0032

A county changes a parameter by proposing a version that goes live only after a second person
signs off its replay (``kernel/parameter_versions.py``, issue 16). Decisions name the version
they were decided under, so the database refuses DELETE always, and UPDATE once a version has
left ``proposed`` (live, refused or withdrawn).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import kernel.db
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT_SQLITE = [
    """CREATE TRIGGER parameter_version_no_delete BEFORE DELETE ON parameter_version
    BEGIN SELECT RAISE(ABORT, 'parameter versions are kept'); END""",
    """CREATE TRIGGER parameter_version_decided BEFORE UPDATE ON parameter_version
    WHEN OLD.state <> 'proposed'
    BEGIN SELECT RAISE(ABORT, 'a decided parameter version is kept as it is'); END""",
]
KEPT_POSTGRESQL = [
    """CREATE FUNCTION parameter_version_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'parameter versions are kept';
        END IF;
        IF OLD.state <> 'proposed' THEN
            RAISE EXCEPTION 'a decided parameter version is kept as it is';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER parameter_version_kept BEFORE UPDATE OR DELETE ON parameter_version
    FOR EACH ROW EXECUTE FUNCTION parameter_version_kept()""",
]


def upgrade() -> None:
    op.create_table(
        "parameter_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("proposed_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("proposed_at", kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replay_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True),
        sa.Column("decided_at", kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("profile", "version", name="uq_parameter_version"),
    )
    op.create_index(
        op.f("ix_parameter_version_state"), "parameter_version", ["state"], unique=False
    )
    kept = KEPT_POSTGRESQL if op.get_bind().dialect.name == "postgresql" else KEPT_SQLITE
    for statement in kept:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS parameter_version_kept ON parameter_version")
        op.execute("DROP FUNCTION IF EXISTS parameter_version_kept()")
    op.drop_index(op.f("ix_parameter_version_state"), table_name="parameter_version")
    op.drop_table("parameter_version")
