"""Months' partitions of the ledger and the audit trail (migration 0026, kernel.partitions), on a
real PostgreSQL started on loopback: an existing database converted with every row kept, the
rules that guard money still enforced, months made ahead and detached for the archive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from benefits.bench import generate
from benefits.payment_rules import Month
from kernel import partitions
from kernel.db import make_engine
from kernel.policy import load_profile
from workbridge import migrations
from workbridge.backup import describe
from workbridge.cli import main
from workbridge.loopback_cluster import Cluster


@pytest.fixture
def county(server: Cluster, monkeypatch) -> Iterator[tuple[str, Engine]]:
    """A county at migration 0025 (before partitions) with March paid, as one would be found."""
    name = f"county_{datetime.now(UTC):%H%M%S%f}"
    url = server.create_database(name)
    migrations.upgrade(url, "0025", quiet=True)
    engine = make_engine(url)
    march = Month(2026, 3)
    generate(engine, 30, march, load_profile("county-pilot").at(march.first).version_id)
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["payments", "run", "--period", "2026-03"]) == 0
    yield url, engine
    engine.dispose()


def _kinds(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(
            connection.execute(
                text(
                    "SELECT relname, relkind FROM pg_class "
                    "WHERE relname IN ('payment_line', 'audit_record')"
                )
            ).all()
        )


def test_an_existing_database_is_converted_and_back_with_every_row(county) -> None:
    url, engine = county
    with engine.connect() as connection:
        _, rows_before, digests_before = describe(connection)
    assert rows_before["payment_line"] > 0 and rows_before["audit_record"] > 0

    migrations.upgrade(url, quiet=True)
    assert _kinds(engine) == {"payment_line": "p", "audit_record": "p"}  # partitioned
    with engine.connect() as connection:
        _, rows_after, digests_after = describe(connection)
        in_march = connection.execute(text("SELECT count(*) FROM payment_line_2026_03")).scalar()
        top = connection.execute(text("SELECT max(id) FROM payment_line")).scalar()
    assert digests_after == digests_before
    assert rows_after["payment_line"] == rows_before["payment_line"] == in_march

    # One line per case and month still holds, across partitions, and ids go on from the
    # same sequence.
    columns = ", ".join(
        c["name"] for c in inspect(engine).get_columns("payment_line") if c["name"] != "id"
    )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(f"INSERT INTO payment_line ({columns}) SELECT {columns} FROM payment_line LIMIT 1")
        )
    assert main(["payments", "run", "--period", "2026-04"]) == 0
    with engine.connect() as connection:
        april = connection.execute(
            text("SELECT min(id) FROM payment_line WHERE period = '2026-04'")
        ).scalar()
        in_default = connection.execute(text("SELECT count(*) FROM payment_line_default")).scalar()
    assert april > top
    assert in_default == rows_before["payment_line"]  # April had no partition: the default
    # The audit trail stays append-only in every partition.
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_record SET reason = 'changed'"))

    migrations.downgrade(url, "0025", quiet=True)
    assert _kinds(engine) == {"payment_line": "r", "audit_record": "r"}
    with engine.connect() as connection:
        _, rows_down, _ = describe(connection)
    assert rows_down["payment_line"] == 2 * rows_before["payment_line"]
    migrations.upgrade(url, quiet=True)
    assert _kinds(engine) == {"payment_line": "p", "audit_record": "p"}


def test_months_are_made_ahead_and_detached_for_the_archive(county) -> None:
    url, engine = county
    migrations.upgrade(url, quiet=True)
    made, blocked = partitions.ensure_ahead(engine, date(2027, 6, 15), ahead=1)
    assert sorted(made) == [
        "activation_decision_2027_06",
        "activation_decision_2027_07",
        "audit_record_2027_06",
        "audit_record_2027_07",
        "payment_line_2027_06",
        "payment_line_2027_07",
        "sms_outbox_2027_06",
        "sms_outbox_2027_07",
    ]
    assert blocked == []
    assert partitions.ensure_ahead(engine, date(2027, 6, 1), ahead=1) == ([], [])  # made once

    # A month whose rows already went to the default partition cannot be made without moving
    # them: it is reported, not forced.
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE payment_line SET period = '2027-09' WHERE id = (SELECT min(id) FROM "
                "payment_line)"
            )
        )
    made, blocked = partitions.ensure_ahead(engine, date(2027, 9, 1), ahead=0)
    assert (made, blocked) == (
        ["activation_decision_2027_09", "audit_record_2027_09", "sms_outbox_2027_09"],
        ["payment_line_2027_09"],
    )
    assert main(["partitions", "ensure", "--ahead", "0"]) == 0  # today's month: made already

    with engine.connect() as connection:
        march = connection.execute(text("SELECT count(*) FROM payment_line_2026_03")).scalar()
    detached, kept = partitions.detach_before(engine, date(2026, 4, 1))
    assert kept == []
    assert "payment_line_2026_03" in detached and "payment_line_default" not in detached
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT count(*) FROM payment_line_2026_03")).scalar()
        left = connection.execute(
            text("SELECT count(*) FROM payment_line WHERE period = '2026-03'")
        ).scalar()
    assert (kept, left) == (march, 0)  # out of the ledger, not deleted
    assert "payment_line_2026_03" not in {p.name for p in partitions.listing(engine)}
    assert main(["partitions", "detach", "--before", "2026-13"]) == 2


def test_sqlite_has_no_partitions(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'county.db'}")
    migrations.upgrade(str(engine.url), quiet=True)
    assert partitions.listing(engine) == []
    assert partitions.ensure_ahead(engine, date(2026, 3, 1)) == ([], [])
    assert partitions.detach_before(engine, date(2026, 3, 1)) == ([], [])
    engine.dispose()


@pytest.mark.parametrize(
    ("month", "kind", "low", "high"),
    [
        (date(2026, 3, 1), "text", "'2026-03'", "'2026-04'"),
        (date(2026, 12, 1), "text", "'2026-12'", "'2027-01'"),
        (date(2026, 12, 1), "time", "'2026-12-01 00:00:00+00'", "'2027-01-01 00:00:00+00'"),
        (date(2027, 1, 1), "time", "'2027-01-01 00:00:00+00'", "'2027-02-01 00:00:00+00'"),
    ],
)
def test_a_month_runs_from_its_first_to_the_next_months_first(month, kind, low, high) -> None:
    assert partitions.bounds(month, kind) == (low, high)
