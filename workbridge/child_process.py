"""A command run as a child process the way the benchmarks and the tests that serve run one.

Each such child is started in a process group of its own, so that one signal reaches all it
started (uvicorn's worker processes too) and a SIGKILL for fault injection leaves nothing
running behind it; and its output, standard error included, goes to a file, so that a child
that failed can still be explained after it has gone. Stopping it is what an operator's
service manager does: SIGTERM, time to finish, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class ChildProcess:
    """``command`` in its own process group, run in ``folder``, its output in
    ``folder/<name>.log``."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.log_path = folder / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def said(self, words: str) -> bool:
        return words in self.log()

    def wait_until(self, ready: Callable[[], bool], timeout: float, every: float = 0.2) -> None:
        """Ask ``ready`` every ``every`` seconds until it says yes; RuntimeError, with the end
        of the log, if the process exits first or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log()[-4000:]}")
            if ready():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.log()[-4000:]}")
            time.sleep(every)

    def kill(self) -> None:
        """SIGKILL to the whole group, as a crash or the OOM killer would end it — sent even
        when the first process has ended already, so that what it started goes too."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, then SIGKILL to the group if it has not ended within ``timeout`` seconds;
        the exit code."""
        return stop_or_kill(self.process, timeout, self.kill)


def stop_or_kill(
    process: subprocess.Popen[Any], timeout: float, kill: Callable[[], None]
) -> int | None:
    """SIGTERM to a running ``process``, then ``kill()`` if it has not ended within ``timeout``
    seconds; its exit code. For children kept some other way than ``ChildProcess`` keeps them."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill()
    return process.returncode
