"""The ledger's references checked once per statement on PostgreSQL, not once per line

Revision ID: 0030
Revises: 0029

A payment line names its case and its run. PostgreSQL checks a foreign key with a trigger per
inserted row that looks the referenced row up and locks it (FOR KEY SHARE): for a province's
month, two million look-ups and two million case rows locked, which dirties their pages and
writes WAL for each lock — measured, the foreign keys tripled the time of the ledger's own
``INSERT … SELECT`` floor (``workbridge bench payments``: 0.9 s without them, 2.6 s with them,
for 288,048 rows).

The same guarantee, set-based: after each statement that inserts or updates lines, one query
over the statement's new lines (a transition table) finds any whose case or run does not exist
and fails the statement with SQLSTATE 23503, as the foreign key did. The other side of the
reference — a case or run deleted while lines cite it — is refused by a statement trigger on
``benefit_case`` and ``payment_run`` that first takes ``payment_line`` in SHARE mode (so no
transaction is inserting lines it cannot see yet, and none can start until it ends) and then
looks for lines citing the deleted rows. Nothing deletes cases; a run is deleted only by the
benchmark's floor (its own scratch run) and by tests.

SQLite keeps its foreign keys: its checks are index probes with no locks to write. The models
still declare the keys (SQLite's); ``alembic/env.py`` does not compare these two on PostgreSQL.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the constraint replaced -> (column, referenced table)
KEYS = {
    "fk_payment_line_case_id_benefit_case": ("case_id", "benefit_case"),
    "fk_payment_line_run_id_payment_run": ("run_id", "payment_run"),
}

LINES_CITE = """
CREATE FUNCTION payment_line_cites_existing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_lines l
             WHERE NOT EXISTS (SELECT 1 FROM benefit_case c WHERE c.id = l.case_id)) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
      CONSTRAINT = 'fk_payment_line_case_id_benefit_case',
      MESSAGE = 'a payment line names a case that does not exist';
  END IF;
  IF EXISTS (SELECT 1 FROM new_lines l
             WHERE NOT EXISTS (SELECT 1 FROM payment_run r WHERE r.id = l.run_id)) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
      CONSTRAINT = 'fk_payment_line_run_id_payment_run',
      MESSAGE = 'a payment line names a run that does not exist';
  END IF;
  RETURN NULL;
END $$
"""

CITED_KEPT = """
CREATE FUNCTION payment_line_cited_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cited boolean;
BEGIN
  LOCK TABLE payment_line IN SHARE MODE;
  IF TG_TABLE_NAME = 'benefit_case' THEN
    cited := EXISTS (SELECT 1 FROM gone g JOIN payment_line l ON l.case_id = g.id);
  ELSE
    cited := EXISTS (SELECT 1 FROM gone g JOIN payment_line l ON l.run_id = g.id);
  END IF;
  IF cited THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
      MESSAGE = TG_TABLE_NAME || ' rows cited by payment lines cannot be deleted';
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in KEYS:
        op.execute(f"ALTER TABLE payment_line DROP CONSTRAINT {name}")
    op.execute(LINES_CITE)
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER payment_line_cites_on_{event.lower()} AFTER {event} ON payment_line "
            "REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT "
            "EXECUTE FUNCTION payment_line_cites_existing()"
        )
    op.execute(CITED_KEPT)
    for table in ("benefit_case", "payment_run"):
        op.execute(
            f"CREATE TRIGGER {table}_cited_by_lines AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS gone FOR EACH STATEMENT "
            "EXECUTE FUNCTION payment_line_cited_kept()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("benefit_case", "payment_run"):
        op.execute(f"DROP TRIGGER {table}_cited_by_lines ON {table}")
    op.execute("DROP FUNCTION payment_line_cited_kept()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER payment_line_cites_on_{event} ON payment_line")
    op.execute("DROP FUNCTION payment_line_cites_existing()")
    for name, (column, table) in KEYS.items():
        op.execute(
            f"ALTER TABLE payment_line ADD CONSTRAINT {name} "
            f"FOREIGN KEY ({column}) REFERENCES {table} (id)"
        )
