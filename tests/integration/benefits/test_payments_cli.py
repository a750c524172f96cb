"""``workbridge payments run`` and ``bank-file`` as an operator uses them, on both databases."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from benefits import payments
from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.locks import try_lock
from workbridge.cli import main


@pytest.fixture
def county(engine, app, database_url, monkeypatch):
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "120")
    month = Month.parse("2026-03")
    generate(engine, 45, month, app.state.policy.at(month.first).version_id, seed=8)
    return engine


def counts(engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM payment_line), "
                    "(SELECT count(*) FROM payment_adjustment), "
                    "(SELECT COALESCE(max(id), 0) FROM audit_record)"
                )
            ).one()
        )


def test_run_rerun_and_bank_file(county, capsys, tmp_path, client, officer) -> None:
    assert main(["payments", "run", "--period", "2026-03", "--batch-size", "7"]) == 0
    out = capsys.readouterr().out
    assert "Payment run 2026-03 (finished)" in out
    with county.connect() as connection:
        run = connection.execute(
            text("SELECT lines, paid_lines, without_account, batches_done FROM payment_run")
        ).one()
    assert run.batches_done == 7  # 45 cases in ranges of 7
    assert f"{run.lines:,}" in out and run.lines > 30
    before = counts(county)

    assert main(["payments", "run", "--period", "2026-03"]) == 0
    assert "paid in full already; nothing was written" in capsys.readouterr().out
    assert counts(county) == before

    target = tmp_path / "march.csv"
    # four eyes: the file waits for a benefit officer other than whoever ran the month
    assert main(["payments", "bank-file", "--period", "2026-03", "--output", str(target)]) == 3
    assert "signed the run off" in capsys.readouterr().out and not target.exists()
    with county.connect() as connection:
        run_id = connection.execute(text("SELECT id FROM payment_run")).scalar_one()
    signed = client.post(f"/api/v1/payments/runs/{run_id}/sign-off", headers=officer)
    assert signed.status_code == 200, signed.text
    assert main(["payments", "bank-file", "--period", "2026-03", "--output", str(target)]) == 0
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["account", "name", "amount", "reference"]
    assert len(rows) - 1 == run.paid_lines - run.without_account
    fen = sum(round(float(row[2]) * 100) for row in rows[1:])
    with county.connect() as connection:
        in_file = connection.execute(
            text(
                "SELECT sum(amount_fen) FROM payment_line WHERE amount_fen > 0 "
                "AND bank_account IS NOT NULL"
            )
        ).scalar_one()
    assert fen == in_file
    assert all(row[3].startswith("WB-2026-03-") and row[1] for row in rows[1:])


def test_operator_mistakes_exit_non_zero_and_write_nothing(county, capsys) -> None:
    before = counts(county)
    assert main(["payments", "run", "--period", "2026-13"]) == 2
    assert "the month must be 01 to 12" in capsys.readouterr().out
    assert main(["payments", "run", "--period", "2031-01"]) == 2
    assert "more than a month ahead" in capsys.readouterr().out
    assert main(["payments", "run", "--period", "2026-03", "--batch-size", "0"]) == 2
    held = try_lock(county, payments.RUN_LOCK)
    assert held is not None
    try:
        assert main(["payments", "run", "--period", "2026-03"]) == 3
        assert "in progress" in capsys.readouterr().out
    finally:
        held.release()
    assert main(["payments", "bank-file", "--period", "2026-03"]) == 2  # never run
    assert counts(county) == before
