"""Point-in-time recovery drill on a real PostgreSQL (docs/DEPLOYMENT.md *Backups*): a base
backup, WAL archived as deploy/postgresql configures it, months paid before and after a chosen
moment, and a new cluster recovered to that moment — every payment line and audit record of
the moment is back (the backup manifest's digests), and nothing of after it."""

from __future__ import annotations

import shutil
import time

from sqlalchemy import text

from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.db import make_engine
from kernel.policy import load_profile
from workbridge import migrations
from workbridge.backup import describe
from workbridge.cli import main
from workbridge.loopback_cluster import base_backup, recover, start_archiving_primary


def _pay(monkeypatch, url: str, period: str) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["payments", "run", "--period", period]) == 0


def test_a_province_is_recovered_to_a_moment_with_every_line_and_record(monkeypatch) -> None:
    primary, archive = start_archiving_primary()
    recovered = base = None
    try:
        url = primary.create_database("workbridge")
        migrations.upgrade(url, quiet=True)
        engine = make_engine(url)
        march = Month(2026, 3)
        generate(engine, 40, march, load_profile("county-pilot").at(march.first).version_id)
        _pay(monkeypatch, url, "2026-03")
        base = base_backup(primary)  # the night's base backup
        _pay(monkeypatch, url, "2026-04")  # the next day's work, in the WAL only

        with engine.connect() as connection:
            _, rows_then, digests_then = describe(connection)
            moment = connection.execute(text("SELECT clock_timestamp()::text")).scalar()
        time.sleep(0.2)
        _pay(monkeypatch, url, "2026-05")  # after the moment: must not come back
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_switch_wal()"))  # archive the last segment
            archived = connection.execute(
                text("SELECT last_archived_wal FROM pg_stat_archiver")
            ).scalar()
        engine.dispose()
        assert archived is not None

        recovered = recover(base, archive, str(moment))
        back = make_engine(recovered.url("workbridge"))
        with back.connect() as connection:
            _, rows_back, digests_back = describe(connection)
            periods = list(
                connection.execute(
                    text("SELECT DISTINCT period FROM payment_line ORDER BY period")
                ).scalars()
            )
        back.dispose()
        assert periods == ["2026-03", "2026-04"]
        assert digests_back == digests_then
        assert set(digests_back) == {"payment_line", "audit_record"}
        assert rows_back["payment_line"] == rows_then["payment_line"] > 0
        assert rows_back["audit_record"] == rows_then["audit_record"] > 0
        # And the recovered cluster is a primary of its own, taking writes.
        recovered.scalar("CREATE TABLE written_after_recovery ()", "workbridge")
    finally:
        if recovered is not None:
            recovered.remove()
        primary.remove()
        # the base backup and the archived WAL: tens of megabytes each, every run
        for folder in (base, archive):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
