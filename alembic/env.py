"""Alembic environment: the URL comes from settings; SQLite gets batch mode for ALTERs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig

from sqlalchemy import Connection, text
from sqlmodel import SQLModel

import workbridge.models_registry  # noqa: F401  (fills SQLModel.metadata)
from alembic import context
from kernel.db import make_engine
from kernel.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
ARCHIVED_MONTH = re.compile(
    r"^(payment_line|audit_record|sms_outbox|activation_decision)_\d{4}_\d{2}$"
)

STATEMENT_KEYS = {"fk_payment_line_case_id_benefit_case", "fk_payment_line_run_id_payment_run"}


def database_url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def _partitions(connection: Connection) -> set[str]:
    """The partitions of PostgreSQL's partitioned tables (migrations 0026, 0028, 0029)."""
    if connection.dialect.name != "postgresql":
        return set()
    query = text("SELECT relname FROM pg_class WHERE relispartition")
    return set(connection.execute(query).scalars())


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = database_url()
    engine = make_engine(url)
    with engine.connect() as probe:  # its own: a transaction begun on the migrations'
        partitions = _partitions(probe)  # connection would hold them uncommitted
    with engine.connect() as connection:

        def include_name(name: str | None, type_: str, parent_names: object) -> bool:
            # A month's partition is part of its table, and one detached for the archive
            # (kernel.partitions) is the archive's: neither is a table the models declare.
            if type_ != "table" or name is None:
                return True
            return name not in partitions and not ARCHIVED_MONTH.match(name)

        on_postgresql = connection.dialect.name == "postgresql"

        def include_object(
            item: object, name: str | None, type_: str, reflected: bool, compare_to: object
        ) -> bool:
            # On PostgreSQL the ledger's two foreign keys are checked once per statement by
            # triggers instead (migration 0030); the models declare them for SQLite.
            return not (
                on_postgresql and type_ == "foreign_key_constraint" and name in STATEMENT_KEYS
            )

        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
            compare_type=True,
            include_name=include_name,
            include_object=include_object,
        )
        with sqlite_keys_off(connection), context.begin_transaction():
            context.run_migrations()
    engine.dispose()


@contextmanager
def sqlite_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite's own way to change a table others refer to (its "ALTER TABLE" page): foreign
    keys off outside the transaction, the table rebuilt, then every key checked before they are
    on again. Alembic's batch mode rebuilds a table to change a column, and dropping the old
    one would otherwise fail, or delete, for each row that refers to it."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None and not raw.in_transaction
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows left referring to nothing: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
