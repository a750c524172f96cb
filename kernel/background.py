"""Work a request starts and the service carries on after answering (202)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class BackgroundWork:
    """The long work this process carries on in threads (payment runs, roll imports), so that
    shutting down can pause it.

    A service stopping (SIGTERM, a test client closing) must not leave work writing to a
    database being disposed, nor keep holding a lock while another process waits for it:
    ``pause_all`` asks each piece of work to stop after its batch in hand and waits for it;
    all of it is written to resume where it stopped.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self.stop = threading.Event()

    def start(self, target: Callable[[], None], name: str) -> threading.Thread:
        def tracked() -> None:
            try:
                target()
            finally:
                with self._guard:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=tracked, name=name, daemon=True)
        with self._guard:
            self.stop.clear()
            self._threads.add(thread)
        thread.start()
        return thread

    def pause_all(self, timeout: float = 30.0) -> bool:
        """Ask every run to pause and wait up to ``timeout`` seconds; True if all stopped."""
        with self._guard:
            threads = list(self._threads)
        if not threads:
            return True
        self.stop.set()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        return not any(thread.is_alive() for thread in threads)


background_work = BackgroundWork()


class Every:
    """``step`` called every ``seconds`` on a daemon thread of its own, until stopped: what a
    served process keeps current in memory from a database (the replica's lag, a training
    copy's date). A step that raises is tried again at the next tick; the thread never dies of
    it, and stopping waits for a step in hand."""

    def __init__(self, seconds: float, step: Callable[[], object], name: str) -> None:
        self.seconds = seconds
        self.step = step
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def tick() -> None:
            while not self._stop.wait(self.seconds):
                try:
                    self.step()
                except Exception:  # tried again at the next tick, by design
                    continue

        self._thread = threading.Thread(target=tick, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
