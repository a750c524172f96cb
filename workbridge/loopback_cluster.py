"""PostgreSQL clusters on loopback from Debian's binaries: a primary and its streaming replicas.

The province set-up (docs/DEPLOYMENT.md) is proven on one machine with real servers, not with a
stand-in: the read-replica tests, the deployment drill and ``bench province`` start a primary
with WAL for replication, take a replica from it with ``pg_basebackup -R`` (a hot standby that
streams from the primary), and stop both when done. Each cluster lives in a folder of its own
under the system's temporary folder, on a free port, and listens on 127.0.0.1 only.

PostgreSQL refuses to run as root; when this runs as root (a CI container) the server commands
run as the ``postgres`` account Debian's package creates, which then owns the folders.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROLE = "workbridge"

# Settings for a throwaway cluster on a shared machine: durable enough to replicate, not to
# survive a power cut (fsync off), and small.
PRIMARY_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "wal_level": "replica",
    "max_wal_senders": "5",
    "max_replication_slots": "5",
    "hot_standby": "on",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
}


class ClusterError(RuntimeError):
    """A server command failed; the message carries what it printed."""


def pg_bin() -> Path:
    """The newest PostgreSQL installed from Debian's packages."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_major)
    if not found:
        raise ClusterError("PostgreSQL is not installed (Debian's postgresql package)")
    return found[-1].parent


