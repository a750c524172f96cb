"""A pooled PostgreSQL connection is checked before it is handed out only when it has lain
idle (``kernel.db._ping_when_idle``): a connection given back a moment ago goes straight back
to work, and one whose server session ended while it lay idle is replaced, not handed out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from kernel import db
from workbridge.loopback_cluster import Cluster


@pytest.fixture
def engine(server: Cluster) -> Iterator[Engine]:
    engine = db.make_engine(server.url(), pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counted: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: object) -> bool:
        counted.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return counted


def backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_given_back_a_moment_ago_is_not_pinged(engine, pings) -> None:
    first = backend(engine)
    assert [backend(engine) for _ in range(20)] == [first] * 20
    assert pings == []


def test_an_idle_connection_is_pinged_and_one_found_dead_is_replaced(
    engine, pings, server, monkeypatch
) -> None:
    first = backend(engine)
    server.scalar(f"SELECT pg_terminate_backend({first})")
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection counts as idle
    second = backend(engine)
    assert second != first and len(pings) == 1
    assert backend(engine) == second and len(pings) == 2  # alive: kept


@pytest.mark.parametrize(
    ("idle_after", "pinged"),
    [(0.0, 1), (3600.0, 0)],  # the boundary: idle at once, or never within the test
)
def test_the_idle_threshold_decides_the_ping(engine, pings, monkeypatch, idle_after, pinged):
    backend(engine)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", idle_after)
    backend(engine)
    assert len(pings) == pinged
