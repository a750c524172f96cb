"""``workbridge tokens`` and ``users``: API tokens and the pages' accounts."""

from __future__ import annotations

import argparse
import sys

from rich.table import Table

from kernel.auth import Role, issue_token
from kernel.clock import SystemClock
from kernel.db import session_scope, settings_engine
from kernel.models import ApiToken
from training.services import provider_exists
from workbridge.cli_common import Commands, command_settings, console


def print_tokens(rows: list[tuple[str, str, str]]) -> None:
    """Plain lines, never wrapped or cut, so a token can be copied whole."""
    print("API tokens (shown once; only a hash is stored):")
    for role, bound, raw in rows:
        print(f"  {role:<18} {raw}  {bound}".rstrip())


def print_accounts(rows: list[tuple[str, str, str]]) -> None:
    print("Page accounts (sign in at http://127.0.0.1:8000/app/login; new passwords each run):")
    for role, username, password in rows:
        print(f"  {role:<18} {username:<22} {password}")


def cmd_tokens(args: argparse.Namespace) -> int:
    settings = command_settings()
    engine = settings_engine(settings)
    try:
        if args.action == "create":
            role = Role(args.role)
            with session_scope(engine) as session:
                if args.provider is not None and not provider_exists(session, args.provider):
                    console.print(
                        f"[red]no training provider {args.provider}; create it first "
                        "(POST /api/v1/training/providers)[/red]"
                    )
                    return 2
                try:
                    _, raw = issue_token(
                        session,
                        role=role,
                        name=args.name or f"{role.value} token",
                        now=SystemClock().now(),
                        provider_id=args.provider,
                        office=args.office,
                    )
                except ValueError as exc:
                    console.print(f"[red]{exc}[/red]")
                    return 2
            print_tokens([(role.value, f"provider {args.provider}" if args.provider else "", raw)])
        elif args.action == "list":
            from sqlmodel import col, select

            table = Table(title="API tokens")
            for column in ("id", "name", "role", "provider", "prefix", "created", "revoked"):
                table.add_column(column)
            with session_scope(engine) as session:
                for token in session.exec(select(ApiToken).order_by(col(ApiToken.id))):
                    table.add_row(
                        str(token.id),
                        token.name,
                        token.role,
                        str(token.provider_id or ""),
                        token.prefix + "…",
                        token.created_at.isoformat(timespec="seconds"),
                        token.revoked_at.isoformat(timespec="seconds") if token.revoked_at else "",
                    )
            console.print(table)
        elif args.action == "revoke":
            with session_scope(engine) as session:
                token = session.get(ApiToken, args.id)
                if token is None:
                    console.print(f"[red]no token {args.id}[/red]")
                    return 2
                token.revoked_at = SystemClock().now()
            console.print(f"token {args.id} revoked")
    finally:
        engine.dispose()
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """Accounts for the pages; the password is asked for (or read from --password-stdin)."""
    import getpass

    from kernel.accounts import AccountError, create_account

    settings = command_settings()
    engine = settings_engine(settings)
    try:
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password (at least 10 characters): ")
        with session_scope(engine) as session:
            if args.provider is not None and not provider_exists(session, args.provider):
                console.print(f"[red]no training provider {args.provider}[/red]")
                return 2
            try:
                account = create_account(
                    session,
                    username=args.username,
                    password=password,
                    role=Role(args.role),
                    now=SystemClock().now(),
                    display_name=args.name,
                    office=args.office,
                    provider_id=args.provider,
                    language=args.language,
                )
            except AccountError as exc:
                console.print(f"[red]{exc}[/red]")
                return 2
            print(f"account {account.username} ({account.role}) created; sign in at /app/login")
    finally:
        engine.dispose()
    return 0


def add_tokens(sub: Commands) -> None:
    tokens = sub.add_parser("tokens", help="API tokens")
    tokens_sub = tokens.add_subparsers(dest="action", required=True)
    create = tokens_sub.add_parser("create", help="create a token and print it once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument(
        "--provider", type=int, help="training provider id (training_provider only)"
    )
    create.add_argument("--office", help="labour or civil-affairs office the holder works for")
    create.add_argument("--name")
    tokens_sub.add_parser("list", help="list tokens (never the secrets)")
    revoke = tokens_sub.add_parser("revoke", help="revoke a token")
    revoke.add_argument("id", type=int)
    tokens.set_defaults(func=cmd_tokens)


def add_users(sub: Commands) -> None:
    users = sub.add_parser("users", help="accounts for the web pages")
    users_sub = users.add_subparsers(dest="action", required=True)
    user_create = users_sub.add_parser("create", help="create an account (asks for the password)")
    user_create.add_argument("--username", required=True)
    user_create.add_argument("--role", required=True, choices=[r.value for r in Role])
    user_create.add_argument("--office", help="community or township whose people they see")
    user_create.add_argument("--provider", type=int, help="training provider id (providers only)")
    user_create.add_argument("--name", help="full name shown on the pages")
    user_create.add_argument("--language", default="zh_CN", choices=["zh_CN", "en"])
    user_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    users.set_defaults(func=cmd_users)
