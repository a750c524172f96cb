"""Activation decisions by month (migration 0029): what cites a decision points at its key in
``activation_decision_key``, the decisions are partitioned on a real PostgreSQL started on
loopback, and a month of them goes to the archive while the refusals, warnings and sanctions
that cite it stand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from kernel import partitions
from kernel.auth import Role, issue_token
from kernel.db import session_scope
from support import Desk, member
from workbridge import migrations
from workbridge.loopback_cluster import Cluster

CITED = (
    "SELECT 'refusal', decision_id FROM refusal UNION ALL "
    "SELECT 'warning', decision_id FROM activation_warning WHERE decision_id IS NOT NULL "
    "UNION ALL SELECT 'sanction', count_decision_id FROM sanction ORDER BY 1, 2"
)


@pytest.fixture
def database_url(server: Cluster) -> str:
    """The application's database for these tests: one of its own on the loopback server, at
    the head, with months from February 2026 (the story's) made ahead."""
    url = server.create_database(f"decisions_{datetime.now(UTC):%H%M%S%f}")
    migrations.upgrade(url, quiet=True)
    return url


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def _story(desk: Desk, engine: Engine) -> int:
    """Two refusals without good reason in March and April: two counted refusals, a warning
    and a proposed sanction, each citing a decision."""
    partitions.ensure_ahead(engine, date(2026, 2, 1), ahead=4)
    home = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100.00")]),
    )
    woman = home["members"][0]["id"]
    desk.decline(woman, "2026-03-05", "2026-03-09")
    desk.decline(woman, "2026-04-01", "2026-04-03")
    return woman


def _utc(value: datetime | str) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite gives it back as text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rows(engine: Engine, query: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query)).all()]


def _kind(engine: Engine) -> str:
    return _rows(engine, "SELECT relkind FROM pg_class WHERE relname = 'activation_decision'")[0][0]


def test_decisions_are_converted_with_every_row_and_citation_and_back(
    desk: Desk, engine: Engine, database_url: str
) -> None:
    _story(desk, engine)
    cited = _rows(engine, CITED)
    assert [kind for kind, _ in cited] == ["refusal", "refusal", "sanction", "warning"]
    keys = "SELECT id, decided_at FROM activation_decision_key ORDER BY id"
    # Each cited decision has its key, with the instant that finds it in its month.
    assert {i for _, i in cited} <= {i for i, _ in _rows(engine, keys)}
    assert _rows(engine, keys) == _rows(
        engine,
        "SELECT d.id, d.decided_at FROM activation_decision d "
        "JOIN activation_decision_key k ON k.id = d.id ORDER BY d.id",
    )
    everything = "SELECT * FROM activation_decision ORDER BY id"
    decisions, key_rows = _rows(engine, everything), _rows(engine, keys)
    assert _kind(engine) == "p"

    engine.dispose()
    migrations.downgrade(database_url, "0028", quiet=True)
    assert _kind(engine) == "r"
    assert _rows(engine, everything) == decisions and _rows(engine, CITED) == cited
    assert _rows(engine, "SELECT to_regclass('activation_decision_key') IS NULL") == [(True,)]

    migrations.upgrade(database_url, quiet=True)
    assert _kind(engine) == "p"
    assert _rows(engine, everything) == decisions and _rows(engine, CITED) == cited
    cited_keys = [row for row in key_rows if row[0] in {i for _, i in cited}]
    assert _rows(engine, keys) == cited_keys  # filled again from what cites a decision
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE refusal SET decision_id = 999999"))
    refusal_decision = cited[0][1]
    replayed = desk.call("GET", f"/activation/decisions/{refusal_decision}/replay", desk.officer)
    assert replayed["agrees"] is True


def test_a_month_of_decisions_goes_to_the_archive_and_what_cites_it_stands(
    desk: Desk, engine: Engine
) -> None:
    woman = _story(desk, engine)
    cited = _rows(engine, CITED)
    in_march = _rows(engine, "SELECT id FROM activation_decision_2026_03 ORDER BY id")
    assert in_march, "the first refusal's decisions were recorded in March"

    detached, kept = partitions.detach_before(engine, date(2026, 4, 1))
    assert "activation_decision_2026_03" in detached
    assert kept == ["sms_outbox_2026_03"]  # March's texts are still queued: no worker here
    assert _rows(engine, "SELECT id FROM activation_decision_2026_03 ORDER BY id") == in_march
    assert _rows(
        engine,
        "SELECT count(*) FROM activation_decision WHERE id IN "
        f"({', '.join(str(i) for (i,) in in_march)})",
    ) == [(0,)]
    # The refusals, the warning and the sanction still cite their decisions' keys.
    assert _rows(engine, CITED) == cited
    archived = next(i for _, i in cited if (i,) in in_march)
    # A county account learns the decision was archived, and when it was recorded (410); an
    # unknown id stays 404. An office's account finds no person behind an archived decision:
    # 404, as for any id it cannot see, though the office's live decisions read as before.
    recorded = _rows(
        engine, f"SELECT decided_at FROM activation_decision_key WHERE id = {archived}"
    )
    for path in (f"/activation/decisions/{archived}", f"/activation/decisions/{archived}/replay"):
        gone = desk.call("GET", path, desk.officer, status=410)
        assert gone["type"].endswith("/gone") and gone["problems"][0]["rule"] == "archived"
        assert str(archived) in gone["detail"]
        assert _utc(recorded[0][0]).isoformat(timespec="seconds") in gone["detail"]
    desk.call("GET", "/activation/decisions/999999/replay", desk.officer, status=404)
    township = _rows(engine, "SELECT township FROM household")[0][0]
    with session_scope(engine) as session:
        _, raw = issue_token(
            session, role=Role.COUNSELLOR, name="office", now=desk.clock.now(), office=township
        )
    office = {"Authorization": f"Bearer {raw}"}
    desk.call("GET", f"/activation/decisions/{archived}/replay", office, status=404)
    live = _rows(engine, "SELECT max(id) FROM activation_decision")[0][0]
    assert desk.call("GET", f"/activation/decisions/{live}/replay", office)["agrees"] is True
    person = desk.person(woman)  # the person's file still reads, whole
    assert [s["state"] for s in person["sanctions"]] == ["proposed"]
    assert len(person["referrals"]) == 2 and len(person["warnings"]) == 1
    # Work goes on: a decision recorded now is in its month, and can be cited.
    desk.decline(woman, "2026-05-04", "2026-05-06")
    assert _rows(engine, "SELECT count(*) FROM activation_decision_2026_05") != [(0,)]
    assert len(_rows(engine, "SELECT id FROM refusal")) == 3
