"""The floor of ``workbridge bench load``: the least a Litestar app can do for a status check.

One route, ``GET /api/v1/status/{national_id}``, answered by one indexed lookup — ``SELECT …
FROM member WHERE national_id = ?`` — on the database the service uses, 404 when nobody has
the number. No token check, no ID validation, no ORM, no session: a plain driver connection
per thread (sqlite3 or psycopg, autocommit), kept for the thread's life. Like the service, it
reads the database off the event loop (a synchronous handler, which Litestar runs on a worker
thread), and it is served by uvicorn with the same number of processes and driven by the same
generator, so the ratio service/floor says what everything the service does per request costs
on top of HTTP, Litestar and one query.

Served as ``uvicorn workbridge.bench_floor:create_app --factory``; the database comes from
``WORKBRIDGE_DATABASE_URL``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from litestar import Litestar, get
from litestar.exceptions import NotFoundException

from kernel.settings import normalise_database_url

LOOKUP = "SELECT name, household_id FROM member WHERE national_id = {mark} LIMIT 1"


class Lookups:
    """A connection per thread, opened on the thread's first request."""

    def __init__(self, url: str) -> None:
        self.url = normalise_database_url(url)
        self.local = threading.local()
        if self.url.startswith("sqlite"):
            self.query = LOOKUP.format(mark="?")
        else:
            self.query = LOOKUP.format(mark="%s")

    def connection(self) -> Any:
        found = getattr(self.local, "connection", None)
        if found is None:
            if self.url.startswith("sqlite"):
                path = self.url.split(":///", 1)[1]
                found = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            else:
                import psycopg

                found = psycopg.connect(
                    self.url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True
                )
            self.local.connection = found
        return found

    def person(self, national_id: str) -> tuple[str, int] | None:
        # The cursor is closed at once: a SQLite statement left open would hold its snapshot
        # of the database (and keep the WAL from being checkpointed) until the next lookup.
        cursor = self.connection().execute(self.query, (national_id,))
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else (row[0], row[1])


def create_app() -> Litestar:
    lookups = Lookups(os.environ.get("WORKBRIDGE_DATABASE_URL", "sqlite:///workbridge.db"))

    @get("/api/v1/status/{national_id:str}", sync_to_thread=True)
    def status(national_id: str) -> dict[str, Any]:
        found = lookups.person(national_id)
        if found is None:
            raise NotFoundException("no household has this person")
        return {"name": found[0], "household_id": found[1]}

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[status, health])
