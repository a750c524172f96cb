"""Which database errors are the client's to retry (503), a race lost (409), or ours (500)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from kernel.capacity import ServiceBusy
from kernel.errors import busy_reason, unique_violation


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        (ServiceBusy("no thread"), True),
        (PoolTimeout("QueuePool limit reached"), True),
        (OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")), True),
        (sqlite3.OperationalError("database is locked"), True),  # from kernel.db's own BEGIN
        (OperationalError("x", {}, _PgError("55P03")), True),  # lock_timeout
        (OperationalError("x", {}, _PgError("57014")), True),  # statement_timeout
        (OperationalError("x", {}, sqlite3.OperationalError("no such table: t")), False),
        (OperationalError("x", {}, _PgError("42P01")), False),
        (ValueError("database is locked"), False),
    ],
)
def test_what_is_busy(error: BaseException, busy: bool) -> None:
    assert (busy_reason(error) is not None) is busy


@pytest.mark.parametrize(
    ("error", "race"),
    [
        (IntegrityError("x", {}, sqlite3.IntegrityError("UNIQUE constraint failed: t.a")), True),
        (IntegrityError("x", {}, _PgError("23505")), True),
        (IntegrityError("x", {}, sqlite3.IntegrityError("NOT NULL constraint failed: t.a")), False),
        (IntegrityError("x", {}, _PgError("23502")), False),  # not_null_violation: a bug, 500
        (IntegrityError("x", {}, _PgError("23503")), False),  # foreign key: a bug, 500
        (ValueError("UNIQUE constraint failed"), False),
    ],
)
def test_what_is_a_uniqueness_race(error: BaseException, race: bool) -> None:
    assert unique_violation(error) is race
