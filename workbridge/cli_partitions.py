"""``workbridge partitions``: the months' partitions of the ledger, the audit trail, the SMS
outbox and activation decisions."""

from __future__ import annotations

import argparse
from datetime import date

from kernel.db import make_engine
from workbridge.cli_common import Commands, command_clock, command_settings, console


def cmd_partitions(args: argparse.Namespace) -> int:
    """The months' partitions of the ledger, the audit trail, the SMS outbox and activation
    decisions (PostgreSQL): list them, make those ahead, or detach those before a month for the
    archive (kernel.partitions)."""
    from kernel import partitions
    from kernel.clock import office_today

    settings = command_settings()
    engine = make_engine(settings.session_database_url)
    try:
        if args.action == "ensure":
            today = office_today(command_clock(settings, engine), settings.zone)
            made, blocked = partitions.ensure_ahead(engine, today, args.ahead)
            console.print(f"made: {', '.join(made) or 'none'}")
            if blocked:
                console.print(
                    f"[red]not made, their month is in the default partition: "
                    f"{', '.join(blocked)}[/red]"
                )
                return 3
        elif args.action == "detach":
            try:
                month = date.fromisoformat(f"{args.before}-01")
            except ValueError:
                console.print(f"[red]--before {args.before!r} is not a month (YYYY-MM)[/red]")
                return 2
            detached, kept = partitions.detach_before(engine, month)
            console.print(
                f"detached (kept as tables of their own): {', '.join(detached) or 'none'}"
            )
            if kept:
                console.print(
                    f"[red]kept back, messages of theirs are still queued or being sent: "
                    f"{', '.join(kept)}[/red]"
                )
                return 3
        else:
            found = partitions.listing(engine)
            if not found:
                console.print("no partitioned tables (SQLite, or before migration 0026)")
            for partition in found:
                console.print(
                    f"{partition.table:<14} {partition.name:<24} {partition.low:<60} "
                    f"~{partition.rows:,} rows"
                )
        return 0
    finally:
        engine.dispose()


def add_partitions(sub: Commands) -> None:
    parts = sub.add_parser(
        "partitions",
        help="months' partitions: ledger, audit trail, SMS outbox, decisions (PostgreSQL)",
    )
    parts_sub = parts.add_subparsers(dest="action", required=True)
    parts_sub.add_parser("show", help="each partition, its bounds and rows").set_defaults(
        func=cmd_partitions
    )
    ensure = parts_sub.add_parser("ensure", help="make this month's and the next months'")
    ensure.add_argument("--ahead", type=int, default=3, choices=range(0, 25), metavar="0-24")
    ensure.set_defaults(func=cmd_partitions)
    detach = parts_sub.add_parser("detach", help="detach the months before one, for the archive")
    detach.add_argument("--before", required=True, help="YYYY-MM")
    detach.set_defaults(func=cmd_partitions)
