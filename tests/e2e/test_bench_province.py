"""``workbridge bench province`` end to end with tiny numbers: its own primary, standby and
PgBouncer on loopback, two serve processes each way, then the fault step. What is asserted is
what must hold whatever the machine: every row has both figures, both databases paid the same
lines, nothing was answered 5xx, and after the kills nothing was lost or doubled. The speed
figures are printed by the command, never asserted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from served import BIN

from workbridge.bench_province import DAY_ROWS, PROVINCE, SINGLE

# Measures or loads real servers, or kills their processes: run alone (`-m alone`), never beside
# another test on a shared machine's two cores.
pytestmark = pytest.mark.alone


def test_bench_province_measures_both_ways_and_survives_its_kills(tmp_path: Path) -> None:
    figures = tmp_path / "province.json"
    done = subprocess.run(
        [
            str(BIN),
            "bench",
            "province",
            "--households",
            "300",
            "--seconds",
            "2",
            "--connections",
            "4",
            "--json",
            str(figures),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    printed = done.stdout
    assert printed.startswith("workbridge bench province --households 300")
    assert "database: PostgreSQL " in printed and "fsync=on" in printed
    assert f"| step | figure | {SINGLE} | {PROVINCE} |" in printed
    assert "- nothing lost, nothing doubled" in printed

    report = json.loads(figures.read_text("utf-8"))
    rows = {(f["step"], f["measure"]): f for f in report["figures"]}
    for step, measure in DAY_ROWS:
        row = rows[(step, measure)]
        assert row["single"] != "—" and row["province"] != "—", row
    lines = rows[("payment run", "lines")]
    assert lines["single"] == lines["province"] and int(lines["single"].replace(",", "")) > 0
    for measure in ("5xx answers", "transport errors"):
        assert rows[("mixed office day", measure)]["single"] == "0"
        assert rows[("mixed office day", measure)]["province"] == "0"
    statements = rows[("daily sweep", "SQL statements")]
    assert statements["single"] == statements["province"]  # the same set-based passes
    assert report["fault_held"] is True
    assert any("the standby scheduler led" in line for line in report["fault"])
    assert any(line.startswith("SIGKILL to serve process 1") for line in report["fault"])


def test_bench_province_refuses_numbers_it_cannot_use(tmp_path: Path) -> None:
    for bad in (["--households", "10"], ["--connections", "1"], ["--seconds", "0"]):
        done = subprocess.run(
            [str(BIN), "bench", "province", *bad],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, (bad, done.stdout, done.stderr)
        assert "at least" in done.stdout
