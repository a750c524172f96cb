"""``kernel.background.Every``: the thread a served process keeps a database fact current on
(the replica's lag, a training copy's date) survives a step that fails and stops when told."""

from __future__ import annotations

import threading
import time

from kernel.background import Every


def test_a_failing_step_is_tried_again_and_stopping_ends_the_thread() -> None:
    calls: list[int] = []
    third = threading.Event()

    def step() -> None:
        calls.append(len(calls))
        if len(calls) == 3:
            third.set()
        if len(calls) % 2:
            raise ConnectionError("the database is away this second")

    every = Every(0.01, step, "test-every")
    every.start()
    every.start()  # a second start keeps the one thread
    assert [t.name for t in threading.enumerate()].count("test-every") == 1
    assert third.wait(5), "the thread died of a failing step"
    every.stop()
    assert not every.running
    stopped_at = len(calls)
    time.sleep(0.05)
    assert len(calls) == stopped_at  # nothing runs after stop
    assert "test-every" not in [t.name for t in threading.enumerate()]


def test_it_can_be_started_again_after_a_stop() -> None:
    ticked = threading.Event()
    every = Every(0.01, ticked.set, "test-every-again")
    every.start()
    every.stop()
    ticked.clear()
    every.start()
    try:
        assert ticked.wait(5)
        assert every.running
    finally:
        every.stop()
