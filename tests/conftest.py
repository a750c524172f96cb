"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
WORKBRIDGE_DATABASE_URL points at one), a fixed clock, the app, a client and role tokens."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, create_engine, inspect, make_url, text

from kernel.auth import Role, TokenCache, issue_token
from kernel.clock import FixedClock
from kernel.db import make_engine, session_scope
from kernel.loop_reads import LoopReads
from kernel.policy import load_profile
from kernel.settings import Settings, normalise_database_url
from workbridge import migrations
from workbridge.app import capacity_of, create_app, service_engine
from workbridge.loopback_cluster import Cluster, start_primary

SHANGHAI = ZoneInfo("Asia/Shanghai")
GIVEN_URL = normalise_database_url(os.environ.get("WORKBRIDGE_DATABASE_URL", ""))
ON_POSTGRES = GIVEN_URL.startswith("postgresql")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Each pytest-xdist worker (``-n 2``) has a database of its own beside the one given, because
# the tests empty every table before they start, which two workers cannot do in one database;
# what the tests start (commands, servers) reads the worker's from the environment.
PG_URL = (
    make_url(GIVEN_URL)
    .set(database=f"{make_url(GIVEN_URL).database}_{_WORKER}")
    .render_as_string(hide_password=False)
    if ON_POSTGRES and _WORKER
    else GIVEN_URL
)
if ON_POSTGRES:
    os.environ["WORKBRIDGE_DATABASE_URL"] = PG_URL


def pytest_configure(config: pytest.Config) -> None:
    """pytest-xdist starts its workers with ``COLUMNS=80``, which the commands' console reads
    once, when it is made; the tests that read a command's table set their own width."""
    if _WORKER:
        os.environ.pop("COLUMNS", None)


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + PG_URL.split('@')[-1] if ON_POSTGRES else 'SQLite'}"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _create_afresh(url: str) -> None:
    """Drop and create the database ``url`` names, through the one the suite was given."""
    name = make_url(url).database
    admin = create_engine(GIVEN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the Alembic head: the migrations themselves build every test's schema."""
    if ON_POSTGRES:
        if PG_URL != GIVEN_URL:
            _create_afresh(PG_URL)  # a new database: nothing to reset
        else:
            _reset_postgres(PG_URL)
        migrations.upgrade(PG_URL, quiet=True)
        return PG_URL
    template = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{template}", quiet=True)
    return str(template)


@pytest.fixture
def database_url(migrated: str, tmp_path: Path) -> str:
    if ON_POSTGRES:
        engine = create_engine(migrated)
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        with engine.begin() as connection:
            # TRUNCATE fires no row triggers, so the append-only audit log can be emptied here.
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return migrated
    target = tmp_path / "workbridge.db"
    shutil.copyfile(migrated, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 2, 20, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture(scope="session")
def shared_app(migrated: str) -> Litestar:
    """One application for the session (building it is the slow part); each test gives it its
    own database, clock, settings and policy through the application state."""
    return create_app(Settings(database_url="sqlite://"), clock=FixedClock(datetime.now(SHANGHAI)))


@pytest.fixture
def app(shared_app: Litestar, settings: Settings, clock: FixedClock) -> Iterator[Litestar]:
    state = shared_app.state
    state.settings = settings
    state.engine = service_engine(settings)
    state.capacity = capacity_of(settings)
    state.loop_reads = LoopReads(state.engine, settings.db_wait_seconds, settings.queue_seconds)
    state.token_cache = TokenCache(settings.token_cache_seconds)
    state.clock = clock
    state.policy = load_profile(settings.policy_profile)
    yield shared_app
    state.engine.dispose()


# The threads (``kernel.background.Every``) that keep a served process's memory current.
FOLLOWERS = ("policy-versions", "replica-lag", "training-clock")


@pytest.fixture(autouse=True)
def no_follower_outlives_its_test() -> Iterator[None]:
    """A follower left running goes on writing into the shared application: a parameter-version
    follower wrote its profile's book whenever the versions it last saw changed, which, in a
    database emptied for the next test, was that test's book (a national-profile story once ran
    under the pilot's)."""
    before = set(_followers())
    yield
    left = sorted(thread.name for thread in _followers() if thread not in before)
    assert not left, f"still running after the test: {', '.join(left)}"


def _followers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name in FOLLOWERS and t.is_alive()]


@pytest.fixture
def engine(app: Litestar) -> Engine:
    return app.state.engine


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class Tokens:
    """Role → raw token, plus a second benefit officer for four-eyes decisions."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.raw: dict[str, str] = {}
        with session_scope(engine) as session:
            for role in Role:
                provider = 1 if role is Role.TRAINING_PROVIDER else None
                _, raw = issue_token(
                    session, role=role, name=f"test {role.value}", now=now, provider_id=provider
                )
                self.raw[role.value] = raw
            _, self.raw["benefit_officer_2"] = issue_token(
                session, role=Role.BENEFIT_OFFICER, name="second officer", now=now
            )

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.raw[role]}"}


@pytest.fixture
def tokens(engine: Engine, clock: FixedClock) -> Tokens:
    return Tokens(engine, clock.now())


@pytest.fixture
def officer(tokens: Tokens) -> dict[str, str]:
    return tokens.headers("benefit_officer")


def fresh_engine(url: str) -> Engine:
    return make_engine(url)


@pytest.fixture(scope="module")
def server() -> Iterator[Cluster]:
    """A PostgreSQL server of the test module's own, started on loopback from Debian's
    binaries (``workbridge.loopback_cluster``): for tests of what only a real server shows
    (partitions, triggers, races), in the SQLite run of the suite too."""
    primary = start_primary()
    yield primary
    primary.remove()
