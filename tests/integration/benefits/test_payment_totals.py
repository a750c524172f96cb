"""A county's month adds up to billions of fen: the run's totals must not overflow 32 bits.

Found by the 1,000,000-household benchmark on PostgreSQL (139 million yuan in a month); here
four cases paying 8 million yuan a month each take the totals past 2³¹ fen on either database.
"""

from sqlalchemy import text

from benefits import payments
from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.auth import SYSTEM


def test_run_totals_beyond_two_to_the_31_fen(engine, app, clock) -> None:
    month = Month.parse("2026-03")
    generate(engine, 4, month, app.state.policy.at(month.first).version_id, seed=2)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM payment_adjustment"))
        connection.execute(
            text(
                "UPDATE case_status_period SET status = 'active', monthly_amount_fen = 800000000,"
                " effective_from = '2026-01-01', effective_to = NULL"
            )
        )
    runner = payments.Runner(
        engine=engine,
        policy=app.state.policy,
        clock=clock,
        zone=app.state.settings.zone,
        actor=SYSTEM,
    )
    started = payments.begin(runner, "2026-03")
    assert started.lock is not None and started.run.id is not None
    run = payments.execute(runner, started.run.id, started.lock)
    with engine.connect() as connection:
        lines = connection.execute(text("SELECT sum(amount_fen) FROM payment_line")).scalar_one()
    assert run.total_fen == lines >= 4 * 800_000_000 > 2**31
