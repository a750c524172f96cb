"""A unit of work leaves its connection clean, whatever the handler did (kernel.web)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from kernel.auth import SYSTEM
from kernel.context import ServiceContext
from kernel.db import RequestSession, make_engine
from kernel.errors import NotFound, Problem
from kernel.policy import load_profile
from kernel.web import run_unit_of_work


def _context(engine, writing: bool) -> ServiceContext:
    now = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    return ServiceContext(
        session=RequestSession(engine, writing=writing),
        actor=SYSTEM,
        now=now,
        today=now.date(),
        policy=load_profile("county-pilot"),
    )


def test_a_handler_that_fails_with_a_query_unread_leaves_no_open_statement(
    tmp_path: Path,
) -> None:
    """A failing handler's traceback keeps its local variables alive, and with them a result
    it never read; on SQLite that statement would hold a read snapshot on the pooled
    connection, so the next request on it reads stale rows and cannot write."""
    engine = make_engine(f"sqlite:///{tmp_path / 'uow.db'}", pool_size=1, wait_seconds=0.5)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (:x)"), [{"x": n} for n in range(500)])

    def handler(ctx: ServiceContext) -> None:
        rows = ctx.session.execute(text("SELECT x FROM t"))  # a cursor, not read  # noqa: F841
        raise NotFound(Problem("member_id", "exists", "no member 7"))

    with pytest.raises(NotFound) as failed:
        run_unit_of_work(handler, (), {"ctx": _context(engine, writing=False)})
    assert failed.value.__traceback__ is not None  # still alive, as in a server's error path

    # the one pooled connection, again: it sees a write made elsewhere and can write itself
    other = make_engine(f"sqlite:///{tmp_path / 'uow.db'}", pool_size=1)
    with other.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1000)"))
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 501
        connection.execute(text("INSERT INTO t VALUES (1001)"))
    engine.dispose()
    other.dispose()
