"""``workbridge backup`` and ``workbridge restore``: a copy of the whole database taken while the
service runs, with a manifest that proves a restore brought every row back.

The ledger and the audit trail are what a benefit office must never lose: a month's payment
lines are money paid to people, the audit records are who decided what. So a backup is not
only a file. Beside it goes a manifest (``<file>.json``): the migration the database was at,
how many rows each table held, and for the payment lines and the audit records a digest of
every row in id order, all read from the same moment as the copy itself. A restore is checked
against the manifest before it is called done, and a copy whose bytes were altered is refused
before anything is written.

- **SQLite**: SQLite's online backup API copies the database in one step under a read
  transaction, so it is one consistent moment while the service goes on writing (in WAL mode a
  reader does not block writers). The digests are read from the copy.
- **PostgreSQL**: ``pg_dump --format=custom`` run against a snapshot exported by a repeatable-
  read transaction that stays open while it runs; the digests are read in that transaction, so
  file and manifest are the same moment. This suits a county's database; recovery to any
  point in time is PostgreSQL's own base backup with WAL archiving, outside this command.

Restore goes into an empty database (or over one with ``replace``): SQLite through the same
backup API, PostgreSQL with ``pg_restore --single-transaction``.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

GUARDED = ("payment_line", "audit_record")  # a digest of every row, not only a count
MANIFEST_VERSION = 1


class BackupError(Exception):
    """The backup or restore cannot go on; nothing was written (or the partial file removed)."""


@dataclass(frozen=True)
class Manifest:
    version: int
    dialect: str
    taken_at: str
    migration: str | None
    file: str
    bytes: int
    sha256: str
    rows: dict[str, int]
    digests: dict[str, str]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(f"{path}: not a backup manifest ({exc})") from None


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _row_digest(conn: Connection, table_name: str) -> str:
    """SHA-256 over every row of the table in id order, each row as the driver returns it."""
    table = _reflect(conn, table_name)
    digest = hashlib.sha256()
    result = conn.execution_options(stream_results=True, yield_per=10_000).execute(
        select(table).order_by(table.c.id)
    )
    for row in result:
        digest.update(repr(tuple(row)).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def _reflect(conn: Connection, table_name: str) -> Any:
    metadata = MetaData()
    metadata.reflect(conn, only=[table_name])
    return metadata.tables[table_name]


def _tables(conn: Connection) -> list[str]:
    return sorted(name for name in inspect(conn).get_table_names() if name != "alembic_version")


def _migration(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def describe(conn: Connection) -> tuple[str | None, dict[str, int], dict[str, str]]:
    """The migration, each table's row count and the guarded tables' digests, as ``conn`` sees
    them (one transaction: one moment)."""
    tables = _tables(conn)
    rows = {
        name: int(conn.execute(select(func.count()).select_from(text(name))).scalar_one())
        for name in tables
    }
    digests = {name: _row_digest(conn, name) for name in GUARDED if name in tables}
    return _migration(conn), rows, digests


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _fresh_target(target: Path) -> Path:
    if target.exists() or manifest_path(target).exists():
        raise BackupError(f"{target}: already there; a backup never overwrites one")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder")
    return target.with_name(f".{target.name}.partial")


def take(url: str, target: Path, now: datetime | None = None) -> Manifest:
    """Back the database at ``url`` up into ``target`` and write its manifest beside it."""
    partial = _fresh_target(target)
    taken_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    try:
        if make_url(url).get_backend_name() == "sqlite":
            dialect, described = "sqlite", _take_sqlite(url, partial)
        else:
            dialect, described = "postgresql", _take_postgresql(url, partial)
        migration, rows, digests = described
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    manifest = Manifest(
        version=MANIFEST_VERSION,
        dialect=dialect,
        taken_at=taken_at,
        migration=migration,
        file=target.name,
        bytes=target.stat().st_size,
        sha256=_sha256(target),
        rows=rows,
        digests=digests,
    )
    manifest.write(manifest_path(target))
    return manifest


def _take_sqlite(url: str, partial: Path) -> tuple[str | None, dict[str, int], dict[str, str]]:
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"{source_path}: no such database")
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one moment
    finally:
        source.close()
    try:
        checked = copy.execute("PRAGMA integrity_check").fetchone()[0]
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
    if checked != "ok":
        raise BackupError(f"the copy failed SQLite's integrity check: {checked}")
    engine = create_engine(f"sqlite:///{partial}")
    try:
        with engine.connect() as conn:
            return describe(conn)
    finally:
        engine.dispose()


def pg_program(name: str) -> str:
    """``pg_dump``, ``pg_restore`` or ``psql``: on PATH, else Debian's newest
    (``/usr/lib/postgresql/<major>/bin``), which reads every older server's dumps."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return candidates[-1]


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq reads it, and the environment carrying its password (not argv, which
    every user of the machine can read)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _take_postgresql(url: str, partial: Path) -> tuple[str | None, dict[str, int], dict[str, str]]:
    dump = pg_program("pg_dump")
    libpq, env = _libpq(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            described = describe(conn)  # the same snapshot the dump reads
            _run(
                [dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}", libpq],
                env,
            )
            conn.rollback()
    finally:
        engine.dispose()
    return described


def check_file(backup: Path) -> Manifest:
    """The manifest of ``backup``, after checking the file is the one it describes."""
    if not backup.is_file():
        raise BackupError(f"{backup}: no such backup")
    manifest = Manifest.read(manifest_path(backup))
    if manifest.version != MANIFEST_VERSION:
        raise BackupError(f"{backup}: manifest version {manifest.version} is not known here")
    if _sha256(backup) != manifest.sha256:
        raise BackupError(f"{backup}: the file is not the one its manifest describes")
    return manifest


def _empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not _tables(conn)


def restore(backup: Path, url: str, *, replace: bool = False) -> Manifest:
    """Restore ``backup`` into the database at ``url`` and prove it against the manifest."""
    manifest = check_file(backup)
    dialect = "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"
    if dialect != manifest.dialect:
        raise BackupError(f"{backup}: a {manifest.dialect} backup cannot go into {dialect}")
    engine = create_engine(url)
    try:
        if not replace and not _empty(engine):
            raise BackupError("the target database is not empty; restore over it with --replace")
    finally:
        engine.dispose()
    if dialect == "sqlite":
        _restore_sqlite(backup, url)
    else:
        _restore_postgresql(backup, url, replace)
    verify(url, manifest)
    return manifest


def _restore_sqlite(backup: Path, url: str) -> None:
    target = _sqlite_path(url)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")  # as the service keeps it (kernel.db)
    finally:
        source.close()
        copy.close()


def _restore_postgresql(backup: Path, url: str, replace: bool) -> None:
    libpq, env = _libpq(url)
    restore = [pg_program("pg_restore"), "--no-owner"]
    if not replace:
        _run(
            [*restore, "--single-transaction", "--exit-on-error", f"--dbname={libpq}", str(backup)],
            env,
        )
        return
    # Over a database in use: pg_restore's --clean cannot drop the constraints a month's
    # partition inherits from its table (migration 0026), so the schema is emptied and filled
    # again by psql in one transaction — a restore that fails leaves the database as it was.
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "restore.sql"
        _run([*restore, f"--file={script}", str(backup)], env)
        _run(
            [
                pg_program("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--command=DROP SCHEMA public CASCADE",
                "--command=CREATE SCHEMA public",
                f"--file={script}",
                f"--dbname={libpq}",
            ],
            env,
        )


def verify(url: str, manifest: Manifest) -> None:
    """The database at ``url`` holds what the manifest says: the migration, every table's rows
    and the guarded tables row for row. Raises ``BackupError`` naming each difference."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            migration, rows, digests = describe(conn)
    finally:
        engine.dispose()
    differences = list(_differences(manifest, migration, rows, digests))
    if differences:
        raise BackupError(
            "the restored database differs from its backup: " + "; ".join(differences)
        )


def _differences(
    manifest: Manifest, migration: str | None, rows: dict[str, int], digests: dict[str, str]
) -> Iterator[str]:
    if migration != manifest.migration:
        yield f"migration {migration} instead of {manifest.migration}"
    for table in sorted(set(rows) | set(manifest.rows)):
        if rows.get(table) != manifest.rows.get(table):
            yield f"{table}: {rows.get(table)} rows instead of {manifest.rows.get(table)}"
    for table, digest in manifest.digests.items():
        if digests.get(table) != digest:
            yield f"{table}: the rows are not the ones backed up"
