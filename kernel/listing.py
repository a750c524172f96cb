"""Lists that can grow: one page at a time, sorted as asked, and the whole list as a
spreadsheet.

An office's lists grow with its caseload (a township files hundreds of applications a year), so
a list shown whole either gets slow or, worse, is cut short without a word — the fault issue 12
found at 200 applications and 50 people. Every such list is read through a ``Listing``: the
database counts and pages it, the reader chooses the order by a column heading, and the same
query with the same filters comes back as CSV or Excel (offices keep their registers in Excel,
POLICY.md "Who uses it"), headed in the reader's language.

Filters stay with each list (they are what that list is about); this module carries them in
every link, so paging and sorting never lose them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode

from litestar import Request, Response
from sqlalchemy import func
from sqlmodel import Session, select

from kernel.errors import InvalidInput, Problem
from kernel.messages import Text, code_message, render, say

R = TypeVar("R")

PER_PAGE = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50
# An export is the whole filtered list; past this a county's list wants a filter first (a
# county's whole roll is about 20,000 households, POLICY.md "Scale").
MAX_EXPORT_ROWS = 100_000
FORMATS = ("csv", "xlsx")
_OWN = ("page", "per", "sort", "format")


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its heading, what an export writes for a row, and how it sorts.

    ``order`` is an SQL expression for lists the database pages, or a key function for lists
    built in memory; a column without one is not sortable. ``code`` columns hold codes the
    contexts have named (``kernel.messages.name_codes``) and export them in words.
    """

    key: str
    heading: str
    value: Callable[[R], Any]
    order: Any = None
    code: bool = False
    # codes a module reads in words itself (code, gettext) -> words, for an export
    reader: Callable[[Any, Callable[[str], str]], str] | None = None


@dataclass(frozen=True)
class Asked:
    """What the reader asked of a list: page, size, order and format, plus its own filters."""

    page: int
    per: int
    sort: str
    descending: bool
    format: str | None
    filters: dict[str, str] = field(default_factory=dict)

    def link(self, **changes: Any) -> str:
        """The query string for the same list with some of the asked changed."""
        params: dict[str, Any] = dict(self.filters)
        sort = changes.pop("sort", self.sort)
        descending = changes.pop("descending", self.descending)
        params["sort"] = f"-{sort}" if descending else sort
        params["per"] = changes.pop("per", self.per)
        params["page"] = changes.pop("page", self.page)
        if fmt := changes.pop("format", None):
            params["format"] = fmt
            params.pop("page")
            params.pop("per")
        params.update(changes)
        return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    total: int
    asked: Asked
    columns: Mapping[str, Column[R]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.asked.per))

    @property
    def number(self) -> int:
        return min(self.asked.page, self.pages)

    @property
    def first(self) -> int:
        """The row number of the first row shown (1-based; 0 when the list is empty)."""
        return 0 if self.total == 0 else (self.number - 1) * self.asked.per + 1

    @property
    def last(self) -> int:
        return min(self.total, self.number * self.asked.per)

    def numbers(self, around: int = 2) -> list[int | None]:
        """The page numbers a pager shows: the ends and a few around this one, ``None`` for a
        gap (1 … 4 5 6 … 12)."""
        keep = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown: list[int | None] = []
        for n in sorted(k for k in keep if 1 <= k <= self.pages):
            if shown and shown[-1] is not None and n - shown[-1] > 1:  # type: ignore[operator]
                shown.append(None)
            shown.append(n)
        return shown

    def sortable(self, key: str) -> bool:
        column = self.columns.get(key)
        return column is not None and column.order is not None

    def sort_state(self, key: str) -> str:
        """``aria-sort`` for a heading: ascending, descending or none."""
        if key != self.asked.sort:
            return "none"
        return "descending" if self.asked.descending else "ascending"

    def sort_link(self, key: str) -> str:
        """Sorting by a column starts at the first page; asking again turns the order round."""
        descending = key == self.asked.sort and not self.asked.descending
        return self.asked.link(sort=key, descending=descending, page=1)


