"""A real ``workbridge serve`` process for tests that need one: its own port, its own settings,
started against a test database and stopped with a signal, as an operator would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from workbridge.child_process import ChildProcess

BIN = Path(sys.executable).parent / "workbridge"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served(ChildProcess):
    """``workbridge serve`` in a child process; ``url`` once it answers /health."""

    def __init__(
        self,
        database_url: str,
        workdir: Path,
        *,
        env: dict[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(BIN), "serve", "--port", str(self.port)]
        if workers != 1:
            command += ["--workers", str(workers)]
        super().__init__(
            f"serve-{self.port}",
            command,
            {
                **os.environ,
                "WORKBRIDGE_DATABASE_URL": database_url,
                "WORKBRIDGE_LOG_LEVEL": "WARNING",
                **(env or {}),
            },
            workdir,
        )
        try:
            self.wait_until(self._answers, 60, every=0.1)
        except RuntimeError:
            self.kill()
            raise

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for the process to drain and exit. 0 when it stopped as asked:
        answered what it had, shut the application down and ended (uvicorn ends by re-raising
        the signal, as systemd expects of a service stopped with SIGTERM)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"did not stop within {timeout} s of SIGTERM:\n{self.log()}"
            ) from None
        drained = "Application shutdown complete" in self.log()
        return 0 if code in (0, -signal.SIGTERM) and drained else code or 1
