"""Reads on a real streaming replica (kernel.replica): a primary and a hot standby started on
loopback from Debian's PostgreSQL, the replica's replay paused and resumed to make it lag."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from datetime import datetime

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from kernel.clock import FixedClock
from kernel.db import make_engine
from kernel.replica import (
    READ_AFTER_COOKIE,
    READ_AFTER_HEADER,
    RecentWrites,
    add_mark,
    command_reader,
    format_position,
    lag_behind,
    lag_seconds,
    parse_position,
)
from kernel.settings import Settings, SettingsError
from tests.conftest import SHANGHAI, Tokens
from tests.support import create_household, household, mother_and_child
from workbridge import migrations
from workbridge.app import create_app
from workbridge.cli import main
from workbridge.loopback_cluster import Cluster, free_port, start_primary, start_replica

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
SCRAPE = {"Authorization": "Bearer scrape"}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Cluster, Cluster, str, str]]:
    primary = start_primary()
    replica = None
    try:
        url = primary.create_database("workbridge")
        migrations.upgrade(url, quiet=True)
        replica = start_replica(primary)
        # A commit replayed since the replica started: until then it cannot tell its lag (no
        # replay time) and, once behind, is rightly not read from.
        primary.scalar("CREATE TABLE replayed_once ()", "workbridge")
        _caught_up(primary, replica)
        yield primary, replica, url, replica.url("workbridge")
    finally:
        if replica is not None:
            replica.remove()
        primary.remove()


def _caught_up(primary: Cluster, replica: Cluster) -> None:
    target = parse_position(str(primary.scalar("SELECT pg_current_wal_insert_lsn()::text")))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = parse_position(str(replica.scalar("SELECT pg_last_wal_replay_lsn()::text")))
        if done is not None and target is not None and done >= target:
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


@pytest.fixture
def paused(pair: tuple[Cluster, Cluster, str, str]) -> Iterator[Cluster]:
    """The replica with its replay paused: it receives the primary's WAL but applies none."""
    primary, replica, _, _ = pair
    _caught_up(primary, replica)
    replica.scalar("SELECT pg_wal_replay_pause()")
    try:
        yield replica
    finally:
        replica.scalar("SELECT pg_wal_replay_resume()")
        _caught_up(primary, replica)


def _app(primary_url: str, replica_url: str, max_lag: float = 60.0):
    settings = Settings(
        database_url=primary_url,
        read_database_url=replica_url,
        replica_max_lag_seconds=max_lag,
        metrics_token="scrape",
    )
    return create_app(settings, clock=FixedClock(NOW))


def test_reads_go_to_the_replica_and_a_writer_reads_its_own_writes(pair, paused) -> None:
    primary, replica, primary_url, replica_url = pair
    app = _app(primary_url, replica_url)
    with TestClient(app) as client:
        tokens = Tokens(app.state.engine, NOW)
        officer, counsellor = tokens.headers("benefit_officer"), tokens.headers("counsellor")
        app.state.replica.check()
        assert app.state.replica.state.usable  # paused, but within a minute of the primary

        body = household(*mother_and_child())
        created = client.post("/api/v1/households", json=body, headers=officer)
        assert created.status_code == 201, created.text
        position = created.headers[READ_AFTER_HEADER]
        assert parse_position(position) is not None
        assert created.cookies.get(READ_AFTER_COOKIE) == position
        client.cookies.clear()
        path = f"/api/v1/households/{created.json()['id']}"
        app.state.replica.check()

        # Another reader, carrying no position, reads the replica: the household is not there.
        assert client.get(path, headers=counsellor).status_code == 404
        # The writer reads its own write: by this process's memory of the account,
        assert client.get(path, headers=officer).status_code == 200
        # and, from any process, by the position it was handed (header or cookie).
        fresh = {**counsellor, READ_AFTER_HEADER: position}
        assert client.get(path, headers=fresh).status_code == 200
        client.cookies.set(READ_AFTER_COOKIE, position)
        assert client.get(path, headers=counsellor).status_code == 200
        client.cookies.clear()
        # The status check, read on the event loop, follows the same rules.
        mother = body["members"][0]["national_id"]
        second = tokens.headers("benefit_officer_2")
        on_replica = client.get(f"/api/v1/status/{mother}", headers=second)
        on_primary = client.get(
            f"/api/v1/status/{mother}", headers={**second, READ_AFTER_HEADER: position}
        )
        assert on_replica.status_code == 404, on_replica.text  # not replayed yet
        assert on_primary.status_code != 404, on_primary.text

        replica.scalar("SELECT pg_wal_replay_resume()")
        _caught_up(primary, replica)
        app.state.replica.check()
        assert app.state.replica.state.lag_seconds == 0.0
        assert client.get(path, headers=counsellor).status_code == 200  # replayed
        health = client.get("/health").json()
        assert (health["replica"], health["replica_lag_seconds"]) == ("ok", 0.0)
        figures = client.get("/metrics", headers=SCRAPE).text
        assert "workbridge_replica_in_use 1.0" in figures
        assert "workbridge_replica_lag_seconds 0.0" in figures


