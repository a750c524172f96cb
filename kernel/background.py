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
