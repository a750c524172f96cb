"""Where a payment run's time goes, for the benchmark: each statement's time by what it does,
the commits, and the rest (the Python rules, building their rows, the driver).

The performance issue asks, for a figure still above its target, for the profile that shows
where the time goes. A cProfile of the run says how long ``cursor.execute`` took in all; this
splits that time by the statement's part of the run (``kind``), read from its SQL, so the
benchmark can print it beside the figure in the same run. Timing uses the engine's own cursor
events and wraps the dialect's commit for the run's duration only.

A read's time is what ``execute`` took: SQLite does part of a SELECT's work while its rows are
fetched, and that part falls in the rest, beside the Python rules.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

PLAIN = "plain lines (INSERT … SELECT)"
PART_PERIODS = "part-month periods (INSERT … SELECT)"
PART_LINES = "part-month lines (INSERT … SELECT)"
RULE_LINES = "lines of the Python rules (INSERT … VALUES)"
READS = "reads (periods, adjustments, payees, totals)"
OTHER_WRITES = "other writes (adjustments settled, run counters)"
COMMITS = "commits"
REST = "the rest: Python rules, building rows, the driver"
KINDS = (PLAIN, PART_PERIODS, PART_LINES, RULE_LINES, READS, OTHER_WRITES)


def kind(sql: str) -> str:
    """Which part of the payment run a statement belongs to, from its SQL text."""
    words = " ".join(sql.split()).lower()
    if words.startswith("insert into payment_line_period"):
        return PART_PERIODS
    if words.startswith("insert into payment_line "):
        if " select " not in words:
            return RULE_LINES
        return PART_LINES if "payment_line_period" in words else PLAIN
    if words.startswith(("select", "with")):
        return READS
    return OTHER_WRITES


@dataclass
class TimeSpent:
    """Seconds by kind of statement, and in commits, while the timer was on."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.0))
    statements: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    commit_seconds: float = 0.0

    def parts(self, total: float) -> list[tuple[str, float]]:
        """Each kind that ran, the commits, and what the total leaves for the rest."""
        spent = [(name, self.seconds[name]) for name in KINDS if self.statements[name]]
        spent.append((COMMITS, self.commit_seconds))
        accounted = sum(seconds for _, seconds in spent)
        spent.append((REST, max(total - accounted, 0.0)))
        return spent


@contextmanager
def timed(engine: Engine) -> Iterator[TimeSpent]:
    """Time every statement and commit on ``engine`` until the block ends."""
    spent = TimeSpent()
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        began = started.pop(id(cursor), None)
        if began is None:
            return
        name = kind(statement)
        spent.seconds[name] += time.perf_counter() - began
        spent.statements[name] += 1

    dialect = engine.dialect
    commit = dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        began = time.perf_counter()
        try:
            commit(dbapi_connection)
        finally:
            spent.commit_seconds += time.perf_counter() - began

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        dialect.do_commit = commit  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