def test_a_replica_lagging_past_the_setting_is_skipped(pair, paused) -> None:
    _, _, primary_url, replica_url = pair
    app = _app(primary_url, replica_url, max_lag=0.5)
    with TestClient(app) as client:
        tokens = Tokens(app.state.engine, NOW)
        created = create_household(
            client, tokens.headers("benefit_officer"), household(*mother_and_child())
        )
        time.sleep(1.0)  # the replica has replayed nothing since: over half a second behind
        health = client.get("/health")
        assert health.status_code == 200  # the service is up; only the replica is not used
        assert health.json()["replica"] == "lagging"
        assert health.json()["replica_lag_seconds"] > 0.5
        assert not app.state.replica.state.usable
        client.cookies.clear()
        read = client.get(
            f"/api/v1/households/{created['id']}", headers=tokens.headers("counsellor")
        )
        assert read.status_code == 200  # from the primary
        assert "workbridge_replica_in_use 0.0" in client.get("/metrics", headers=SCRAPE).text


def test_a_replica_that_is_away_leaves_reads_to_the_primary(pair) -> None:
    _, _, primary_url, _ = pair
    nowhere = f"postgresql+psycopg://workbridge@127.0.0.1:{free_port()}/workbridge"
    app = _app(primary_url, nowhere)
    with TestClient(app) as client:
        tokens = Tokens(app.state.engine, NOW)
        created = create_household(
            client, tokens.headers("benefit_officer"), household(*mother_and_child())
        )
        health = client.get("/health")
        assert (health.status_code, health.json()["status"]) == (200, "ok")
        assert (health.json()["replica"], health.json()["replica_lag_seconds"]) == (
            "unreachable",
            None,
        )
        read = client.get(
            f"/api/v1/households/{created['id']}", headers=tokens.headers("counsellor")
        )
        assert read.status_code == 200


def test_a_primary_named_as_the_replica_is_not_read_as_one(pair) -> None:
    _, _, primary_url, _ = pair
    app = _app(primary_url, primary_url)
    with TestClient(app) as client:
        assert client.get("/health").json()["replica"] == "not-a-replica"
        assert app.state.replica.engine_for(None) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0/0", 0),
        ("0/1", 1),
        ("16/B374D848", 0x16 << 32 | 0xB374D848),
        ("FFFFFFFF/FFFFFFFF", (1 << 64) - 1),
        ("", None),
        (None, None),
        ("16", None),
        ("1/2/3", None),
        ("G/0", None),
        ("1/" + "0" * 20, None),  # longer than any position
    ],
)
def test_positions_are_read_as_numbers(text: str | None, number: int | None) -> None:
    assert parse_position(text) == number
    if number is not None:
        assert parse_position(format_position(number)) == number


@pytest.mark.parametrize(
    ("primary", "replica"),
    [
        ("sqlite:///workbridge.db", "postgresql://workbridge@127.0.0.1:5433/workbridge"),
        ("postgresql://workbridge@127.0.0.1:5432/wb", "sqlite:///copy.db"),
    ],
)
def test_a_replica_is_postgresql_beside_postgresql(primary: str, replica: str) -> None:
    env = {"WORKBRIDGE_DATABASE_URL": primary, "WORKBRIDGE_READ_DATABASE_URL": replica}
    with pytest.raises(SettingsError, match="WORKBRIDGE_READ_DATABASE_URL"):
        Settings.from_env(env)


def test_settings_name_the_replica_and_its_lag() -> None:
    settings = Settings.from_env(
        {
            "WORKBRIDGE_DATABASE_URL": "postgres://workbridge@db1/wb",
            "WORKBRIDGE_READ_DATABASE_URL": "postgres://workbridge@db2/wb",
            "WORKBRIDGE_REPLICA_MAX_LAG_SECONDS": "2.5",
        }
    )
    assert settings.read_database_url == "postgresql+psycopg://workbridge@db2/wb"
    assert settings.replica_max_lag_seconds == 2.5
    assert Settings.from_env({}).read_database_url is None
    with pytest.raises(SettingsError):
        Settings.from_env({"WORKBRIDGE_REPLICA_MAX_LAG_SECONDS": "-1"})


