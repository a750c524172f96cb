"""``workbridge bench payments`` on a small county: every floor measured on the same rows, the
scratch tables and rows gone afterwards, and the set-based share reported."""

from __future__ import annotations

from sqlalchemy import inspect, text

from benefits import payment_floor, payment_profile
from benefits.bench import run_bench


def test_the_payment_bench_reports_its_floors_and_leaves_nothing_behind(engine, app) -> None:
    commit_before = engine.dialect.do_commit
    report = run_bench(engine, app.state.policy, app.state.settings.zone, 400, batch_size=64)

    assert [f.variant for f in report.floors] == list(payment_floor.VARIANTS)
    assert len({f.rows for f in report.floors}) == 1 and report.floors[0].rows > 300
    assert all(f.seconds > 0 for f in report.floors)
    assert report.ratio("ledger") == report.run_seconds / report.floor("ledger").seconds
    assert 0 < report.plain_lines < report.lines
    assert 0 < report.period_lines < report.lines - report.plain_lines
    spent = dict(report.time_spent)
    for part in (
        payment_profile.PLAIN,
        payment_profile.PART_PERIODS,
        payment_profile.PART_LINES,
        payment_profile.RULE_LINES,
        payment_profile.READS,
        payment_profile.OTHER_WRITES,
        payment_profile.COMMITS,
    ):
        assert spent[part] > 0, part
    assert abs(sum(spent.values()) - report.run_seconds) < 1e-6
    assert engine.dialect.do_commit == commit_before  # the timer is taken off after the run
    assert report.bank_file_bytes > 0 and report.bank_file_floor_seconds > 0
    assert report.database_settings.startswith(("SQLite 3.", "PostgreSQL 1"))
    assert not [t for t in inspect(engine).get_table_names() if t.startswith("bench_floor_")]
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM payment_line WHERE period = :p"),
                {"p": payment_floor.SCRATCH_PERIOD},
            ).scalar_one()
            == 0
        )
        assert conn.execute(text("SELECT count(*) FROM payment_run")).scalar_one() == 1