def _major(path: Path) -> int:
    name = path.parent.parent.name
    return int(name) if name.isdigit() else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def as_server(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], timeout: float = 120) -> str:
    done = subprocess.run(
        as_server(command), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise ClusterError(f"{' '.join(command[:2])} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def own_folder(prefix: str) -> Path:
    """A folder under the temporary folder the server account may write."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


@dataclass
class Cluster:
    """One running server: its data folder and port."""

    data: Path
    port: int
    role: str = "primary"
    bin: Path = field(default_factory=pg_bin)

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{ROLE}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=ROLE, dbname=database, autocommit=True
        )

    def scalar(self, statement: str, database: str = "postgres") -> object:
        with self.connect(database) as connection:
            cursor = connection.execute(statement)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None

    def create_database(self, name: str) -> str:
        with self.connect() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> Cluster:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        _run(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data / "data"),
                "-l",
                str(self.data / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ]
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` is a crash); its folder stays until ``remove``."""
        data = str(self.data / "data")
        subprocess.run(
            as_server([str(self.bin / "pg_ctl"), "-D", data, "-m", mode, "stop"]),
            capture_output=True,
            timeout=120,
            check=False,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.data / "server.log").read_text(errors="replace")
        except OSError:
            return ""


def start_primary(settings: dict[str, str] | None = None) -> Cluster:
    """A new primary on a free port, ready to stream to replicas (``start_replica``)."""
    bin_dir = pg_bin()
    folder = own_folder("workbridge-primary-")
    _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            ROLE,
            "--auth=trust",  # loopback only; initdb's pg_hba admits replication from it too
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    lines = [
        f"{key} = '{value}'" for key, value in {**PRIMARY_SETTINGS, **(settings or {})}.items()
    ]
    _append(folder / "data" / "postgresql.conf", lines)
    return Cluster(folder, free_port(), "primary", bin_dir).start()


def start_replica(primary: Cluster) -> Cluster:
    """A hot standby of ``primary``: a base backup taken over the replication protocol, with
    ``-R`` writing the connection it streams from, started on a port of its own."""
    folder = base_backup(primary, "workbridge-replica-", standby=True)
    replica = Cluster(folder, free_port(), "replica", primary.bin).start()
    _wait_streaming(primary)
    return replica


def start_archiving_primary() -> tuple[Cluster, Path]:
    """A primary that copies every finished WAL segment to an archive folder (the
    ``archive_command`` of deploy/postgresql, pointed at a folder of its own here)."""
    archive = own_folder("workbridge-wal-archive-")
    primary = start_primary(
        {
            "archive_mode": "on",
            "archive_command": f"test ! -f {archive}/%f && cp %p {archive}/%f",
        }
    )
    return primary, archive


def base_backup(primary: Cluster, prefix: str = "workbridge-base-", standby: bool = False) -> Path:
    """A base backup of ``primary`` (``pg_basebackup``, the WAL it needs streamed with it);
    with ``standby``, ready to start as a replica that streams from it (``-R``)."""
    folder = own_folder(prefix)
    command = [str(primary.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port)]
    command += ["-U", ROLE, "-D", str(folder / "data"), "-X", "stream", "-c", "fast"]
    _run([*command, "-R"] if standby else command, timeout=300)
    return folder


def recover(base: Path, archive: Path, target_time: str, seconds: float = 120) -> Cluster:
    """A new cluster from ``base`` with the archive's WAL replayed up to ``target_time``
    (``recovery_target_time``, inclusive), then promoted: point-in-time recovery as
    docs/DEPLOYMENT.md describes it."""
    bin_dir = pg_bin()
    folder = own_folder("workbridge-recovered-")
    _run(["cp", "-a", str(base / "data"), str(folder / "data")])
    settings = [
        f"restore_command = 'cp {archive}/%f %p'",
        f"recovery_target_time = '{target_time}'",
        "recovery_target_action = 'promote'",
    ]
    _run(
        [
            "sh",
            "-c",
            f"cat >> {folder}/data/postgresql.auto.conf <<'END'\n" + "\n".join(settings) + "\nEND",
        ]
    )
    _run(["touch", str(folder / "data" / "recovery.signal")])
    cluster = Cluster(folder, free_port(), "recovered", bin_dir).start()
    deadline = time.monotonic() + seconds
    while cluster.scalar("SELECT pg_is_in_recovery()"):
        if time.monotonic() > deadline:
            raise ClusterError(f"recovery did not finish: {cluster.log()[-2000:]}")
        time.sleep(0.1)
    return cluster


def _wait_streaming(primary: Cluster, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if primary.scalar("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"):
            return
        time.sleep(0.1)
    raise ClusterError("the replica did not start streaming from the primary")


def _append(path: Path, lines: list[str]) -> None:
    # Written by the server account's tools; appended here as the same account would.
    text = path.read_text() + "\n" + "\n".join(lines) + "\n"
    path.write_text(text)


@dataclass
class Bouncer:
    """PgBouncer running in front of a cluster, from a configuration file of ours."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    def url(self, database: str = "workbridge") -> str:
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.folder / "pgbouncer.log").read_text(errors="replace")
        except OSError:
            return ""


def start_pgbouncer(
    cluster: Cluster, template: Path, database: str = "workbridge", **overrides: str
) -> Bouncer:
    """PgBouncer from ``template`` (deploy/pgbouncer/pgbouncer.ini) with its addresses, files
    and authentication pointed at ``cluster`` on loopback; every other setting as shipped,
    ``overrides`` aside."""
    import configparser

    folder = own_folder("workbridge-pgbouncer-")
    config = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    config.optionxform = str  # type: ignore[assignment,method-assign]
    config.read(template)
    config["databases"] = {
        database: f"host=127.0.0.1 port={cluster.port} dbname={database} user={ROLE}"
    }
    port = free_port()
    settings = config["pgbouncer"]
    settings.update(
        {
            "listen_addr": "127.0.0.1",
            "listen_port": str(port),
            "unix_socket_dir": str(folder),
            "auth_type": "trust",
            "auth_file": str(folder / "userlist.txt"),
            "logfile": str(folder / "pgbouncer.log"),
            "pidfile": str(folder / "pgbouncer.pid"),
            "admin_users": ROLE,
            **overrides,
        }
    )
    (folder / "userlist.txt").write_text(f'"{ROLE}" ""\n')
    with (folder / "pgbouncer.ini").open("w") as handle:
        config.write(handle)
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    process = subprocess.Popen(
        as_server([binary, str(folder / "pgbouncer.ini")]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bouncer = Bouncer(folder, port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClusterError(f"pgbouncer stopped: {bouncer.log()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return bouncer
        except OSError:
            time.sleep(0.05)
    bouncer.stop()
    raise ClusterError("pgbouncer did not start listening")