def test_a_write_is_remembered_only_as_long_as_a_replica_may_lag(monkeypatch) -> None:
    recent = RecentWrites(keep_seconds=30)
    now = [1000.0]
    monkeypatch.setattr("kernel.replica.time.monotonic", lambda: now[0])
    recent.wrote(("token", 7), 42)
    assert recent.position(("token", 7)) == 42
    assert recent.position(("token", 8)) is None
    now[0] += 30
    assert recent.position(("token", 7)) == 42  # the last moment
    now[0] += 0.001
    assert recent.position(("token", 7)) is None


@pytest.mark.parametrize(
    ("streaming", "received", "replayed", "since", "lag"),
    [
        (True, 100, 100, 300.0, 0.0),  # streaming, all received replayed: an idle primary
        (True, 100, 99, 3.0, 3.0),  # replaying what it has received
        (True, 100, 99, None, None),  # no commit replayed since it started: unknown
        (True, None, 99, 2.0, 2.0),
        (False, 100, 100, 300.0, 300.0),  # cut off: as old as its last commit
        (True, 100, None, 1.0, None),  # never replayed anything
        (True, 100, 99, -0.5, 0.0),  # clocks a little apart: never negative
    ],
)
def test_the_lag_is_told_from_what_the_replica_knows(
    streaming, received, replayed, since, lag
) -> None:
    assert (
        lag_seconds(streaming=streaming, received=received, replayed=replayed, since_replay=since)
        == lag
    )


MARKS = [(10.0, 100), (11.0, 150), (12.0, 150), (13.0, 400)]


@pytest.mark.parametrize(
    ("marks", "replayed", "lag"),
    [
        (MARKS, 400, 0.0),  # all the primary had written at the newest mark
        (MARKS, 401, 0.0),  # past it (written since the mark)
        (MARKS, 399, 1.0),  # a moment behind: has what was written a second before
        (MARKS, 150, 1.0),  # the newest mark at or below it counts, not the first
        (MARKS, 149, 3.0),
        (MARKS, 100, 3.0),  # exactly the oldest mark
        (MARKS, 99, None),  # behind every mark kept
        ([], 500, None),  # nothing asked of the primary yet
        ([(5.0, 100)], 100, 0.0),  # one mark, reached
        ([(5.0, 100)], 99, None),  # one mark, not reached
    ],
)
def test_the_lag_is_told_from_the_primarys_marks(marks, replayed, lag) -> None:
    assert lag_behind(marks, replayed) == lag


def test_a_write_is_answered_even_when_its_position_cannot_be_read(pair, monkeypatch) -> None:
    _, _, primary_url, replica_url = pair
    app = _app(primary_url, replica_url)
    with TestClient(app) as client:
        tokens = Tokens(app.state.engine, NOW)

        def away() -> int:
            raise ConnectionError("the primary went away after the commit")

        monkeypatch.setattr(app.state.replica, "primary_position", away)
        created = client.post(
            "/api/v1/households",
            json=household(*mother_and_child()),
            headers=tokens.headers("benefit_officer"),
        )
        assert created.status_code == 201, created.text  # committed, and told so
        assert READ_AFTER_HEADER not in created.headers


# --- a read-only command (kernel.replica.command_reader) --------------------------------------


