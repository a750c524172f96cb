"""Reads made on the event loop keep the promises of the request threads (kernel.loop_reads):
they never wait for a writer, never block the loop, and what cannot be read in time is a 503.

Each test runs on the suite's database (SQLite file or PostgreSQL) and holds the database the
way only that kind can be held.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from litestar.testing import TestClient
from sqlalchemy import Engine, text

from benefits.schemas import EXAMPLE_ID
from kernel.db import make_engine
from kernel.errors import busy_reason
from kernel.loop_reads import LoopReads

COUNT = "SELECT count(*) FROM member"


async def _read(reads: LoopReads, sql: str) -> list[tuple[object, ...]]:
    await reads.open()
    try:
        return await reads.rows(sql, ())
    finally:
        await reads.close()


async def _ticks_while(reads: LoopReads, sql: str) -> tuple[int, BaseException | None]:
    """How often a 10 ms timer fired on the loop while ``sql`` was read, and what it raised."""
    ticks = 0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    await reads.open()
    ticker = asyncio.create_task(tick())
    raised: BaseException | None = None
    try:
        await reads.rows(sql, ())
    except Exception as exc:
        raised = exc
    finally:
        done.set()
        await ticker
        await reads.close()
    return ticks, raised


async def _opened(reads: LoopReads) -> bool:
    """Whether the reads were answered on the loop while the application served."""
    await reads.open()
    try:
        return reads.on_loop
    finally:
        await reads.close()


def test_the_loop_reads_on_its_own_connection_and_not_on_a_thread(engine: Engine) -> None:
    reads = LoopReads(engine, 1.0)

    assert asyncio.run(_opened(reads)) is True
    assert asyncio.run(_read(reads, COUNT)) == [(0,)]
    assert reads.on_loop is False  # closed with the application


def test_an_in_memory_database_is_read_on_a_request_thread() -> None:
    # Another connection to "sqlite://" would open an empty database of its own.
    reads = LoopReads(make_engine("sqlite://", wait_seconds=1.0), 1.0)

    assert asyncio.run(_opened(reads)) is False


@contextmanager
def _writer_holding(engine: Engine) -> Iterator[None]:
    """A write transaction in progress: SQLite's write lock, or PostgreSQL's lock on member
    that every writer of the table would wait for."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("LOCK TABLE member IN EXCLUSIVE MODE"))
        else:
            connection.execute(text("DELETE FROM member WHERE id < 0"))  # BEGIN IMMEDIATE taken
        yield


def test_a_read_does_not_wait_for_a_writer(engine: Engine) -> None:
    # With a wait of 0.3 s a read that queued behind the writer would be answered busy.
    reads = LoopReads(engine, 0.3)
    with _writer_holding(engine):
        assert asyncio.run(_read(reads, COUNT)) == [(0,)]


@contextmanager
def _database_held(engine: Engine) -> Iterator[str]:
    """What a read would have to wait for, and the statement that would wait.

    SQLite: a connection in exclusive locking mode that has written keeps every other
    connection out, readers included. PostgreSQL: a read running longer than the wait."""
    if engine.dialect.name == "postgresql":
        yield "SELECT pg_sleep(3)"
        return
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("DELETE FROM member WHERE id < 0")
        holder.execute("COMMIT")  # the exclusive lock stays with the connection
        yield COUNT
    finally:
        holder.close()


def test_a_read_that_cannot_be_made_in_time_is_busy_and_the_loop_goes_on(
    database_url: str,
) -> None:
    engine = make_engine(database_url, pool_size=2, wait_seconds=0.4)
    try:
        reads = LoopReads(engine, 0.4)
        with _database_held(engine) as sql:
            ticks, raised = asyncio.run(_ticks_while(reads, sql))
    finally:
        engine.dispose()
    assert raised is not None and busy_reason(raised) is not None, raised
    # The read waited about 0.4 s somewhere other than on the loop: the timer kept firing.
    assert ticks >= 10


def test_the_status_check_answers_503_when_the_database_cannot_be_read_in_time(
    app, tokens, database_url: str
) -> None:
    engine = make_engine(database_url, wait_seconds=0.4)
    path, headers = f"/api/v1/status/{EXAMPLE_ID}", tokens.headers("benefit_officer")
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get(path, headers=headers).status_code == 404  # the token is cached
        app.state.loop_reads = LoopReads(engine, 0.4)
        if engine.dialect.name == "postgresql":
            with TestClient(app, raise_server_exceptions=False) as client:
                # A lock that even readers wait for: the status query runs past the wait.
                with engine.begin() as connection:
                    connection.execute(text("LOCK TABLE member IN ACCESS EXCLUSIVE MODE"))
                    answer = client.get(path, headers=headers)
                after = client.get(path, headers=headers)
        else:
            # Only a connection that is alone with the file can hold it exclusively.
            app.state.engine.dispose()
            with _database_held(engine), TestClient(app, raise_server_exceptions=False) as client:
                answer = client.get(path, headers=headers)
            with TestClient(app, raise_server_exceptions=False) as client:
                after = client.get(path, headers=headers)
    finally:
        engine.dispose()
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"]
    assert answer.json()["problems"][0]["rule"] == "busy"
    assert after.status_code == 404  # once the database is free again: nobody has the number


def test_the_status_check_is_read_on_the_loop_when_served(app, client, tokens) -> None:
    answer = client.get(f"/api/v1/status/{EXAMPLE_ID}", headers=tokens.headers("benefit_officer"))
    assert answer.status_code == 404  # nobody has the number in an empty county
    assert app.state.loop_reads.on_loop is True


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nobody listens there once the probe is closed


def test_a_postgresql_server_that_cannot_be_reached_is_busy_not_an_error() -> None:
    # No server needed: the point is what happens when there is none. The loop's pool opens
    # without a connection (the service starts while the database is away) and a read is 503.
    url = f"postgresql+psycopg://workbridge@127.0.0.1:{_closed_port()}/workbridge"
    engine = make_engine(url, wait_seconds=0.5)
    try:
        reads = LoopReads(engine, 0.5)
        assert asyncio.run(_opened(reads)) is True
        raised: BaseException | None = None
        try:
            asyncio.run(_read(reads, "SELECT 1"))
        except Exception as exc:
            raised = exc
    finally:
        engine.dispose()
    busy = busy_reason(raised) if raised is not None else None
    assert busy is not None and str(busy) == "the database cannot be reached", raised
