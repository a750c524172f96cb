"""A payment line's case and run must exist, and stay while it cites them (migration 0030).

SQLite checks this with its foreign keys. PostgreSQL does it once per statement — a trigger
over the statement's new lines, and one on the cited tables that waits out any transaction
writing lines before it looks — because its per-row foreign-key checks locked every paid case.
Both are held to the same table of refusals here, on a real PostgreSQL started on loopback, and
PostgreSQL's side also against the races a foreign key's lock would have closed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.db import make_engine
from kernel.policy import load_profile
from workbridge import migrations
from workbridge.cli import main
from workbridge.loopback_cluster import Cluster

MARCH = Month(2026, 3)


def _paid_county(database: str, server: Cluster, tmp_path, monkeypatch) -> Iterator[Engine]:
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'county.db'}"
    else:
        url = server.create_database(f"ledger_{datetime.now(UTC):%H%M%S%f}")
    migrations.upgrade(url, quiet=True)
    engine = make_engine(url)
    generate(engine, 12, MARCH, load_profile("county-pilot").at(MARCH.first).version_id)
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", url)
    assert main(["payments", "run", "--period", "2026-03"]) == 0
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def paid(request, server: Cluster, tmp_path, monkeypatch) -> Iterator[Engine]:
    """A small county with March paid, on either database."""
    yield from _paid_county(request.param, server, tmp_path, monkeypatch)


@pytest.fixture
def paid_pg(server: Cluster, tmp_path, monkeypatch) -> Iterator[Engine]:
    """The same on PostgreSQL, whose writers run side by side (SQLite has one writer at a
    time, so these races cannot happen there)."""
    yield from _paid_county("postgresql", server, tmp_path, monkeypatch)


def _columns(bind: Engine | Connection, table: str, leave: set[str]) -> list[str]:
    return [c["name"] for c in inspect(bind).get_columns(table) if c["name"] not in leave]


def _copy(connection: Connection, table: str, of: str, **values: object) -> int:
    """A copy of ``table``'s row whose id ``of`` selects, with ``values`` in place of its own;
    the copy's id."""
    columns = _columns(connection, table, {"id"})
    chosen = ", ".join(f":{c}" if c in values else c for c in columns)
    return connection.execute(
        text(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} "
            f"WHERE id = ({of}) RETURNING id"
        ),
        values,
    ).scalar_one()


def _copy_line(connection: Connection, **values: object) -> None:
    """A copy of March's first line, with ``values`` in place of its own."""
    _copy(connection, "payment_line", "SELECT min(id) FROM payment_line", **values)


def _bare_case(engine: Engine) -> int:
    """A new case no row cites yet: a copy of the first case under a copy of its application."""
    with engine.begin() as connection:
        application = _copy(
            connection, "application", "SELECT min(application_id) FROM benefit_case"
        )
        return _copy(
            connection,
            "benefit_case",
            "SELECT min(id) FROM benefit_case",
            application_id=application,
        )


def _new_run(engine: Engine, period: str = "2026-05") -> int:
    """A run of another month, as a copy of March's."""
    with engine.begin() as connection:
        return _copy(connection, "payment_run", "SELECT min(id) FROM payment_run", period=period)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_line_must_name_a_case_and_a_run_that_exist(paid: Engine) -> None:
    lines = _count(paid, "payment_line")
    for wrong in ({"case_id": 999_999, "period": "2026-04"}, {"run_id": 999_999}):
        with pytest.raises(IntegrityError), paid.begin() as connection:
            _copy_line(connection, **wrong)
    with pytest.raises(IntegrityError), paid.begin() as connection:
        connection.execute(text("UPDATE payment_line SET case_id = 999999"))
    assert _count(paid, "payment_line") == lines  # nothing written
    case = _bare_case(paid)
    with paid.begin() as connection:  # a case and run that exist: accepted
        _copy_line(connection, case_id=case)
    assert _count(paid, "payment_line") == lines + 1


def test_a_case_or_run_a_line_cites_stays(paid: Engine) -> None:
    case, run = _bare_case(paid), _new_run(paid)
    with paid.begin() as connection:
        _copy_line(connection, case_id=case, run_id=run)
    for table, key in (("benefit_case", case), ("payment_run", run)):
        with pytest.raises(IntegrityError), paid.begin() as connection:
            connection.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": key})
    with paid.begin() as connection:
        connection.execute(text("DELETE FROM payment_line WHERE run_id = :run"), {"run": run})
        connection.execute(text("DELETE FROM payment_run WHERE id = :run"), {"run": run})
        connection.execute(text("DELETE FROM benefit_case WHERE id = :case"), {"case": case})
    assert _count(paid, "payment_run") == 1  # cited no more: deleted


def _in_thread(work) -> tuple[threading.Thread, list[BaseException]]:
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the test
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failed


def test_a_run_deleted_while_a_line_for_it_is_being_written_is_refused(paid_pg: Engine) -> None:
    paid = paid_pg
    run = _new_run(paid)

    def delete_the_run() -> None:
        with paid.begin() as connection:
            connection.execute(text("DELETE FROM payment_run WHERE id = :run"), {"run": run})

    with paid.begin() as writing:
        _copy_line(writing, run_id=run, period="2026-05")
        # The delete now waits for this transaction to end.
        thread, failed = _in_thread(delete_the_run)
        thread.join(0.5)
        assert thread.is_alive()
    thread.join(30)
    assert len(failed) == 1 and isinstance(failed[0], IntegrityError)
    assert _count(paid, "payment_run") == 2


def test_a_line_written_while_its_run_is_being_deleted_is_refused(paid_pg: Engine) -> None:
    paid = paid_pg
    run = _new_run(paid)
    lines = _count(paid, "payment_line")

    def write_a_line() -> None:
        with paid.begin() as connection:
            _copy_line(connection, run_id=run, period="2026-05")

    with paid.begin() as deleting:
        deleting.execute(text("DELETE FROM payment_run WHERE id = :run"), {"run": run})
        thread, failed = _in_thread(write_a_line)
        thread.join(0.5)
        assert thread.is_alive()  # waits for the delete to end
    thread.join(30)
    assert len(failed) == 1 and isinstance(failed[0], IntegrityError)
    assert _count(paid, "payment_line") == lines