def test_a_command_reads_the_replica_once_it_has_what_the_primary_had(pair) -> None:
    _, _, primary_url, replica_url = pair
    engine = make_engine(primary_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS command_mark (n int)"))
            connection.execute(text("INSERT INTO command_mark VALUES (1)"))
        with command_reader(engine, replica_url, max_lag_seconds=5) as read:
            assert (read.on_replica, read.why) == (True, "replica")
            with read.engine.connect() as connection:
                # What was committed before the command began is there to read.
                assert connection.execute(text("SELECT count(*) FROM command_mark")).scalar()
                assert connection.execute(text("SELECT pg_is_in_recovery()")).scalar()
    finally:
        engine.dispose()


def test_a_command_reads_the_primary_when_the_replica_does_not_catch_up(pair, paused) -> None:
    _, _, primary_url, replica_url = pair
    engine = make_engine(primary_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS command_mark (n int)"))
            connection.execute(text("INSERT INTO command_mark VALUES (2)"))
        started = time.monotonic()
        with command_reader(engine, replica_url, max_lag_seconds=0.5) as read:
            waited = time.monotonic() - started
            assert (read.on_replica, read.why) == (False, "behind")
            assert read.engine is engine
        assert waited >= 0.5  # it gave the replica the lag setting's time first
    finally:
        engine.dispose()


def test_a_command_reads_the_primary_without_a_usable_replica(pair) -> None:
    _, _, primary_url, _ = pair
    engine = make_engine(primary_url)
    away = f"postgresql+psycopg://workbridge@127.0.0.1:{free_port()}/workbridge"
    try:
        for url, why in (
            (None, "no-replica"),
            (away, "unreachable"),
            (primary_url, "not-a-replica"),
        ):
            with command_reader(engine, url, max_lag_seconds=5, wait_seconds=2) as read:
                assert (read.on_replica, read.why, read.engine) == (False, why, engine)
    finally:
        engine.dispose()


def test_the_roll_is_exported_from_the_replica_or_else_the_primary(
    pair, tmp_path, monkeypatch, capsys
) -> None:
    primary, replica, _, _ = pair
    # A database of its own: the demo loads into an empty one only.
    primary_url = primary.create_database("roll_export")
    migrations.upgrade(primary_url, quiet=True)
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", primary_url)
    monkeypatch.setenv("WORKBRIDGE_READ_DATABASE_URL", replica.url("roll_export"))
    monkeypatch.setenv("WORKBRIDGE_REPLICA_MAX_LAG_SECONDS", "1")
    monkeypatch.setenv("COLUMNS", "200")
    _caught_up(primary, replica)
    replica.scalar("SELECT pg_wal_replay_pause()")
    try:
        assert main(["demo", "--households", "12"]) == 0  # written while the replica stands
        capsys.readouterr()
        assert main(["export", "roll", "--output", str(tmp_path / "behind.csv")]) == 0
        said = capsys.readouterr().out
        assert "read from the primary" in said and "replica" in said
    finally:
        replica.scalar("SELECT pg_wal_replay_resume()")
    assert main(["export", "roll", "--output", str(tmp_path / "caught-up.csv")]) == 0
    assert "read from the replica" in capsys.readouterr().out
    behind = (tmp_path / "behind.csv").read_text(encoding="utf-8-sig").splitlines()
    caught_up = (tmp_path / "caught-up.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(behind) > 12 and behind == caught_up  # the demo's members, both ways


@pytest.mark.parametrize(
    ("times", "kept_times"),
    [
        ([0.0], [0.0]),
        ([0.0, 0.05], [0.0, 0.05]),  # two marks: the newest is always a reading of its own
        ([0.0, 0.05, 0.09], [0.0, 0.09]),  # 0.05 was too soon after 0.0: replaced
        ([0.0, 0.05, 0.1], [0.0, 0.1]),
        ([0.0, 0.1, 0.15], [0.0, 0.1, 0.15]),  # exactly the spacing after 0.0: kept
        ([0.0, 0.1, 0.15, 0.19], [0.0, 0.1, 0.19]),
        ([0.0, 1.0, 2.0], [0.0, 1.0, 2.0]),  # once a second, as the follower marks
        ([0.0, 30.0, 60.0, 60.5], [30.0, 60.0, 60.5]),  # older than a minute: forgotten
    ],
)
def test_marks_keep_their_spacing_whatever_the_probes(times, kept_times) -> None:
    marks: deque[tuple[float, int]] = deque()
    for position, at in enumerate(times):
        add_mark(marks, at, 100 + position)
    assert [at for at, _ in marks] == kept_times
    assert marks[-1] == (times[-1], 100 + len(times) - 1)  # the newest is the latest reading


def test_a_flood_of_probes_keeps_a_minute_of_marks_small_and_the_lag_right() -> None:
    marks: deque[tuple[float, int]] = deque()
    for tick in range(120_000):  # two minutes of probes, one a millisecond
        add_mark(marks, tick / 1000, 1_000 + tick)
    assert len(marks) <= 60 / 0.1 + 2
    # A replica that has what the primary wrote 2.5 s before the newest mark lags ~2.5 s.
    lag = lag_behind(list(marks), 1_000 + 120_000 - 1 - 2_500)
    assert lag is not None and 2.4 < lag <= 2.6