class Listing(Generic[R]):
    """A list's columns and default order; pages it and exports it."""

    def __init__(
        self,
        name: str,
        title: str,
        columns: Sequence[Column[R]],
        *,
        sort: str,
        descending: bool = False,
        filters: Sequence[str] = (),
        tiebreak: Any = None,
    ) -> None:
        self.name = name  # the export's file name
        self.title = title  # a catalog message: the export's sheet
        self.columns = {c.key: c for c in columns}
        self.default_sort = sort
        self.default_descending = descending
        self.filter_names = tuple(filters)
        self.tiebreak = tiebreak  # an SQL expression that makes the order total (an id)

    # --- what was asked ---------------------------------------------------------------

    def ask(self, query: Mapping[str, Any]) -> Asked:
        """Read page, size, sort and format; every bad one is listed (400), none guessed."""
        problems: list[Problem] = []
        page = _whole(query, "page", 1, problems)
        per = _whole(query, "per", DEFAULT_PER_PAGE, problems)
        if per not in PER_PAGE and not any(p.field == "per" for p in problems):
            problems.append(
                Problem(
                    "per",
                    "per-page",
                    say("choose %(sizes)s rows a page", sizes=", ".join(map(str, PER_PAGE))),
                )
            )
        sort_text = _one(query, "sort") or (
            f"-{self.default_sort}" if self.default_descending else self.default_sort
        )
        descending = sort_text.startswith("-")
        sort = sort_text.removeprefix("-")
        column = self.columns.get(sort)
        if column is None or column.order is None:
            problems.append(
                Problem("sort", "sort-column", say("this list cannot be sorted by %(c)s", c=sort))
            )
        fmt = _one(query, "format")
        if fmt is not None and fmt not in FORMATS:
            problems.append(
                Problem("format", "export-format", say("exports are CSV or Excel (csv, xlsx)"))
            )
        if problems:
            raise InvalidInput(problems)
        filters = {k: v for k in self.filter_names if (v := _one(query, k))}
        return Asked(page, per, sort, descending, fmt, filters)

    # --- pages ------------------------------------------------------------------------

    def page_of_query(self, session: Session, query: Any, asked: Asked) -> Page[Any]:
        """One page of a query, counted and ordered by the database."""
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = session.exec(counted).one()
        pages = max(1, -(-total // asked.per))
        number = min(asked.page, pages)  # a page past the end shows the last one
        ordered = self._ordered(query, asked)
        rows = list(session.exec(ordered.offset((number - 1) * asked.per).limit(asked.per)))
        return Page(rows, total, asked, self.columns)

    def page_of_rows(self, rows: Sequence[R], asked: Asked) -> Page[R]:
        """One page of a list built in memory (a worklist gathered from several tables)."""
        ordered = self._sorted(rows, asked)
        pages = max(1, -(-len(ordered) // asked.per))
        number = min(asked.page, pages)
        start = (number - 1) * asked.per
        return Page(ordered[start : start + asked.per], len(ordered), asked, self.columns)

    def all_of_query(self, session: Session, query: Any, asked: Asked) -> list[Any]:
        """Every row of the filtered list, in the asked order, for an export."""
        rows = list(session.exec(self._ordered(query, asked).limit(MAX_EXPORT_ROWS + 1)))
        if len(rows) > MAX_EXPORT_ROWS:
            raise InvalidInput(
                Problem(
                    "format",
                    "export-too-large",
                    say("more than %(n)s rows: filter the list first", n=MAX_EXPORT_ROWS),
                )
            )
        return rows

    def all_of_rows(self, rows: Sequence[R], asked: Asked) -> list[R]:
        return self._sorted(rows, asked)

    def _ordered(self, query: Any, asked: Asked) -> Any:
        expression = self.columns[asked.sort].order
        order = [expression.desc() if asked.descending else expression.asc()]
        if self.tiebreak is not None:
            order.append(self.tiebreak.desc() if asked.descending else self.tiebreak.asc())
        return query.order_by(None).order_by(*order)

    def _sorted(self, rows: Sequence[R], asked: Asked) -> list[R]:
        key = self.columns[asked.sort].order
        # None sorts last whichever way round: a missing date is not the earliest date.
        present = [r for r in rows if key(r) is not None]
        missing = [r for r in rows if key(r) is None]
        return sorted(present, key=key, reverse=asked.descending) + missing

    # --- exports ----------------------------------------------------------------------

    def export(
        self, rows: Sequence[R], asked: Asked, gettext: Callable[[str], str], stem: str = ""
    ) -> Response[bytes]:
        """The rows as the asked format, headed and worded in the reader's language."""
        headings = [gettext(c.heading) for c in self.columns.values()]
        table = [[self._cell(c, row, gettext) for c in self.columns.values()] for row in rows]
        name = f"{stem or self.name}.{asked.format}"
        if asked.format == "xlsx":
            content = xlsx_bytes(gettext(self.title), headings, table)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            content = csv_bytes(headings, table)
            media = "text/csv"
        return Response(
            content=content,
            media_type=media,
            headers={"Content-Disposition": attachment(name)},
        )

    @staticmethod
    def _cell(column: Column[R], row: R, gettext: Callable[[str], str]) -> Any:
        found = column.value(row)
        if column.reader is not None and found is not None:
            return column.reader(found, gettext)
        if column.code and isinstance(found, str):
            message = code_message(found)
            return gettext(message) if message else found
        if isinstance(found, Text):
            return render(found, gettext)
        return found


def attachment(name: str) -> str:
    """A Content-Disposition naming the file (RFC 6266: an ASCII name, and the UTF-8 one)."""
    plain = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


def csv_bytes(headings: Sequence[str], table: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, which Chinese Excel needs to open it as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headings)
    for row in table:
        writer.writerow(["" if v is None else _plain(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # A cell that starts like a formula is written as text (CSV injection, OWASP).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def xlsx_bytes(title: str, headings: Sequence[str], table: Sequence[Sequence[Any]]) -> bytes:
    """An Excel workbook: dates as dates, money and counts as numbers, text as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for text in headings:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for row in table:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_excel(value))
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a name typed as "=…" stays text, never a formula
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _excel(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value  # Excel has no zones
    return value


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Sheet")[:31]


def _one(query: Mapping[str, Any], name: str) -> str | None:
    raw = query.get(name)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    text = str(raw).strip() if raw is not None else ""
    if "\x00" in text:
        raise InvalidInput(Problem(name, "schema", "text must not contain NUL characters"))
    return text or None


def _whole(query: Mapping[str, Any], name: str, default: int, problems: list[Problem]) -> int:
    text = _one(query, name)
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        problems.append(Problem(name, "whole-number", say("a whole number from 1")))
        return default
    return int(text)


def one_of(given: str | None, allowed: Collection[str], name: str) -> None:
    """A list's filter must be one of its choices (a hand-edited link gets a 422, not an empty
    list that looks like nobody)."""
    if given is not None and given not in allowed:
        raise InvalidInput(Problem(name, "filter-choice", say("not one of the choices")))


def query_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """A request's query parameters, the first of each."""
    return {k: v for k, v in request.query_params.items()}
