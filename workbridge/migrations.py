"""Run Alembic from the CLI and tests, wherever the package is installed."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

ROOT = Path(__file__).resolve().parent.parent


def _script_location() -> Path:
    bundled = Path(__file__).resolve().parent / "migrations"  # inside a built wheel
    return bundled if (bundled / "env.py").exists() else ROOT / "alembic"


def alembic_config(database_url: str, *, quiet: bool = False) -> Config:
    ini = ROOT / "alembic.ini"
    config = Config(str(ini)) if ini.exists() else Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = not quiet
    return config


def upgrade(database_url: str, revision: str = "head", *, quiet: bool = False) -> None:
    command.upgrade(alembic_config(database_url, quiet=quiet), revision)


def downgrade(database_url: str, revision: str = "base", *, quiet: bool = False) -> None:
    command.downgrade(alembic_config(database_url, quiet=quiet), revision)
