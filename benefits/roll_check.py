"""Reading a county's roll and finding every problem in it, before anything is written.

The first stage of bringing a county's existing roll in (the layout is ``benefits.roll``'s, so
a roll Workbridge gave out reads back as it was). An office's sheet has been typed by hand for
years: an ID number with a wrong check character, a relation written two ways, an amount with
three decimals, a household split over two places. An import that stopped at the first
problem would send the office back and forth for days, so every row is read and every problem
of every row is listed — row, column, rule and message — as the API's bad input is
(ARCHITECTURE.md: rules return every problem, not the first).

The sheet is read as it streams (xlsx through openpyxl's read-only mode, CSV in UTF-8 or
GB 18030) and one household is held at a time: the members of a household must stand together,
as offices list them, so memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from benefits.roll import COLUMNS, INCOME_SOURCES, WORDS
from benefits.schemas import MAX_MONTHLY_INCOME, HouseholdPlaceIn, MemberIn
from kernel.errors import Problem
from kernel.messages import Text, say
from kernel.tabular import RowProblem, validation_problems

HEADING_KEYS = {column.heading: column.key for column in COLUMNS} | {
    column.key: column.key for column in COLUMNS
}
KEY_HEADINGS = {column.key: column.heading for column in COLUMNS}
REQUIRED = (
    "household_key",
    "name",
    "national_id",
    "relation",
    "scheme",
    "address",
    "community",
    "township",
    "category",
    "monthly_amount",
    "status",
    "status_since",
)
HOUSEHOLD_FIELDS = (
    "scheme",
    "address",
    "community",
    "township",
    "bank_account",
    "category",
    "monthly_amount",
    "status",
    "status_since",
    "approved_on",
    "next_review_on",
)
MEMBER_FIELDS = {
    "name": "name",
    "national_id": "national_id",
    "relation": "relation",
    "sex": "sex",
    "birth_date": "birth_date",
    "work_capacity": "work_capacity",
    "disability": "disability",
    "phone": "phone",
}
MAX_KEY = 64  # as the import keeps it (benefits.models.RollImportHousehold)
CODES = {column: {word: code for code, word in words.items()} for column, words in WORDS.items()}


class RollFileError(ValueError):
    """The file cannot be read as a roll at all (its kind, its encoding, its headings)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p.message) for p in problems))
        self.problems = problems


@dataclass
class RollHousehold:
    """One household of the roll as read: its key, its lines, and what each line holds."""

    key: str
    lines: list[int] = field(default_factory=list)
    members: list[MemberIn] = field(default_factory=list)
    place: HouseholdPlaceIn | None = None
    case: dict[str, Any] = field(default_factory=dict)
    values: list[dict[str, Any]] = field(default_factory=list)  # each line's converted values


@dataclass
class RollCheck:
    households: int = 0
    members: int = 0
    last_line: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def _sheet_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception:
            problem = Problem("file", "xlsx", "the file is not an Excel workbook")
            raise RollFileError([problem]) from None
        try:
            sheet = book.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(row)
        finally:
            book.close()
    elif suffix == ".csv":
        with open(path, encoding=_encoding(path), newline="") as handle:
            reader = csv.reader(handle)
            for row in reader:
                yield reader.line_num, list(row)
    else:
        raise RollFileError([Problem("file", "roll-kind", "a roll is an .xlsx or .csv file")])


