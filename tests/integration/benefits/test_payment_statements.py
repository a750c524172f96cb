"""The payment run is set-based: the number of SQL statements does not grow with the cases.

Statements are counted with SQLAlchemy's ``before_cursor_execute`` event around whole runs: a
month over 200 households and a month over 2,000 take the same number of statements in one
batch, and more batches cost the same fixed number of statements each.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import Engine, event

from benefits import payments
from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.auth import SYSTEM

RECORDED = datetime(2026, 1, 5, tzinfo=UTC)  # the history was known before any run


def run_counting(engine: Engine, app, clock, period: str, batch_size: int):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    runner = payments.Runner(
        engine=engine,
        policy=app.state.policy,
        clock=clock,
        zone=app.state.settings.zone,
        actor=SYSTEM,
        batch_size=batch_size,
    )
    event.listen(engine, "before_cursor_execute", count)
    try:
        started = payments.begin(runner, period)
        assert started.lock is not None and started.run.id is not None
        run = payments.execute(runner, started.run.id, started.lock)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return run, statements


def households(engine: Engine, app, count: int, period: str, seed: int) -> None:
    month = Month.parse(period)
    version = app.state.policy.at(month.first).version_id
    generate(engine, count, month, version, seed=seed, at=RECORDED)


def test_statements_do_not_grow_with_the_number_of_cases(engine, app, clock) -> None:
    households(engine, app, 200, "2026-03", seed=3)
    small, small_statements = run_counting(engine, app, clock, "2026-03", batch_size=5000)

    households(engine, app, 1800, "2026-03", seed=4)  # 2,000 cases now, all paid in March…
    clock.set(datetime(2026, 3, 10, tzinfo=UTC))
    large, large_statements = run_counting(engine, app, clock, "2026-04", batch_size=5000)

    assert small.batches_done == large.batches_done == 1
    assert small.lines > 150 and large.lines > 9 * small.lines
    for run in (small, large):  # both runs exercise every kind of write: like is compared to like
        assert run.adjustments_fen != 0 and run.carried_fen > 0 and run.zero_lines > 0
    assert len(large_statements) == len(small_statements) <= 30
    assert Counter(map(_kind, large_statements)) == Counter(map(_kind, small_statements))
    kinds = Counter(map(_kind, large_statements))
    # the plain lines by one statement, the part months by two, the rest by one bulk insert
    assert kinds["INSERT payment_line"] == 3
    assert kinds["INSERT payment_line_period"] == 1
    assert kinds["SELECT payment_adjustment"] == 1  # the batch's unsettled adjustments


def test_each_batch_costs_the_same_few_statements(engine, app, clock) -> None:
    households(engine, app, 600, "2026-03", seed=5)
    one, one_batch = run_counting(engine, app, clock, "2026-03", batch_size=600)
    clock.set(datetime(2026, 3, 10, tzinfo=UTC))
    six, six_batches = run_counting(engine, app, clock, "2026-04", batch_size=100)
    assert (one.batches_done, six.batches_done) == (1, 6)
    assert one.lines > 500 and six.lines > 500
    kinds = Counter(map(_kind, six_batches))
    # one look-back query, then per batch one query for periods; two statements write the
    # lines with nothing owed, the periods counted by one, and one bulk insert the rest (none
    # in a batch where nobody owes or is owed)
    assert kinds["SELECT case_status_period"] == 1 + 6
    assert 2 * 6 <= kinds["INSERT payment_line"] <= 3 * 6
    assert kinds["INSERT payment_line_period"] == 6
    assert kinds["SELECT payment_adjustment"] == 6
    assert len(six_batches) - len(one_batch) <= 5 * 11  # at most eleven statements a batch


def _kind(statement: str) -> str:
    """``SELECT case_status_period``: the verb and the first table a statement names."""
    words = statement.replace("(", " ").replace(",", " ").split()
    upper = [w.upper() for w in words]
    keywords = ("INTO",) if upper[:1] == ["INSERT"] else ("FROM", "UPDATE")
    for keyword in keywords:
        if keyword in upper[1:]:
            return f"{upper[0]} {words[upper.index(keyword, 1) + 1].strip(chr(34))}"
    return upper[0] if upper else ""
