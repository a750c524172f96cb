"""Work done in a child process so its memory is not counted as the measured work's.

The benchmarks generate their synthetic counties this way: the lists a generator builds stay
in its process's memory after they are written, and a peak measured in that process would be
theirs, not the payment run's, the report's or the replay's. The child is started afresh
(``spawn``): a fork would copy this process's threads and connections.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from typing import Any

_DONE = "done"


def _child(target: Callable[..., Any], args: tuple[Any, ...], news: Any, told: bool) -> None:
    extra = {"progress": news.put} if told else {}
    news.put((_DONE, target(*args, **extra)))


def run_elsewhere(
    target: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    failed: str,
    progress: Callable[[Any], None] | None = None,
) -> Any:
    """``target(*args)`` in a child process; its result. With ``progress``, ``target`` is
    given a ``progress`` callable too, and what it passes reaches ``progress`` here. A child
    that dies without a result raises ``RuntimeError(failed)``. ``target`` and ``args`` must
    pickle: a module-level function, given what it needs to open its own engine."""
    context = multiprocessing.get_context("spawn")
    news = context.Queue()
    child = context.Process(target=_child, args=(target, args, news, progress is not None))
    child.start()
    try:
        while True:
            try:
                message = news.get(timeout=1)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(failed) from None
                continue
            if isinstance(message, tuple) and message[:1] == (_DONE,):
                return message[1]
            if progress:
                progress(message)
    finally:
        child.join()
