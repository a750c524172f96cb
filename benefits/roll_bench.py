"""``workbridge bench import``: how fast a county's roll comes in, and with how much memory.

A synthetic roll (households of one to four people with valid ID numbers, paid what the rules
give) is written as CSV and brought in through the same stages an office's file goes through:
the check, the plan and the commit, then a second import of the same file, which must create
nothing. Beside it, in the same run, the floor: the same file read as CSV and its member rows
written into a table of the same width with one bulk insert per batch and no rules — what the
machine does with these rows when nothing is checked or matched.

Peak memory is measured from just before the import (``benefits.bench``'s VmHWM reset): the
file is read one household at a time and written in batches, so it must not grow with the
file.
"""

from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text

from benefits import roll, roll_import, roll_write
from benefits.rules import EntitlementParams, assess_entitlement
from kernel.memory import peak_memory_mib, reset_peak_memory, resident_memory_mib
from kernel.national_id import make_national_id
from kernel.policy import PolicyBook

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = ("秀英", "桂英", "建国", "志强", "淑珍", "海燕", "春生", "玉兰", "国华", "红梅")
_PLACES = (("藕塘镇", "新街社区"), ("定城镇", "东街社区"), ("炉桥镇", "西湖村"))
_RELATIONS = ("配偶", "子女", "父母")


def write_synthetic_roll(path: Path, rows: int, params: PolicyBook, today: date, seed: int) -> int:
    """A roll of ``rows`` member lines (whole households, so a few more at most); returns the
    number of households. Amounts are what the rules give on ``today``, so each household is
    created without a note."""
    rng = random.Random(seed)
    rules = params.at(today)
    schemes = {s: EntitlementParams.from_policy(rules, s) for s in ("urban", "rural")}
    words = roll.WORDS
    written = households = 0
    serial = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(roll.headings())
        while written < rows:
            households += 1
            size = rng.choice((1, 1, 2, 2, 3, 4))
            scheme = "urban" if rng.random() < 0.8 else "rural"
            category = rng.choices(("A", "B", "C"), weights=(5, 25, 70))[0]
            wages = Decimal(rng.randrange(0, 150 * size, 10))
            amount = assess_entitlement(
                scheme=scheme,
                category=category,
                member_count=size,
                incomes=[wages],
                params=schemes[scheme],
            ).monthly_amount
            township, community = rng.choice(_PLACES)
            opened = today - timedelta(days=rng.randint(60, 900))
            for index in range(size):
                serial += 1
                sex = rng.choice(("male", "female"))
                born = date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))
                # Distinct people: the region code and order code carry the serial.
                region = f"{110000 + serial // 100:06d}"
                nid = make_national_id(region, born, serial % 100, sex)
                line = {
                    "household_key": f"R{households:07d}",
                    "name": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                    "national_id": nid,
                    "relation": "户主" if index == 0 else rng.choice(_RELATIONS),
                    "sex": words["sex"][sex],
                    "birth_date": born.isoformat(),
                    "work_capacity": "有劳动能力",
                    "disability": "无",
                    "income_wages": f"{wages:.2f}" if index == 0 and wages else "",
                    "phone": f"138{rng.randrange(10**8):08d}" if index == 0 else "",
                    "bank_account": f"62284800{households:011d}",
                    "scheme": words["scheme"][scheme],
                    "address": f"{township}{community}{households}号",
                    "community": community,
                    "township": township,
                    "category": category,
                    "monthly_amount": f"{amount:.2f}",
                    "status": "正常享受",
                    "status_since": opened.isoformat(),
                    "approved_on": opened.isoformat(),
                    "next_review_on": "",
                }
                out.writerow([line.get(column.key, "") for column in roll.COLUMNS])
                written += 1
    return households


def _unique_ids(path: Path) -> bool:
    """The synthetic IDs must all differ (a duplicate would be refused, not timed)."""
    with open(path, encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        ids = [row[2] for row in reader]
    return len(ids) == len(set(ids))


def floor_load(engine: Engine, path: Path, batch: int = 5_000) -> tuple[int, float]:
    """Read the file as CSV and insert its rows into a scratch table of the same width, one
    bulk insert per batch: the machine's own speed for these rows, with no rules."""
    columns = [column.key for column in roll.COLUMNS]
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_roll_floor"))
        connection.execute(
            text(
                "CREATE TABLE bench_roll_floor ("
                + ", ".join(f"{name} VARCHAR(300)" for name in columns)
                + ")"
            )
        )
    insert = text(
        f"INSERT INTO bench_roll_floor ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + name for name in columns)})"
    )
    count = 0
    with open(path, encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        pending: list[dict[str, str]] = []
        for row in reader:
            pending.append(dict(zip(columns, row, strict=True)))
            if len(pending) >= batch:
                with engine.begin() as connection:
                    connection.execute(insert, pending)
                count += len(pending)
                pending = []
        if pending:
            with engine.begin() as connection:
                connection.execute(insert, pending)
            count += len(pending)
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_roll_floor"))
    return count, seconds


@dataclass(frozen=True)
class ImportBench:
    rows: int
    households: int
    file_mib: float
    generate_seconds: float
    check_seconds: float
    import_seconds: float
    reimport_seconds: float
    created: int
    unchanged_on_reimport: int
    memory_before_mib: float
    peak_memory_mib: float
    peak_memory_method: str
    floor_rows: int
    floor_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.import_seconds if self.import_seconds else 0.0

    @property
    def floor_rows_per_second(self) -> float:
        return self.floor_rows / self.floor_seconds if self.floor_seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.import_seconds / self.floor_seconds if self.floor_seconds else 0.0


def run_import_bench(
    engine: Engine,
    folder: Path,
    writer: roll_write.Writer,
    rows: int,
    *,
    batch: int = roll_import.BATCH,
    seed: int = 2026,
) -> ImportBench:
    path = folder / "synthetic-roll.csv"
    started = time.perf_counter()
    households = write_synthetic_roll(path, rows, writer.policy, writer.today, seed)
    generated = time.perf_counter() - started
    if not _unique_ids(path):
        raise RuntimeError("the synthetic roll repeats an ID number")
    started = time.perf_counter()
    checked = roll_import.check_file(path, writer.today, writer.policy)
    check_seconds = time.perf_counter() - started
    if checked.problems:
        raise RuntimeError(f"the synthetic roll has problems: {checked.problems[:3]}")
    before = resident_memory_mib()
    exact = reset_peak_memory()
    started = time.perf_counter()
    first = roll_import.commit(engine, path, writer, batch=batch)
    imported = time.perf_counter() - started
    peak = peak_memory_mib(exact)
    started = time.perf_counter()
    second = roll_import.commit(engine, path, writer, batch=batch)
    reimported = time.perf_counter() - started
    floor_rows, floor_seconds = floor_load(engine, path)
    return ImportBench(
        rows=checked.members,
        households=households,
        file_mib=path.stat().st_size / 2**20,
        generate_seconds=generated,
        check_seconds=check_seconds,
        import_seconds=imported,
        reimport_seconds=reimported,
        created=first.counts["created"],
        unchanged_on_reimport=second.counts["unchanged"],
        memory_before_mib=before,
        peak_memory_mib=peak,
        peak_memory_method="VmHWM since the import began" if exact else "ru_maxrss (lifetime)",
        floor_rows=floor_rows,
        floor_seconds=floor_seconds,
    )
