"""Rows from CSV uploads and JSON batches, and the problems of each bad row.

Providers and counsellors upload spreadsheets; one bad row must not hide the others, so every
row's problems are collected with its row number (ARCHITECTURE.md: rules return every problem,
not the first). Spreadsheets saved by Chinese Excel are often GB 18030 rather than UTF-8, so
both are accepted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from kernel.errors import InvalidInput, Problem
from kernel.messages import Text, answer_gettext, render, say, schema_text

MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowProblem:
    row: int  # CSV: the line number (the header is line 1); JSON: the item's index
    field: str | None
    rule: str
    message: str | Text

    def as_dict(self) -> dict[str, Any]:
        """The row's problem for an answer, its message in the reader's language."""
        return {
            "row": self.row,
            "field": self.field,
            "rule": self.rule,
            "message": render(self.message, answer_gettext()),
        }

    def as_problem(self, prefix: str) -> Problem:
        """The kernel's Problem, with the row folded into the field (``rows.3.wage``)."""
        where = f"{prefix}.{self.row}" + (f".{self.field}" if self.field else "")
        return Problem(where, self.rule, self.message)


def decode_text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(Problem("file", "encoding", "the file is neither UTF-8 nor GB 18030 text"))


@dataclass(frozen=True)
class InputRow:
    row: int  # CSV: the line number; JSON: the index in the list
    values: dict[str, str]
    problem: RowProblem | None = None  # the row's shape is wrong (more cells than columns)


def csv_rows(
    content: bytes,
    *,
    columns: Collection[str],
    required: Collection[str],
    max_rows: int = MAX_ROWS,
) -> list[InputRow]:
    """Each non-empty row with its line number; empty cells are left out so the schema's
    defaults apply. A wrong header is a problem for the whole file."""
    reader = csv.reader(io.StringIO(decode_text(content), newline=""))
    header = next(reader, None)
    if header is None:
        raise InvalidInput(Problem("file", "csv-header", "the file is empty"))
    names = [h.strip() for h in header]
    problems = [
        Problem("file", "csv-header", say("required column %(c)s is missing", c=repr(c)))
        for c in sorted(set(required) - set(names))
    ]
    problems += [
        Problem(
            "file",
            "csv-header",
            say("unknown column %(c)s; known: %(value)s", c=repr(c), value=", ".join(columns)),
        )
        for c in names
        if c and c not in columns
    ]
    if len(set(names)) != len(names):
        problems.append(Problem("file", "csv-header", "a column appears twice"))
    if problems:
        raise InvalidInput(problems)
    rows: list[InputRow] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= max_rows:
            raise InvalidInput(
                Problem(
                    "file",
                    "csv-size",
                    say("more than %(max_rows)s rows; split the file", max_rows=max_rows),
                )
            )
        line = reader.line_num
        cells = {n: v.strip() for n, v in zip(names, values, strict=False) if v.strip()}
        shape = None
        if len(values) > len(names):
            shape = RowProblem(line, None, "csv-shape", "the row has more cells than the header")
        rows.append(InputRow(line, cells, shape))
    if not rows:
        raise InvalidInput(Problem("file", "csv-empty", "the file has a header but no rows"))
    return rows


def validation_problems(row: int, exc: ValidationError) -> list[RowProblem]:
    """A row's schema errors, one per field, in the kernel's wording."""
    out = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or None
        out.append(RowProblem(row, field, "schema", schema_text(str(error["msg"]))))
    return out
