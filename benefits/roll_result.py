"""The result of bringing a roll in: a status per row of the file, as an Excel sheet.

A household is brought in or refused as a whole, so each of its lines carries its result, and
the first carries the amounts and the notes; the words come from the catalogs in the reader's
language.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import Engine, select

from benefits.models import RollImport, RollImportHousehold
from benefits.roll_plan import ACTION_WORDS, Plan
from kernel import sheets
from kernel.db import reader
from kernel.messages import N_, Text, from_data, render
from kernel.money import from_fen


@dataclass(frozen=True)
class Outcome:
    """One household's result, as the result file shows it."""

    key: str
    lines: list[int]
    action: str
    household_id: int | None
    roll_amount: Decimal
    computed: Decimal | None
    notes: list[str | Text]


def outcomes_of_plans(plans: Iterable[Plan]) -> Iterator[Outcome]:
    for plan in plans:
        yield Outcome(
            plan.household.key,
            plan.household.lines,
            plan.action,
            plan.household_id,
            plan.roll_amount,
            plan.computed,
            list(plan.notes),
        )


def outcomes_of_import(engine: Engine, import_id: int, batch: int = 2_000) -> Iterator[Outcome]:
    """What a committed import did, read back in the file's order."""
    with reader(engine).connect() as connection:
        table = RollImportHousehold.__table__  # type: ignore[attr-defined]
        rows = connection.execution_options(stream_results=True, yield_per=batch).execute(
            select(table).where(table.c.import_id == import_id).order_by(table.c.id)
        )
        for row in rows:
            yield Outcome(
                row.household_key,
                list(row.lines),
                row.action,
                row.household_id,
                from_fen(row.roll_amount_fen),
                from_fen(row.computed_amount_fen) if row.computed_amount_fen is not None else None,
                [from_data(note) for note in row.notes],
            )


RESULT_HEADINGS = (
    N_("line"),
    N_("household key"),
    N_("result"),
    N_("household in Workbridge"),
    N_("amount on the roll"),
    N_("amount by the rules"),
    N_("notes"),
)


def result_rows(outcomes: Iterable[Outcome], gettext: Any) -> Iterator[list[Any]]:
    """One row per line of the roll: the household's result on each of its lines, the notes
    on the first (a household is brought in or refused as a whole)."""
    for outcome in outcomes:
        notes = "；".join(render(note, gettext) for note in outcome.notes)
        for index, line in enumerate(outcome.lines):
            yield [
                line,
                outcome.key,
                render(ACTION_WORDS[outcome.action], gettext),
                outcome.household_id,
                outcome.roll_amount if index == 0 else None,
                outcome.computed if index == 0 else None,
                notes if index == 0 else None,
            ]


def write_result(target: str | Path | BinaryIO, outcomes: Iterable[Outcome], gettext: Any) -> int:
    """The result file (xlsx): a status per row of the roll; returns the rows written."""
    return sheets.write_xlsx(
        str(target) if isinstance(target, Path) else target,
        render(N_("import result"), gettext),
        [render(heading, gettext) for heading in RESULT_HEADINGS],
        result_rows(outcomes, gettext),
    )


def spooled_result(engine: Engine, run: RollImport, gettext: Any) -> tuple[BinaryIO, str]:
    """The result file in a spool (memory, then disk), and its name."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    write_result(cast(Any, spool), outcomes_of_import(engine, run.id or 0), gettext)
    spool.seek(0)
    stem = Path(run.file_name).stem or "roll"
    return cast(BinaryIO, spool), f"{stem}-导入结果-{run.id}.xlsx"
