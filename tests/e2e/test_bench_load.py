"""``workbridge bench load`` end to end with tiny numbers, on the suite's database: every table
has every row, and nothing was answered 5xx or failed on the wire. Figures are printed by the
command and never asserted here: they depend on the machine and what else runs on it."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import pytest
from served import BIN

# Measures or loads real servers, or kills their processes: run alone (`-m alone`), never beside
# another test on a shared machine's two cores.
pytestmark = pytest.mark.alone

CONNECTIONS = ("1", "4")
CEILING = "the generator's own ceiling ("
# a table's title begins with these; the apps it must have a row for at every concurrency
SECTIONS = {
    CEILING: ["generator alone"],
    "status checks:": ["workbridge", "floor", "advanced-alchemy"],
    "mixed office day:": ["workbridge"],
}


def _tables(printed: str) -> dict[tuple[str, str, str], dict[str, str]]:
    """(section, connections, app) → the row's cells by column name."""
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    section = header = None
    for line in printed.splitlines():
        if line.endswith(":") and not line.startswith("|"):
            section, header = next((s for s in SECTIONS if line.startswith(s)), None), None
        elif line.startswith("| ") and section is not None:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if header is None:
                header = cells
            else:
                row = dict(zip(header, cells, strict=True))
                rows[(section, row["connections"], row["app"])] = row
    return rows


def test_bench_load_prints_every_row_and_no_server_errors(
    database_url: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            str(BIN),
            "bench",
            "load",
            "--households",
            "300",
            "--workers",
            "2",
            "--seconds",
            "1",
            "--warmup",
            "0.3",
            "--connections",
            ",".join(CONNECTIONS),
            "--compare",
            "advanced-alchemy",
            "--rounds",
            "2",
        ],
        env={**os.environ, "WORKBRIDGE_DATABASE_URL": database_url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    printed = done.stdout
    assert printed.startswith("machine: "), printed
    machine = printed.splitlines()[0]
    assert "cores" in machine and f"Python {platform.python_version()}" in machine
    assert printed.splitlines()[1].startswith(
        "database: PostgreSQL " if database_url.startswith("postgresql") else "database: SQLite "
    )
    rows = _tables(printed)
    expected = {
        (section, connections, app)
        for section, apps in SECTIONS.items()
        for app in apps
        for connections in CONNECTIONS
    }
    assert set(rows) == expected, printed
    for (section, _, _), row in rows.items():
        assert float(row["req/s"].replace(",", "")) > 0, printed
        if section != CEILING:
            assert (row["errors"], row["5xx"]) == ("0", "0"), printed
            assert row["4xx other"] == "0", printed
    for connections in CONNECTIONS:  # 10% of the status checks ask for unknown people
        assert int(rows[("status checks:", connections, "workbridge")]["4xx expected"]) > 0
    # each status row is a median of interleaved rounds, and every round's ratio is shown
    for app in ("workbridge", "advanced-alchemy"):
        for connections in CONNECTIONS:
            line = next(
                line
                for line in printed.splitlines()
                if line.startswith(f"  {app}, {connections} connections: ")
            )
            assert len(line.split(": ", 1)[1].split()) == 2, printed
    assert "5xx and transport errors: none" in printed, printed + done.stderr
