"""Many people at once, against a real ``workbridge serve`` on the suite's database (SQLite, or
PostgreSQL under CI): every request is answered (2xx or 4xx, never a hang or a 5xx), what a
client was told is what the database holds, a request that cannot be served in time gets 503
with Retry-After, and SIGTERM drains and stops the process.

These are not timings: the only clocks here are generous limits that a deadlock would break.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from served import Served
from sqlalchemy import create_engine, text

from support import ALL_DOCUMENTS, create_household, household, member, person_id
from workbridge.bench_load import connections_held, worker_processes

# Measures or loads real servers, or kills their processes: run alone (`-m alone`), never beside
# another test on a shared machine's two cores.
pytestmark = pytest.mark.alone

# A small number of request threads makes every request queue behind the others: a request
# model that can starve itself shows it here at once.
FEW_THREADS = {"WORKBRIDGE_THREADS": "4", "WORKBRIDGE_QUEUE_SECONDS": "60"}


def _new_household(index: int) -> dict[str, Any]:
    return household(
        member(f"并发{index}", national_id=person_id(date(1980, 1, 1 + index % 28), "male")),
        community="东街社区",
    )


async def _send(
    client: httpx.AsyncClient, method: str, path: str, body: Any = None
) -> httpx.Response:
    return await client.request(method, path, json=body)


async def _all_at_once(url: str, token: str, calls: list[tuple[str, str, Any]]) -> list[Any]:
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    async with httpx.AsyncClient(
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
        limits=limits,
    ) as client:
        return await asyncio.gather(*(_send(client, *call) for call in calls))


def _households_in(database_url: str) -> set[int]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = {row[0] for row in connection.execute(text("SELECT id FROM household"))}
    engine.dispose()
    return found


def test_64_reads_and_24_writes_at_once_are_all_answered_then_sigterm_stops_it(
    client, tokens, database_url: str, tmp_path: Path
) -> None:
    officer = tokens.headers("benefit_officer")
    seeded = [create_household(client, officer, _new_household(i)) for i in range(8)]
    ids = [h["id"] for h in seeded]
    server = Served(database_url, tmp_path, env=FEW_THREADS)
    try:
        reads: list[tuple[str, str, Any]] = []
        for i in range(64):
            kind = i % 4
            if kind == 0:
                # the status check wants the full number; the households list masks it
                reads.append(("GET", f"/api/v1/households/{ids[i % len(ids)]}", None))
            elif kind == 1:
                reads.append(("GET", "/api/v1/cases?limit=50", None))
            elif kind == 2:
                reads.append(("GET", f"/api/v1/households/{ids[-1] + 1000}", None))  # a 404
            else:
                reads.append(("GET", "/health", None))
        writes = [("POST", "/api/v1/households", _new_household(100 + i)) for i in range(24)]
        calls = [call for pair in zip(reads[:24], writes, strict=True) for call in pair]
        calls += reads[24:]
        answers = asyncio.run(_all_at_once(server.url, tokens.raw["benefit_officer"], calls))

        statuses = Counter(a.status_code for a in answers)
        assert all(200 <= s < 500 for s in statuses), (statuses, server.log())
        created = [a.json()["id"] for a in answers if a.status_code == 201]
        assert len(created) == 24, statuses
        assert statuses[404] == 16
        # what the clients were told is what the database holds: 8 seeded and 24 new
        assert _households_in(database_url) == set(ids) | set(created)
    finally:
        code = server.terminate()
    assert code == 0, server.log()
    assert '"GET /api/v1/' not in server.log()  # WORKBRIDGE_LOG_LEVEL=WARNING: no access lines


def test_100_registrations_at_once_are_all_stored_as_told(
    tokens, database_url: str, tmp_path: Path
) -> None:
    server = Served(database_url, tmp_path, env=FEW_THREADS)
    try:
        answers = asyncio.run(
            _all_at_once(
                server.url,
                tokens.raw["benefit_officer"],
                [("POST", "/api/v1/households", _new_household(n)) for n in range(100)],
            )
        )
    finally:
        assert server.terminate() == 0, server.log()
    assert Counter(a.status_code for a in answers) == {201: 100}
    assert _households_in(database_url) == {a.json()["id"] for a in answers}


def test_the_same_step_sent_ten_times_at_once_is_taken_once(
    client, tokens, database_url: str, tmp_path: Path
) -> None:
    """Ten officers press the same button at the same moment: one application is opened for
    the household and one decision is taken on an application; the others are told why not
    (409) and leave nothing behind."""
    officer = tokens.headers("benefit_officer")
    first = create_household(client, officer, _new_household(1))
    second = create_household(client, officer, _new_household(2))
    opened = client.post(
        "/api/v1/applications",
        json={"household_id": second["id"], "category_requested": "C", "documents": ALL_DOCUMENTS},
        headers=officer,
    )
    assert opened.status_code == 201, opened.text
    application = opened.json()["id"]
    investigation = {"visited_on": "2026-02-20", "visitors": ["李明"], "findings": "收入属实"}
    server = Served(database_url, tmp_path, env=FEW_THREADS)
    try:
        applies, steps = asyncio.run(
            _two_crowds(
                server.url,
                tokens.raw["benefit_officer"],
                (
                    "POST",
                    "/api/v1/applications",
                    {"household_id": first["id"], "category_requested": "C"},
                ),
                ("POST", f"/api/v1/applications/{application}/investigation", investigation),
            )
        )
    finally:
        assert server.terminate() == 0, server.log()
    assert sorted(a.status_code for a in applies) == [201] + [409] * 9, [a.text for a in applies]
    assert sorted(a.status_code for a in steps) == [201] + [409] * 9, [a.text for a in steps]
    engine = create_engine(database_url)
    with engine.connect() as connection:
        open_for_first = connection.execute(
            text("SELECT count(*) FROM application WHERE household_id = :h"), {"h": first["id"]}
        ).scalar_one()
        investigations = connection.execute(
            text(
                "SELECT count(*) FROM audit_record WHERE entity = 'application' "
                "AND entity_id = :a AND action = 'investigation'"
            ),
            {"a": str(application)},
        ).scalar_one()
    engine.dispose()
    assert open_for_first == 1
    assert investigations == 1


async def _two_crowds(
    url: str, token: str, one: tuple[str, str, Any], other: tuple[str, str, Any]
) -> tuple[list[httpx.Response], list[httpx.Response]]:
    answers = await _all_at_once(url, token, [one] * 10 + [other] * 10)
    return answers[:10], answers[10:]


def _hold_the_write_lock(database_url: str) -> Any:
    """Another process's writer that keeps the lock: SQLite's database lock, or on PostgreSQL
    an exclusive lock on the household table."""
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        connection = engine.connect()
        connection.execute(text("LOCK TABLE household IN EXCLUSIVE MODE"))
        return connection
    path = database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_write_that_cannot_get_the_lock_in_time_gets_503_and_writes_nothing(
    tokens, database_url: str, tmp_path: Path
) -> None:
    server = Served(database_url, tmp_path, env={"WORKBRIDGE_DB_WAIT_SECONDS": "0.5"})
    holder = _hold_the_write_lock(database_url)
    try:
        answer = httpx.post(
            f"{server.url}/api/v1/households",
            json=_new_household(7),
            headers=tokens.headers("benefit_officer"),
            timeout=30,
        )
        # reads go on while the writer waits and after it gave up
        health = httpx.get(f"{server.url}/health", timeout=30)
    finally:
        holder.rollback()
        holder.close()
    try:
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"].isdigit()
        assert answer.json()["problems"][0]["rule"] == "busy"
        assert health.status_code == 200
        assert _households_in(database_url) == set()
        # once the lock is free the same request goes through
        again = httpx.post(
            f"{server.url}/api/v1/households",
            json=_new_household(7),
            headers=tokens.headers("benefit_officer"),
            timeout=30,
        )
        assert again.status_code == 201, again.text
    finally:
        assert server.terminate() == 0, server.log()


def test_a_request_that_waits_too_long_for_a_thread_gets_503(
    tokens, database_url: str, tmp_path: Path
) -> None:
    """One request thread, held by a writer stuck behind another process's lock; the requests
    after it may wait a moment for the thread, then are told to come back (503), not left
    hanging; the writer itself is told 503 when its own wait runs out."""
    server = Served(
        database_url,
        tmp_path,
        env={
            "WORKBRIDGE_THREADS": "1",
            "WORKBRIDGE_QUEUE_SECONDS": "0.3",
            "WORKBRIDGE_DB_WAIT_SECONDS": "3",
        },
    )
    holder = _hold_the_write_lock(database_url)

    async def scenario() -> tuple[httpx.Response, list[httpx.Response]]:
        async with httpx.AsyncClient(
            base_url=server.url, headers=tokens.headers("benefit_officer"), timeout=60
        ) as client:
            stuck = asyncio.create_task(
                _send(client, "POST", "/api/v1/households", _new_household(9))
            )
            await asyncio.sleep(1)  # the writer now holds the only thread, waiting for the lock
            waiting = await asyncio.gather(
                *(_send(client, "GET", "/api/v1/cases") for _ in range(3))
            )
            return await stuck, list(waiting)

    try:
        writer, readers = asyncio.run(scenario())
    finally:
        holder.rollback()
        holder.close()
        code = server.terminate()
    assert code == 0, server.log()
    assert [r.status_code for r in readers] == [503, 503, 503]
    assert all(r.headers["retry-after"].isdigit() for r in readers)
    assert writer.status_code == 503, writer.text
    assert _households_in(database_url) == set()


def _worker_pids(parent: int, expected: int) -> list[int]:
    """The uvicorn worker processes under ``workbridge serve``, once all have been spawned."""
    deadline = time.monotonic() + 60
    while True:
        workers = [pid for pid in worker_processes(parent) if pid != parent]
        if len(workers) >= expected or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


def test_two_worker_processes_share_the_connections_and_sigterm_drains_and_stops_both(
    tokens, database_url: str, tmp_path: Path
) -> None:
    """``workbridge serve --workers 2``: each worker listens on the port with its own socket,
    so a crowd of connections opened at once is spread over both (with one shared socket one
    worker often took them all); on SIGTERM a write still waiting for the database lock is
    finished and answered, then every worker shuts its application down and the whole tree
    exits."""
    server = Served(database_url, tmp_path, workers=2, env={"WORKBRIDGE_DB_WAIT_SECONDS": "20"})
    token = tokens.raw["benefit_officer"]
    headers = {"Authorization": f"Bearer {token}"}
    try:
        workers = _worker_pids(server.process.pid, 2)
        assert len(workers) == 2, server.log()
        deadline = time.monotonic() + 60
        while server.log().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)

        answers = asyncio.run(
            _all_at_once(server.url, token, [("GET", "/api/v1/cases?limit=5", None)] * 96)
        )
        assert Counter(a.status_code for a in answers) == {200: 96}

        async def crowd_held() -> tuple[list[httpx.Response], list[int]]:
            limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
            async with httpx.AsyncClient(
                base_url=server.url, headers=headers, timeout=60, limits=limits
            ) as client:
                answers = await asyncio.gather(
                    *(client.get("/api/v1/cases?limit=5") for _ in range(32))
                )
                return list(answers), connections_held(server.port, workers)

        answers, held = asyncio.run(crowd_held())
        assert Counter(a.status_code for a in answers) == {200: 32}
        assert sum(held) == 32 and min(held) > 0, held  # all on one: about 1 in 10^9

        holder = _hold_the_write_lock(database_url)
        released = False

        async def stop_while_writing() -> tuple[httpx.Response, int]:
            nonlocal released
            async with httpx.AsyncClient(
                base_url=server.url, headers=headers, timeout=60
            ) as client:
                write = asyncio.create_task(
                    client.post("/api/v1/households", json=_new_household(11))
                )
                await asyncio.sleep(1)  # the write now waits for the lock in a worker
                stopping = asyncio.create_task(asyncio.to_thread(server.terminate))
                await asyncio.sleep(1.5)  # SIGTERM has reached both workers
                holder.rollback()
                released = True
                return await write, await stopping

        try:
            written, code = asyncio.run(stop_while_writing())
        finally:
            if not released:
                holder.rollback()
            holder.close()
    finally:
        server.kill()
    assert written.status_code == 201, written.text
    assert _households_in(database_url) == {written.json()["id"]}
    assert code == 0, server.log()
    assert server.log().count("Application shutdown complete") == 2, server.log()
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_ten_registrations_of_one_job_seeker_at_once_leave_one_registration(
    client, tokens, database_url: str, tmp_path: Path
) -> None:
    """Counsellors registering the same person at the same moment: one registration and one
    seeker profile; the first request registers the person and each later one updates the
    registration (the person's row is locked while it is decided), none is refused."""
    officer = tokens.headers("benefit_officer")
    person = create_household(client, officer, _new_household(3))["members"][0]["id"]
    body = {
        "office": "东街社区劳动保障服务站",
        "hours_per_week": 40,
        "shifts": ["day"],
        "max_commute_km": 10,
    }
    server = Served(database_url, tmp_path, env=FEW_THREADS)
    try:
        answers = asyncio.run(
            _all_at_once(
                server.url,
                tokens.raw["counsellor"],
                [("POST", f"/api/v1/activation/people/{person}/registration", body)] * 10,
            )
        )
    finally:
        assert server.terminate() == 0, server.log()
    assert Counter(a.status_code for a in answers) == {201: 10}, [a.text for a in answers]
    engine = create_engine(database_url)
    with engine.connect() as connection:
        for table in ("registration", "seeker_profile"):
            count = connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE member_id = :m"), {"m": person}
            ).scalar_one()
            assert count == 1, table
    engine.dispose()
