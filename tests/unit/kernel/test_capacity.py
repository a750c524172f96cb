"""Request threads, the SQLite write gate and their settings (kernel.capacity, kernel.db)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from kernel.capacity import BACKGROUND_CONNECTIONS, Capacity, ServiceBusy
from kernel.db import make_engine, new_read_session
from kernel.settings import Settings


def test_the_pool_holds_a_connection_for_every_request_thread_and_the_background() -> None:
    assert Capacity(threads=7).pool_size == 7 + BACKGROUND_CONNECTIONS


def test_no_more_than_the_threads_run_at_once_and_the_rest_wait_their_turn() -> None:
    capacity = Capacity(threads=3, queue_seconds=30)
    running, most = 0, 0
    lock = threading.Lock()

    def work() -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return threading.get_ident()

    async def many() -> list[int]:
        return await asyncio.gather(*(capacity.run(work) for _ in range(12)))

    idents = asyncio.run(many())
    capacity.close()
    assert len(idents) == 12
    assert most == 3
    assert len(set(idents)) <= 3


def test_a_request_that_cannot_get_a_thread_in_time_is_told_the_service_is_busy() -> None:
    capacity = Capacity(threads=1, queue_seconds=0.05)
    release = threading.Event()

    async def scenario() -> BaseException | None:
        holder = asyncio.ensure_future(capacity.run(release.wait, 5))
        await asyncio.sleep(0.01)
        try:
            await capacity.run(lambda: None)
        except ServiceBusy as busy:
            outcome: BaseException | None = busy
        else:
            outcome = None
        release.set()
        await holder
        await capacity.run(lambda: None)  # the thread is free again
        return outcome

    outcome = asyncio.run(scenario())
    capacity.close()
    assert isinstance(outcome, ServiceBusy)
    assert outcome.retry_after >= 1


def test_an_error_in_the_unit_of_work_reaches_the_caller_and_frees_the_thread() -> None:
    capacity = Capacity(threads=1, queue_seconds=0.5)

    def fail() -> None:
        raise ValueError("bad input")

    async def scenario() -> str:
        with pytest.raises(ValueError, match="bad input"):
            await capacity.run(fail)
        return await capacity.run(lambda: "next")

    assert asyncio.run(scenario()) == "next"
    capacity.close()


def test_a_sqlite_writer_waits_for_the_gate_then_gives_up_with_busy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    engine = make_engine(url, pool_size=4, wait_seconds=0.2)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = engine.connect()
    holder.execute(text("INSERT INTO t VALUES (1)"))  # holds the gate and the write lock
    started = time.monotonic()
    with pytest.raises(ServiceBusy), engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (2)"))
    waited = time.monotonic() - started
    # a reader is not held up by the writer
    with new_read_session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    holder.commit()  # the gate is passed on at commit
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (3)"))
    holder.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 3]
    engine.dispose()
    assert waited >= 0.2


def test_a_rolled_back_writer_passes_the_gate_on(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}", pool_size=2, wait_seconds=0.2)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    for _ in range(3):
        connection = engine.connect()
        connection.execute(text("INSERT INTO t VALUES (1)"))
        connection.rollback()
        connection.close()
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    engine.dispose()


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("WORKBRIDGE_THREADS", "0", False),
        ("WORKBRIDGE_THREADS", "1", True),
        ("WORKBRIDGE_THREADS", "256", True),
        ("WORKBRIDGE_THREADS", "257", False),
        ("WORKBRIDGE_THREADS", "4.5", False),
        ("WORKBRIDGE_QUEUE_SECONDS", "0.09", False),
        ("WORKBRIDGE_QUEUE_SECONDS", "0.1", True),
        ("WORKBRIDGE_QUEUE_SECONDS", "300", True),
        ("WORKBRIDGE_QUEUE_SECONDS", "300.1", False),
        ("WORKBRIDGE_DB_WAIT_SECONDS", "0.1", True),
        ("WORKBRIDGE_DB_WAIT_SECONDS", "soon", False),
        ("WORKBRIDGE_TOKEN_CACHE_SECONDS", "0", True),
        ("WORKBRIDGE_TOKEN_CACHE_SECONDS", "-1", False),
        ("WORKBRIDGE_TOKEN_CACHE_SECONDS", "300", True),
        ("WORKBRIDGE_TOKEN_CACHE_SECONDS", "301", False),
    ],
)
def test_capacity_settings_boundaries(name: str, value: str, accepted: bool) -> None:
    if accepted:
        Settings.from_env({name: value})
    else:
        with pytest.raises(ValueError, match=name):
            Settings.from_env({name: value})


def test_two_busy_processes_take_turns_at_the_sqlite_write_gate(tmp_path: Path) -> None:
    """Two gates on one database file stand for two serving processes. While one writes, the
    other's writer queues; when the first has written and wants to write again at once, it sees
    the queue and lets the other go first, rather than keeping the database while the other's
    writers time out."""
    from kernel.db import WriteGate

    path = str(tmp_path / "turns.db")
    first, second = WriteGate(5, path), WriteGate(5, path)
    # The first stands aside for long enough that a busy machine still lets the second in.
    first.POLL_MOST = 0.25  # type: ignore[misc]
    order: list[str] = []
    first_info: dict = {}
    first.enter(first_info)
    order.append("first")

    def other_process() -> None:
        info: dict = {}
        second.enter(info)
        order.append("second")
        time.sleep(0.05)
        second.leave(info)

    waiting = threading.Thread(target=other_process)
    waiting.start()
    deadline = time.monotonic() + 10
    while not first._someone_queued():  # the second process's writer is in the queue
        assert time.monotonic() < deadline, "the second writer never queued"
        time.sleep(0.001)
    first.leave(first_info)
    again: dict = {}
    first.enter(again)  # at once: without turns, the first would win its own race
    order.append("first again")
    first.leave(again)
    waiting.join()
    assert order == ["first", "second", "first again"]


def test_a_writer_alone_is_not_made_to_wait(tmp_path: Path, monkeypatch) -> None:
    import kernel.db
    from kernel.db import WriteGate

    pauses: list[float] = []
    monkeypatch.setattr(kernel.db.time, "sleep", pauses.append)
    gate = WriteGate(5, str(tmp_path / "alone.db"))
    for _ in range(200):
        info: dict = {}
        gate.enter(info)
        gate.leave(info)
    assert pauses == []  # no turn-taking pause, no polling, without anyone queued


def test_a_writer_queued_behind_another_process_too_long_is_told_busy(tmp_path: Path) -> None:
    from kernel.db import WriteGate

    path = str(tmp_path / "long.db")
    holder, waiter = WriteGate(5, path), WriteGate(0.1, path)
    held: dict = {}
    holder.enter(held)
    with pytest.raises(ServiceBusy):
        waiter.enter({})
    holder.leave(held)
    info: dict = {}
    waiter.enter(info)  # free again
    waiter.leave(info)
