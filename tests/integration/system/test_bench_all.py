"""``workbridge bench all`` runs every batch benchmark and writes one table: every row has its
figure, a floor measured in the same run, and a ratio; the Markdown and the JSON agree."""

from __future__ import annotations

import json

from benefits.bench import generate
from benefits.payment_rules import Month
from workbridge import bench_all
from workbridge.bench_all import Scale
from workbridge.cli import main


def test_bench_all_writes_one_table_with_a_floor_in_every_row(
    settings, monkeypatch, tmp_path
) -> None:
    tiny = Scale(payments=300, sweep=200, seekers=300, vacancies=80, sms=60, roll_rows=120)
    monkeypatch.setitem(bench_all.SCALES, "small", tiny)
    monkeypatch.delenv("WORKBRIDGE_DATABASE_URL", raising=False)
    assert main(["bench", "all", "--scale", "small", "--out", str(tmp_path)]) == 0

    markdown = (tmp_path / "bench-all-small-sqlite.md").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "bench-all-small-sqlite.json").read_text(encoding="utf-8"))
    works = [row["work"] for row in data["rows"]]
    assert [w.split(",")[0] for w in works] == [
        "payment run",
        "bank file",
        "first sweep",
        "daily sweep",
        "matching",
        "roll import",
        "SMS dispatch",
    ]
    for row in data["rows"]:
        assert row["seconds"] > 0 and row["floor_seconds"] > 0
        assert row["ratio"] == row["seconds"] / row["floor_seconds"]
        assert row["work"] in markdown
    assert "exactly once" in data["rows"][-1]["figure"]
    assert data["database"].startswith("SQLite 3.") and "CPUs" in data["machine"]
    assert markdown.count("\n| ") == len(works) + 1  # the header and one line per row


def test_bench_all_refuses_a_database_that_holds_people(
    engine, app, database_url, tmp_path
) -> None:
    """It empties the database between benchmarks, so it will not start on one in use."""
    databases = bench_all.Databases(database_url, tmp_path)
    if database_url.startswith("sqlite"):
        assert databases.refuse_unless_empty() is None  # a SQLite file of its own each time
        return
    assert databases.refuse_unless_empty() is None
    month = Month.parse("2026-03")
    generate(engine, 2, month, app.state.policy.at(month.first).version_id)
    assert "no household" in (databases.refuse_unless_empty() or "")
