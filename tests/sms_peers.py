"""Real SMS peers for tests: Stoplight Prism serving Twilio's contract, and Debian's Kannel
(bearerbox + smsbox) with a fake phone on its fake SMSC port (SMS.md, "Real local SMS peers").

Neither is optional: when a binary is missing the tests fail with a message saying how to get
it (``.ci/run`` installs both). Each peer runs on free loopback ports of its own, is ready
only when it answers, and is stopped with SIGTERM (then SIGKILL) at the end of the session.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _binary(variable: str, default: Path, how: str) -> Path:
    path = Path(os.environ.get(variable) or default)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} is missing: {how} (or set {variable}). .ci/run installs it.", pytrace=False
        )
    return path


def _stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def _wait_until(check, what: str, timeout: float, process: subprocess.Popen[bytes], log: Path):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"{what} did not become ready:\n{tail}", pytrace=False)
        time.sleep(0.1)


# --- Prism ------------------------------------------------------------------------------------


class Prism:
    """``prism mock`` on Twilio's OpenAPI description (SMS.md pins 5.14.2 for Node 20)."""

    def __init__(self, workdir: Path) -> None:
        self.binary = _binary(
            "WORKBRIDGE_PRISM",
            REPO / "var" / "prism" / "node_modules" / ".bin" / "prism",
            "npm install --prefix var/prism @stoplight/prism-cli@5.14.2",
        )
        contract = Path(
            os.environ.get("WORKBRIDGE_TWILIO_CONTRACT")
            or REPO / "tests" / "contracts" / "twilio_api_v2010.json"
        )
        if not contract.is_file():
            pytest.fail(f"Twilio's contract {contract} is missing", pytrace=False)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "prism.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(self.binary), "mock", "-h", "127.0.0.1", "-p", str(self.port), str(contract)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def answers() -> bool:
            try:
                urllib.request.urlopen(f"{self.url}/2010-04-01/Accounts.json", timeout=2)
            except urllib.error.HTTPError:
                return True  # any HTTP answer (401 without credentials) means it is serving
            return True

        _wait_until(answers, "Prism", 120, self.process, self.log)

    def stop(self) -> None:
        _stop(self.process)


# --- Kannel -----------------------------------------------------------------------------------

KANNEL_USER, KANNEL_PASSWORD, SHORT_CODE = "workbridge", "kannel-secret", "10690000"


class FakePhone:
    """A handset on the fake SMSC's port: lines ``sender receiver type data`` both ways."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.received: queue.Queue[tuple[str, str, str]] = queue.Queue()
        self.lines: list[bytes] = []
        self.errors: list[str] = []
        self._closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        buffer = b""
        self.socket.settimeout(0.5)
        while not self._closed:
            try:
                chunk = self.socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                self.lines.append(line)
                try:
                    self.received.put(decode_mt(line.decode("ascii", "replace")))
                except (IndexError, UnicodeDecodeError) as exc:
                    self.errors.append(f"{exc!r} in {line!r}")

    def send(self, sender: str, text: str) -> None:
        """An MO message in UCS-2 (what a Chinese handset sends)."""
        data = urllib.parse.quote(text.encode("utf-16-be"))
        self.socket.sendall(f"{sender} {SHORT_CODE} ucs2 {data}\n".encode("ascii"))

    def next_message(self, timeout: float = 20.0) -> tuple[str, str, str]:
        return self.received.get(timeout=timeout)

    def close(self) -> None:
        self._closed = True
        self.socket.close()


def decode_mt(line: str) -> tuple[str, str, str]:
    """A line from the fake SMSC → (sender, receiver, text).

    ``sender receiver ucs-2 <data>`` for one part; ``sender receiver udh <udh> data <data>``
    for each part of a concatenated message (the payload is then UCS-2 here: we send Chinese
    with coding=2). Data is URL-encoded bytes, with "+" for the byte 0x20.
    """
    parts = line.split(" ")
    sender, receiver, kind = parts[0], parts[1], parts[2]
    payload = urllib.parse.unquote_to_bytes(parts[-1].replace("+", "%20"))  # "+" is a space
    if kind in ("ucs-2", "ucs2", "udh"):
        return sender, receiver, payload.decode("utf-16-be")
    return sender, receiver, payload.decode("utf-8", errors="replace")


class Kannel:
    """bearerbox + smsbox on free ports, an MO service calling our app, a fake phone."""

    def __init__(self, workdir: Path, *, app_port: int, token: str) -> None:
        how = "apt-get install kannel kannel-extras"
        bearerbox = _binary("WORKBRIDGE_BEARERBOX", Path("/usr/sbin/bearerbox"), how)
        smsbox = _binary("WORKBRIDGE_SMSBOX", Path("/usr/sbin/smsbox"), how)
        self.admin_port, self.box_port = free_port(), free_port()
        self.sendsms_port, self.smsc_port = free_port(), free_port()
        self.sendsms_url = f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"
        mo_url = (
            f"http://127.0.0.1:{app_port}/webhooks/sms/kannel/{token}/mo"
            "?from=%p&to=%P&text=%b&id=%I&at=%T"
        )
        self.workdir = workdir
        config = workdir / "kannel.conf"
        config.write_text(
            f"""
group = core
admin-port = {self.admin_port}
admin-password = admin-secret
status-password = status-secret
admin-allow-ip = "127.0.0.1"
smsbox-port = {self.box_port}
box-allow-ip = "127.0.0.1"
log-file = "{workdir}/bearerbox.log"
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {self.smsc_port}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box_port}
sendsms-port = {self.sendsms_port}
mo-recode = true
log-file = "{workdir}/smsbox.log"
log-level = 1

group = sendsms-user
username = {KANNEL_USER}
password = {KANNEL_PASSWORD}
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "{mo_url}"
""",
            encoding="utf-8",
        )
        self.processes: list[subprocess.Popen[bytes]] = []
        log = workdir / "bearerbox.out"
        with log.open("wb") as out:
            self.processes.append(
                subprocess.Popen(
                    [str(bearerbox), str(config)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        _wait_until(lambda: self._port_open(self.box_port), "bearerbox", 30, self.processes[0], log)
        log = workdir / "smsbox.out"
        with log.open("wb") as out:
            self.processes.append(
                subprocess.Popen(
                    [str(smsbox), str(config)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        _wait_until(
            lambda: self._port_open(self.sendsms_port), "smsbox", 30, self.processes[1], log
        )
        self.phone = FakePhone(self.smsc_port)
        _wait_until(self._online, "Kannel's fake SMSC", 30, self.processes[0], log)

    @staticmethod
    def _port_open(port: int) -> bool:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", port)) == 0

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password=status-secret"
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8", "replace")

    def _online(self) -> bool:
        status = self.status()
        return "fake[fake]" in status and "(online" in status and "smsbox:" in status

    def stop(self) -> None:
        self.phone.close()
        for process in reversed(self.processes):
            _stop(process, timeout=15)
