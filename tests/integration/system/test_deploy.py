"""The deploy/ folder works as shipped: PgBouncer from deploy/pgbouncer in front of a real
PostgreSQL with the service behind it, nginx from deploy/nginx in front of a real `workbridge
serve`, and systemd units that name commands the service has."""

from __future__ import annotations

import configparser
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.clock import FixedClock
from kernel.db import make_engine
from kernel.locks import _unpooled_engine, advisory_lock_held, try_lock
from kernel.settings import Settings, SettingsError
from tests.conftest import SHANGHAI, Tokens
from tests.support import pay_month
from workbridge import migrations
from workbridge.app import create_app
from workbridge.cli import main
from workbridge.loopback_cluster import Bouncer, Cluster, free_port, start_pgbouncer, start_primary

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def bounced() -> Iterator[tuple[Cluster, Bouncer]]:
    """A primary with the service's schema, and PgBouncer as shipped in front of it, with two
    server connections so that consecutive transactions of one client meet different ones."""
    primary = start_primary()
    bouncer = None
    try:
        migrations.upgrade(primary.create_database("workbridge"), quiet=True)
        bouncer = start_pgbouncer(
            primary, DEPLOY / "pgbouncer" / "pgbouncer.ini", default_pool_size="2"
        )
        yield primary, bouncer
    finally:
        if bouncer is not None:
            bouncer.stop()
        primary.remove()


def _same_statement_from_threads(engine, threads: int = 6, each: int = 40) -> list[str]:
    errors: list[str] = []

    def work() -> None:
        for number in range(each):
            try:
                with engine.begin() as connection:
                    connection.execute(
                        text("SELECT count(*) FROM pg_class WHERE oid > :n"), {"n": number}
                    ).scalar()
            except Exception as failure:
                errors.append(type(failure).__name__)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def test_behind_pgbouncer_the_service_keeps_nothing_in_the_session(bounced) -> None:
    primary, bouncer = bounced
    direct = primary.url("workbridge")
    # As a plain PostgreSQL client: refused for its startup parameter (the lock wait), and,
    # without it, psycopg's prepared statements meet other clients' on shared server
    # connections.
    refused = make_engine(bouncer.url(), bound_lock_waits=True)
    with pytest.raises(Exception, match="unsupported startup parameter"):
        refused.connect().close()
    refused.dispose()
    plain = make_engine(bouncer.url(), pool_size=6)
    assert _same_statement_from_threads(plain)  # DuplicatePreparedStatement and the like
    plain.dispose()
    # With WORKBRIDGE_DATABASE_POOLER=transaction: none of that, and the lock wait still set.
    pooled = make_engine(
        bouncer.url(),
        pool_size=6,
        wait_seconds=5,
        bound_lock_waits=True,
        pooler="transaction",
        direct=direct,
    )
    assert _same_statement_from_threads(pooled) == []
    with pooled.begin() as connection:
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "5s"
    pooled.dispose()


def test_the_service_runs_and_pays_through_pgbouncer(bounced) -> None:
    primary, bouncer = bounced
    direct = primary.url("workbridge")
    month = Month(2026, 3)
    settings = Settings(
        database_url=bouncer.url(),
        database_pooler="transaction",
        direct_database_url=direct,
    )
    app = create_app(settings, clock=FixedClock(NOW))
    with TestClient(app) as client:
        engine = app.state.engine
        generate(engine, 20, month, app.state.policy.at(month.first).version_id, seed=7)
        tokens = Tokens(engine, NOW)
        officer = tokens.headers("benefit_officer")
        # The payment run's lock is a session lock: it lives on a direct connection.
        assert _unpooled_engine(engine).url.port == primary.port
        held = try_lock(engine, "payment-run")
        assert held is not None
        with make_engine(direct).connect() as watcher:
            assert advisory_lock_held(watcher, "payment-run")
        held.release()
        run = pay_month(client, officer, "2026-03")
        assert run["lines"] > 0
        for _ in range(30):  # many short transactions over two server connections
            listed = client.get("/api/v1/payments/runs", headers=officer)
            assert listed.status_code == 200, listed.text
        health = client.get("/health").json()
        assert (health["status"], health["database"]) == ("ok", "ok")
        # The status check's reads on the event loop (asyncpg) go through the pooler too.
        with engine.connect() as connection:
            someone = connection.execute(text("SELECT national_id FROM member LIMIT 1")).scalar()
        for _ in range(10):
            status = client.get(f"/api/v1/status/{someone}", headers=officer)
            assert status.status_code == 200, status.text
        assert app.state.loop_reads.on_loop


