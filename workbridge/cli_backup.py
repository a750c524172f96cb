"""``workbridge backup`` and ``restore``: a copy of the database with its manifest, and back."""

from __future__ import annotations

import argparse
from typing import Any

from kernel.clock import SystemClock
from kernel.db import session_scope, settings_engine
from kernel.settings import Settings
from workbridge.cli_common import Commands, command_settings, console, console_operator


def _audit_copy(settings: Settings, action: str, manifest: Any, path: str) -> None:
    """A copy of every person's record taken or put back is itself on the record."""
    from kernel import audit

    engine = settings_engine(settings)
    try:
        with session_scope(engine) as session:
            audit.record(
                session,
                actor=console_operator(),
                at=SystemClock().now(),
                entity="database",
                entity_id=manifest.sha256[:16],
                action=action,
                details={"file": path, "taken_at": manifest.taken_at, "rows": manifest.rows},
            )
    finally:
        engine.dispose()


def _print_manifest(manifest: Any, path: str) -> None:
    console.print(
        f"{path}: {manifest.dialect}, taken {manifest.taken_at}, migration {manifest.migration}, "
        f"{manifest.bytes:,} bytes, sha256 {manifest.sha256[:16]}…"
    )
    for table in ("household", "member", "payment_line", "audit_record"):
        if table in manifest.rows:
            console.print(f"  {table}: {manifest.rows[table]:,} rows")


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the database while the service runs, with a manifest beside it (workbridge.backup)."""
    from pathlib import Path

    from workbridge import backup

    settings = command_settings()
    try:
        manifest = backup.take(settings.session_database_url, Path(args.file))
    except backup.BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    _audit_copy(settings, "backed-up", manifest, args.file)
    _print_manifest(manifest, args.file)
    console.print(f"manifest: {backup.manifest_path(Path(args.file))}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup into WORKBRIDGE_DATABASE_URL and prove every row against its manifest."""
    from pathlib import Path

    from workbridge import backup

    settings = command_settings()
    try:
        manifest = backup.restore(
            Path(args.file), settings.session_database_url, replace=args.replace
        )
    except backup.BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    _audit_copy(settings, "restored", manifest, args.file)
    _print_manifest(manifest, args.file)
    console.print("restored; every table's rows, the payment lines and the audit records match")
    return 0


def add_backup(sub: Commands) -> None:
    take = sub.add_parser("backup", help="copy the database while it runs, with a manifest")
    take.add_argument("file", help="the backup file to write (never overwritten)")
    take.set_defaults(func=cmd_backup)


def add_restore(sub: Commands) -> None:
    put = sub.add_parser("restore", help="put a backup into the database and check every row")
    put.add_argument("file", help="a file written by workbridge backup")
    put.add_argument(
        "--replace", action="store_true", help="restore over a database that is not empty"
    )
    put.set_defaults(func=cmd_restore)
