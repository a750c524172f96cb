"""The ``workbridge`` command: serve, migrate, load demo data, manage tokens, show the policy,
run the SMS worker and benchmark it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kernel.settings import SettingsError
from workbridge import (
    cli_access,
    cli_backup,
    cli_bench,
    cli_partitions,
    cli_payments,
    cli_records,
    cli_replay,
    cli_rules,
    cli_scheduler,
    cli_service,
    cli_sms,
)

# Each command group lives in a module of its own (workbridge/cli_*.py: its handlers and its
# arguments); this is the order ``workbridge --help`` lists them in.
COMMANDS = (
    cli_service.add_serve,
    cli_backup.add_backup,
    cli_backup.add_restore,
    cli_service.add_db,
    cli_service.add_demo,
    cli_access.add_tokens,
    cli_access.add_users,
    cli_bench.add_bench,
    cli_payments.add_payments,
    cli_records.add_check,
    cli_records.add_import,
    cli_service.add_clock,
    cli_records.add_export,
    cli_scheduler.add_scheduler,
    cli_payments.add_figures,
    cli_replay.add_replay,
    cli_partitions.add_partitions,
    cli_service.add_policy,
    cli_rules.add_rules,
    cli_sms.add_sms,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:  # a mistyped environment variable: say which, no traceback
        print(f"workbridge: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