def test_migrations_and_backups_run_with_the_pooler_settings(
    bounced, tmp_path, monkeypatch
) -> None:
    """Work that needs a session of its own (DDL in one transaction, pg_dump's exported
    snapshot) takes the direct URL when a pooler is named."""
    primary, bouncer = bounced
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", bouncer.url())
    monkeypatch.setenv("WORKBRIDGE_DATABASE_POOLER", "transaction")
    monkeypatch.setenv("WORKBRIDGE_DIRECT_DATABASE_URL", primary.url("workbridge"))
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["db", "upgrade"]) == 0
    copy = tmp_path / "province.dump"
    assert main(["backup", str(copy)]) == 0
    assert copy.stat().st_size > 0
    assert Settings.from_env().session_database_url == primary.url("workbridge")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"WORKBRIDGE_DATABASE_POOLER": "session"}, "none or transaction"),
        (
            {"WORKBRIDGE_DATABASE_POOLER": "transaction"},
            "for PostgreSQL behind PgBouncer",
        ),
        (
            {
                "WORKBRIDGE_DATABASE_URL": "postgresql://wb@pooler:6432/wb",
                "WORKBRIDGE_DATABASE_POOLER": "transaction",
            },
            "needs WORKBRIDGE_DIRECT_DATABASE_URL",
        ),
        (
            {
                "WORKBRIDGE_DATABASE_URL": "postgresql://wb@pooler:6432/wb",
                "WORKBRIDGE_DATABASE_POOLER": "transaction",
                "WORKBRIDGE_DIRECT_DATABASE_URL": "sqlite:///x.db",
            },
            "names the PostgreSQL database directly",
        ),
    ],
)
def test_pooler_settings_are_checked_at_start(env: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(env)


def test_pooler_settings_name_both_paths() -> None:
    settings = Settings.from_env(
        {
            "WORKBRIDGE_DATABASE_URL": "postgres://wb@pooler:6432/wb",
            "WORKBRIDGE_DATABASE_POOLER": "Transaction",
            "WORKBRIDGE_DIRECT_DATABASE_URL": "postgres://wb@db:5432/wb",
        }
    )
    assert settings.database_pooler == "transaction"
    assert settings.direct_database_url == "postgresql+psycopg://wb@db:5432/wb"
    assert Settings.from_env({}).database_pooler == "none"


# --- nginx -----------------------------------------------------------------------------------


def _certificate(folder: Path) -> tuple[Path, Path]:
    key, cert = folder / "site.key", folder / "site.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


def _site(folder: Path, serve_port: int, http: int, https: int) -> Path:
    """The shipped site with this machine's ports, certificate and static folder."""
    key, cert = _certificate(folder)
    static = Path(__file__).resolve().parents[3] / "workbridge" / "pages" / "static"
    site = (DEPLOY / "nginx" / "workbridge.conf").read_text()
    for shipped, here in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{serve_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/ssl/certs/workbridge.pem", str(cert)),
        ("/etc/ssl/private/workbridge.key", str(key)),
        ("/opt/workbridge/workbridge/pages/static/", f"{static}/"),
    ]:
        assert shipped in site, shipped
        site = site.replace(shipped, here)
    (folder / "site.conf").write_text(site)
    main = folder / "nginx.conf"
    main.write_text(
        f"user root;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {folder}/body;\n"
        f"  proxy_temp_path {folder}/proxy;\n  include /etc/nginx/mime.types;\n"
        f"  include {folder}/site.conf;\n}}\n"
    )
    return main


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    """`workbridge serve` on SQLite with the demo-free schema, on a loopback port."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    migrations.upgrade(url, quiet=True)
    port = free_port()
    env = {**os.environ, "WORKBRIDGE_DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbridge.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
            time.sleep(0.1)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_nginx_serves_the_site_as_shipped(tmp_path: Path, served: int) -> None:
    http, https = free_port(), free_port()
    main = _site(tmp_path, served, http, https)
    checked = subprocess.run(
        ["nginx", "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen(
        ["nginx", "-c", str(main), "-p", str(tmp_path), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"https://127.0.0.1:{https}"
        with httpx.Client(verify=False, timeout=30) as client:
            deadline = time.monotonic() + 15
            while True:
                try:
                    health = client.get(f"{base}/health")
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            assert health.status_code == 200 and health.json()["database"] == "ok"
            assert "max-age=31536000" in health.headers["strict-transport-security"]
            moved = client.get(f"http://127.0.0.1:{http}/app/login")
            assert moved.status_code == 301
            assert moved.headers["location"].startswith("https://")
            static = client.get(f"{base}/static/app.css")
            assert static.status_code == 200 and "expires" in static.headers  # nginx's own
            page = client.get(f"{base}/app/login")
            assert page.status_code == 200 and "<form" in page.text
            # A body past the shipped limit (50 MB) is refused by nginx before the service.
            too_big = client.post(f"{base}/api/v1/roll/checks", content=b"x" * (51 * 1024 * 1024))
            assert too_big.status_code == 413
            # /metrics relayed by the proxy is not this machine's own: refused without a token.
            assert client.get(f"{base}/metrics").status_code == 403
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=30)


# --- systemd ---------------------------------------------------------------------------------


UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_each_unit_runs_a_command_the_service_has(unit: Path) -> None:
    config = configparser.ConfigParser(interpolation=None, strict=False)
    config.optionxform = str  # type: ignore[assignment,method-assign]
    config.read(unit)
    service = config["Service"]
    assert service["EnvironmentFile"] == "/etc/workbridge/workbridge.env"
    assert service["User"] == "workbridge"
    words = shlex.split(service["ExecStart"])
    if words[0] == "/bin/sh":  # the backup names its file by the date
        words = shlex.split(words[-1].removeprefix("exec "))
    assert words[0] == "/opt/workbridge/.venv/bin/workbridge"
    command = [w for w in words[1:] if not w.startswith("-") and not w.isdigit()]
    command = [w for w in command if w not in ("127.0.0.1",) and "/" not in w]
    shown = subprocess.run(
        [sys.executable, "-m", "workbridge.cli", *command, "--help"],
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    for option in (w.split("=")[0] for w in words[1:] if w.startswith("--")):
        assert option in shown.stdout, f"{unit.name}: {option} is not an option of {command}"


def test_the_environment_file_holds_only_settings_the_service_reads() -> None:
    names = [
        line.split("=", 1)[0]
        for line in (DEPLOY / "workbridge.env").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert names and all(name.startswith("WORKBRIDGE_") for name in names)
    values = dict(
        line.split("=", 1)
        for line in (DEPLOY / "workbridge.env").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    settings = Settings.from_env(values)  # every value is one the settings accept
    assert settings.database_pooler == "transaction"
    assert settings.read_database_url is not None
    assert settings.log_format == "json"
    readme = (DEPLOY.parent / "README.md").read_text()
    for name in names:
        assert f"`{name}`" in readme, f"{name} is not in the README's settings"
