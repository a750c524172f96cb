"""``workbridge bench oversight`` on a county of 2,000 people under the duty: the figures it
prints are there and agree with each other and with the rows it wrote — everyone is subject,
the community that stops people four times as often is the office alert, each alert became a
task, the reports send a handful of statements (none per person) and none beats its floor."""

from __future__ import annotations

import re

from sqlalchemy import text

from kernel.db import make_engine
from workbridge.bench_oversight_county import HOT
from workbridge.cli import main

PEOPLE = 2_000


def _row(out: str, label: str) -> str:
    """The value printed beside the row whose label starts with ``label``."""
    found = re.search(rf"│ {re.escape(label)}[^│]*│\s*(.+?)\s*│", out)
    assert found, f"no row {label!r} in:\n{out}"
    return found.group(1)


def _number(value: str) -> float:
    return float(value.replace(",", ""))


def test_the_benchmark_prints_consistent_figures(database_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "300")  # one line per row of the table
    assert main(["bench", "oversight", "--people", str(PEOPLE), "--seed", "5"]) == 0
    out = capsys.readouterr().out

    month = re.search(r"subject in (\d{4}-\d{2})", out)
    assert month, out
    subject, under = re.match(
        r"([\d,]+) / ([\d,]+) \(",
        _row(out, rf"subject in {month[1]} / under a stop on its last day"),
    ).groups()  # type: ignore[union-attr]
    assert _number(subject) == PEOPLE  # everyone has a duty since January
    assert 0.08 * PEOPLE < _number(under) < 0.2 * PEOPLE

    alerts = _row(out, f"alerts in {month[1]}")
    count = int(alerts.split(":", 1)[0])
    assert count >= 1 and f"office-above-median community:{HOT}" in alerts

    figures = {}
    for label in (f"county report, {month[1]}", f"定城镇's report, {month[1]}"):
        figures[label] = _figure(_row(out, label), "alerts")
        assert figures[label]["counted"] >= 1
    county = figures[f"county report, {month[1]}"]
    assert county["counted"] == count
    tasks = _figure(_row(out, f"tasks raised for {month[1]}"), "tasks")
    assert tasks["counted"] == count  # one task per alert of the month

    floor = re.match(r"([\d,]+) rows in ([\d.]+) s", _row(out, "floor: the same rows read once"))
    assert floor and _number(floor[1]) > PEOPLE and _number(floor[2]) > 0

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            duties = conn.execute(text("SELECT count(*) FROM registration_duty")).scalar_one()
            raised = conn.execute(text("SELECT count(*) FROM oversight_task")).scalar_one()
    finally:
        engine.dispose()
    assert (duties, raised) == (PEOPLE, count)


def _figure(value: str, counted: str) -> dict[str, float]:
    """A timed row: seconds, people/s (people over the seconds, as printed), statements (a
    handful, none per person), peak memory, what it counted, and its ratio to the floor."""
    found = re.match(
        r"([\d.]+) s, ([\d,]+) people/s, ([\d,]+) statements, peak ([\d,]+) MiB, "
        rf"(\d+) {counted}; / floor ([\d.]+)×",
        value,
    )
    assert found, value
    seconds, rate, statements, peak, count, ratio = (_number(v) for v in found.groups())
    assert PEOPLE / (seconds + 0.005) <= rate + 1 and rate - 1 <= PEOPLE / max(
        seconds - 0.005, 1e-3
    )
    assert 0 < statements < PEOPLE / 100 and peak > 0 and ratio > 0  # speed is read, not asserted
    return {"seconds": seconds, "statements": statements, "counted": count}
