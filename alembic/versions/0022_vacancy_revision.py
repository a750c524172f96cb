"""A revision of the vacancies, bumped by the database on every change

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 05:00:00

Serve processes keep their ranking index of open vacancies in memory (matching.kept_index) and
rebuild it only when this revision changes. Triggers, not application code, bump it, so vacancies
written by any path (the API, a CSV import, the demo, plain SQL) are seen. The row is created by
the first change with a random token, so a database emptied and refilled never repeats an
earlier (token, revision) pair.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = """INSERT INTO vacancy_revision (id, revision, token) VALUES (1, 1, {token})
    ON CONFLICT (id) DO UPDATE SET revision = vacancy_revision.revision + 1"""
SQLITE = [
    f"""CREATE TRIGGER vacancy_revision_on_{verb.lower()} AFTER {verb} ON vacancy
    BEGIN {BUMP.format(token="lower(hex(randomblob(16)))")}; END"""
    for verb in ("INSERT", "UPDATE", "DELETE")
]
POSTGRESQL = [
    f"""CREATE FUNCTION vacancy_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {BUMP.format(token="md5(random()::text || clock_timestamp()::text)")}; RETURN NULL;
    END $$""",
    """CREATE TRIGGER vacancy_revision_bump AFTER INSERT OR UPDATE OR DELETE ON vacancy
    FOR EACH STATEMENT EXECUTE FUNCTION vacancy_revision_bump()""",
]


def upgrade() -> None:
    op.create_table(
        "vacancy_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_vacancy_revision_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacancy_revision")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgres else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER vacancy_revision_bump ON vacancy")
        op.execute("DROP FUNCTION vacancy_revision_bump()")
    else:
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER vacancy_revision_on_{verb}")
    op.drop_table("vacancy_revision")
