"""The restore drill: a county paid for a month, backed up, written to again, restored into an
empty database — and every payment line and audit record of the backed-up moment is back, row
for row, with nothing from after it. On both databases (PostgreSQL through pg_dump and
pg_restore). A copy whose bytes were altered, a target that is not empty, a backup of the other
kind of database: each is refused and writes nothing."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from served import BIN
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benefits import payments
from benefits.bench import generate
from benefits.payment_rules import Month
from kernel import audit
from kernel.auth import SYSTEM
from kernel.db import session_scope
from workbridge import backup, migrations

MONTH = Month.parse("2026-03")


def _rows(url: str, table: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
    finally:
        engine.dispose()


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"wb_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def paid_county(engine, app, clock, database_url: str) -> str:
    policy = app.state.policy
    generate(engine, 40, MONTH, policy.at(MONTH.first).version_id, seed=5)
    runner = payments.Runner(
        engine=engine, policy=policy, clock=clock, zone=app.state.settings.zone, actor=SYSTEM
    )
    started = payments.begin(runner, MONTH.label)
    assert started.lock is not None and started.run.id is not None
    payments.execute(runner, started.run.id, started.lock)
    return database_url


def _later_work(engine) -> None:
    with session_scope(engine) as session:
        audit.record(
            session,
            actor=SYSTEM,
            at=datetime.now(UTC),
            entity="test",
            entity_id=1,
            action="after-the-backup",
        )
    with engine.begin() as conn:
        conn.execute(text("UPDATE payment_line SET payee_name = 'changed later'"))


def test_the_restore_drill_brings_back_every_line_and_record_of_the_moment(
    paid_county: str, engine, empty_url: str, tmp_path: Path
) -> None:
    lines, records = _rows(paid_county, "payment_line"), _rows(paid_county, "audit_record")
    assert len(lines) > 30 and any(r for r in records if "payment_run" in r)
    target = tmp_path / "county.backup"

    manifest = backup.take(paid_county, target)
    _later_work(engine)

    assert manifest.rows["payment_line"] == len(lines)
    assert manifest.rows["audit_record"] == len(records)
    assert set(manifest.digests) == {"payment_line", "audit_record"}
    restored = backup.restore(target, empty_url)
    assert restored == manifest
    assert _rows(empty_url, "payment_line") == lines
    assert _rows(empty_url, "audit_record") == records
    assert not [r for r in _rows(empty_url, "audit_record") if "after-the-backup" in r]
    # the restored database is one the service can use: migrated to head, nothing to do
    migrations.upgrade(empty_url, quiet=True)
    backup.verify(empty_url, manifest)


def test_what_a_restore_refuses(paid_county: str, empty_url: str, tmp_path: Path) -> None:
    target = tmp_path / "county.backup"
    backup.take(paid_county, target)

    with pytest.raises(backup.BackupError, match="already there"):
        backup.take(paid_county, target)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(target, paid_county)

    altered = tmp_path / "altered.backup"
    altered.write_bytes(target.read_bytes()[:-1] + bytes([target.read_bytes()[-1] ^ 1]))
    backup.manifest_path(altered).write_text(backup.manifest_path(target).read_text())
    with pytest.raises(backup.BackupError, match="not the one its manifest describes"):
        backup.restore(altered, empty_url)
    other_kind = (
        "sqlite:///" + str(tmp_path / "other.db")
        if paid_county.startswith("postgresql")
        else "postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    with pytest.raises(backup.BackupError, match="cannot go into"):
        backup.restore(target, other_kind)
    engine = create_engine(empty_url)
    try:
        with engine.connect() as conn:
            assert not backup._tables(conn)  # nothing written by any refusal
    finally:
        engine.dispose()


def test_a_restore_that_does_not_match_its_manifest_says_where(
    paid_county: str, empty_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "county.backup"
    manifest = backup.take(paid_county, target)
    backup.restore(target, empty_url)
    engine = create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE payment_line SET amount_fen = amount_fen + 1 WHERE id = 1"))
    finally:
        engine.dispose()
    with pytest.raises(backup.BackupError, match="payment_line: the rows are not the ones"):
        backup.verify(empty_url, manifest)


def test_the_commands_back_up_and_restore_and_say_so_on_the_record(
    paid_county: str, empty_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "by-command.backup"

    def run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
        env = {"WORKBRIDGE_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        return subprocess.run(
            [str(BIN), *args], env=env, capture_output=True, text=True, check=False
        )

    taken = run("backup", str(target), url=paid_county)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert "payment_line" in taken.stdout and target.exists()
    again = run("backup", str(target), url=paid_county)
    assert again.returncode == 2 and "already there" in again.stdout
    put = run("restore", str(target), url=empty_url)
    assert put.returncode == 0, put.stdout + put.stderr
    actions = [row[-1] for row in _audit_actions(paid_county)]
    assert actions[-1] == "backed-up"
    assert [row[-1] for row in _audit_actions(empty_url)][-1] == "restored"
    refused = run("restore", str(target), url=empty_url)
    assert refused.returncode == 2 and "--replace" in refused.stdout
    replaced = run("restore", str(target), "--replace", url=empty_url)
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr


def _audit_actions(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(text("SELECT id, action FROM audit_record ORDER BY id"))
            ]
    finally:
        engine.dispose()