def _encoding(path: Path) -> str:
    """UTF-8 (with or without the mark Excel writes) or GB 18030, found by decoding the whole
    file a megabyte at a time, so that the rows can then be read as they stream."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise RollFileError(
        [Problem("file", "encoding", "the file is neither UTF-8 nor GB 18030 text")]
    )


def _headings(cells: list[Any]) -> list[str | None]:
    names = ["" if c is None else str(c).strip() for c in cells]
    problems = [
        Problem("file", "roll-heading", say("unknown column %(c)s", c=repr(name)))
        for name in names
        if name and name not in HEADING_KEYS
    ]
    keys = [HEADING_KEYS.get(name) for name in names]
    present = {k for k in keys if k}
    problems += [
        Problem(
            "file",
            "roll-heading",
            say("required column %(c)s is missing", c=repr(KEY_HEADINGS[key])),
        )
        for key in REQUIRED
        if key not in present
    ]
    if len(present) != len([k for k in keys if k]):
        problems.append(Problem("file", "roll-heading", "a column appears twice"))
    if problems:
        raise RollFileError(problems)
    return keys


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column (a phone, an account)
    text = str(value).strip()
    if text.startswith("'"):  # Excel's mark for "this is text", kept by some CSV exports
        text = text[1:]
    return text or None


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(say("not an amount of yuan: %(value)s", value=repr(value))) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONTHLY_INCOME:
        raise ValueError(
            say(
                "an amount of yuan between 0 and %(most)s, not %(value)s",
                most=str(MAX_MONTHLY_INCOME),
                value=repr(value),
            )
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(say("at most two decimals (fen), not %(value)s", value=repr(value)))
    return amount.quantize(Decimal("0.01"))


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(
            say("not a date such as 2026-03-01: %(value)s", value=repr(value))
        ) from None


def _code(column: str, value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text in CODES[column]:
        return CODES[column][text]
    if text in WORDS[column]:  # the code itself, as an export for programs writes it
        return text
    known = "、".join(WORDS[column].values())
    raise ValueError(say("%(value)s is not one of %(known)s", value=repr(text), known=known))


class _Line:
    """One line of the sheet, its values converted, its problems collected."""

    def __init__(self, number: int, keys: list[str | None], cells: list[Any]) -> None:
        self.number = number
        self.raw = {k: c for k, c in zip(keys, cells, strict=False) if k}
        self.problems: list[RowProblem] = []
        self.values: dict[str, Any] = {}
        for key, value in self.raw.items():
            try:
                self.values[key] = self._convert(key, value)
            except ValueError as exc:
                message = exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)
                self.problem(key, "roll-value", message)
        for key in REQUIRED:
            if self.values.get(key) is None and not any(
                p.field == KEY_HEADINGS[key] for p in self.problems
            ):
                self.problem(key, "required", say("a value is required"))

    @staticmethod
    def _convert(key: str, value: Any) -> Any:
        if key in CODES:
            return _code(key, value)
        if key.startswith("income_") or key == "monthly_amount":
            return _money(value)
        if key in ("birth_date", "status_since", "approved_on", "next_review_on"):
            return _day(value)
        return _text(value)

    def problem(self, key: str | None, rule: str, message: str | Text) -> None:
        column = KEY_HEADINGS.get(key or "", key)
        self.problems.append(RowProblem(self.number, column, rule, message))

    @property
    def blank(self) -> bool:
        return not any(_text(v) for v in self.raw.values())


def _member(line: _Line) -> MemberIn | None:
    values = line.values
    body: dict[str, Any] = {
        field_name: values[key]
        for key, field_name in MEMBER_FIELDS.items()
        if values.get(key) is not None
    }
    income_columns = [
        (source, f"income_{source}")
        for source, _ in INCOME_SOURCES
        if values.get(f"income_{source}") is not None
    ]
    body["incomes"] = [
        {"source": source, "monthly_amount": values[key]} for source, key in income_columns
    ]
    try:
        return MemberIn.model_validate(body)
    except ValidationError as exc:
        for problem in validation_problems(line.number, exc):
            parts = (problem.field or "").split(".")
            if parts[0] == "incomes" and len(parts) > 1 and parts[1].isdigit():
                key = income_columns[int(parts[1])][1]
            else:
                key = next((k for k, f in MEMBER_FIELDS.items() if f == parts[0]), parts[0])
            if any(p.field == KEY_HEADINGS.get(key, key) for p in line.problems):
                continue  # its value was refused already: "required" would say it twice
            line.problem(key, problem.rule, problem.message)
        return None


def _place(line: _Line) -> HouseholdPlaceIn | None:
    body = {k: line.values.get(k) for k in HouseholdPlaceIn.model_fields}
    try:
        return HouseholdPlaceIn.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        for problem in validation_problems(line.number, exc):
            line.problem(problem.field, problem.rule, problem.message)
        return None


class Seen:
    """The values met so far in a roll (ID numbers, household keys), to find one met again.

    A county's roll has a million ID numbers: held in a dict they would make the check's
    memory grow with the file, so they are kept in a private temporary SQLite file and only
    the latest few thousand in memory; each batch is looked up and added in one go.
    ``problem(line, earlier_line, value)`` says what meeting a value again means."""

    def __init__(self, problem: Callable[[int, int, str], RowProblem], batch: int = 5_000) -> None:
        self._problem = problem
        self._batch = batch
        self._pending: dict[str, int] = {}
        self._db = sqlite3.connect("")  # "": a temporary file of its own, removed on close
        self._db.execute("CREATE TABLE seen (national_id TEXT PRIMARY KEY, line INTEGER)")

    def add(self, national_id: str, line: int) -> list[RowProblem]:
        """Problems found now: against the pending batch at once, against earlier batches when
        the batch is full."""
        earlier = self._pending.get(national_id)
        if earlier is not None:
            return [self._problem(line, earlier, national_id)]
        self._pending[national_id] = line
        return self._flush() if len(self._pending) >= self._batch else []

    def close(self) -> list[RowProblem]:
        found = self._flush()
        self._db.close()
        return found

    def _flush(self) -> list[RowProblem]:
        pending, self._pending = self._pending, {}
        if not pending:
            return []
        found: list[RowProblem] = []
        ids = list(pending)
        for start in range(0, len(ids), 500):  # within SQLite's limit of bound values
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT national_id, line FROM seen WHERE national_id IN ({marks})", chunk
            )
            found.extend(self._problem(pending[nid], earlier, nid) for nid, earlier in rows)
        self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", pending.items())
        return found


def _twice(line: int, earlier: int, _: str) -> RowProblem:
    return RowProblem(
        line,
        KEY_HEADINGS["national_id"],
        "once-in-roll",
        say("the same ID number stands on line %(line)s", line=earlier),
    )


def _apart(line: int, _: int, key: str) -> RowProblem:
    return RowProblem(
        line,
        KEY_HEADINGS["household_key"],
        "household-together",
        say(
            "the members of household %(key)s stand apart in the file: keep each "
            "household's members together",
            key=key,
        ),
    )


def check_roll(
    path: str | Path, categories: dict[str, set[str]], today: date
) -> Iterator[RollHousehold | RollCheck]:
    """Read the roll: each household as it is complete, then the summary with every problem.

    ``categories`` are the policy's category codes by scheme, on ``today``."""
    rows = _sheet_rows(Path(path))
    heading = next(rows, None)
    if heading is None:
        raise RollFileError([Problem("file", "roll-empty", "the file is empty")])
    keys = _headings(heading[1])
    summary = RollCheck()
    seen_keys = Seen(_apart)
    seen_ids = Seen(_twice)
    current: RollHousehold | None = None
    first: _Line | None = None
    heads = 0

    def close() -> Iterator[RollHousehold]:
        if current is None or first is None:
            return
        if heads != 1:
            summary.problems.append(
                RowProblem(
                    current.lines[0],
                    KEY_HEADINGS["relation"],
                    "one-head",
                    say(
                        "household %(key)s has %(count)s heads; a household has one",
                        key=current.key,
                        count=heads,
                    ),
                )
            )
        summary.households += 1
        yield current

    for number, cells in rows:
        summary.last_line = number
        line = _Line(number, keys, cells)
        if line.blank:
            continue
        summary.members += 1
        key = line.values.get("household_key")
        if key is not None and (current is None or key != current.key):
            yield from close()
            summary.problems.extend(seen_keys.add(key, number))
            if len(key) > MAX_KEY:
                line.problem(
                    "household_key",
                    "key-length",
                    say("a household key of at most %(most)s characters", most=MAX_KEY),
                )
            current, first, heads = RollHousehold(key), line, 0
            current.place = _place(line)
            current.case = {k: line.values.get(k) for k in HOUSEHOLD_FIELDS}
            scheme = line.values.get("scheme")
            category = line.values.get("category")
            if scheme in categories and category and category not in categories[scheme]:
                line.problem(
                    "category",
                    "known-category",
                    say(
                        "category %(category)s is not defined for the %(scheme)s scheme "
                        "(%(known)s)",
                        category=repr(category),
                        scheme=scheme,
                        known=", ".join(sorted(categories[scheme])),
                    ),
                )
            for day_key in ("status_since", "approved_on"):
                day = line.values.get(day_key)
                if isinstance(day, date) and day > today:
                    line.problem(day_key, "not-in-future", say("a date after today"))
        elif current is not None and first is not None:
            for name in HOUSEHOLD_FIELDS:
                if line.values.get(name) != first.values.get(name) and name in line.raw:
                    line.problem(
                        name,
                        "same-household",
                        say(
                            "differs from the household's first line (line %(line)s)",
                            line=first.number,
                        ),
                    )
        if current is None:
            summary.problems.extend(line.problems)
            continue
        current.lines.append(number)
        current.values.append(line.values)
        member = _member(line)
        if member is not None:
            current.members.append(member)
            if member.relation == "head":
                heads += 1
            summary.problems.extend(seen_ids.add(member.national_id, number))
        summary.problems.extend(line.problems)
    yield from close()
    summary.problems.extend(seen_ids.close())
    summary.problems.extend(seen_keys.close())
    yield summary


def check_whole(path: str | Path, categories: dict[str, set[str]], today: date) -> RollCheck:
    """Only the summary of ``check_roll``: each household is let go as soon as it is read, so
    checking a county's roll takes the memory of one household, not of the file."""
    last: RollHousehold | RollCheck | None = None
    for item in check_roll(path, categories, today):
        last = item
    assert isinstance(last, RollCheck)
    return last


def categories_on(params: Any) -> dict[str, set[str]]:
    """The policy's category codes by scheme, from a parameter set."""
    from benefits.rules import EntitlementParams

    return {
        scheme: set(EntitlementParams.from_policy(params, scheme).categories)
        for scheme in ("urban", "rural")
    }


def check_content(content: bytes, categories: dict[str, set[str]], today: date) -> RollCheck:
    """An uploaded roll checked whole: a workbook (a zip archive, "PK") or CSV text."""
    import tempfile

    suffix = ".xlsx" if content[:2] == b"PK" else ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as spool:
        spool.write(content)
        spool.flush()
        return check_whole(spool.name, categories, today)
