"""Excel workbooks written row by row, as offices read them.

Registers, rolls and results go out as xlsx because offices keep their records in Excel. A
county's sheet has a million rows, so the workbook is written with openpyxl's write-only mode
(memory stays flat) and only the cells that need it are styled: money with two decimals, days
as dates, and text that starts like a formula kept as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO


def write_xlsx(
    target: str | BinaryIO, title: str, headings: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write one sheet (headings in bold, frozen) and return the number of rows below them."""
    return write_xlsx_sheets(target, [(title, headings, rows)])[0]


def write_xlsx_sheets(
    target: str | BinaryIO,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
) -> list[int]:
    """Write several sheets in order, each as ``write_xlsx`` writes one; the rows of each."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    counts = []
    for title, headings, rows in sheets:
        sheet = book.create_sheet(title=title[:31])  # Excel's limit for a sheet's name
        sheet.freeze_panes = "A2"
        head = []
        for text in headings:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            head.append(cell)
        sheet.append(head)
        count = 0
        for row in rows:
            sheet.append([_cell(sheet, value, WriteOnlyCell) for value in row])
            count += 1
        counts.append(count)
    book.save(target)
    return counts


def _cell(sheet: Any, value: Any, make: Any) -> Any:
    """A value as openpyxl writes it: text stays text (a string is never a number, and one
    starting with "=" is never a formula), money and days get their formats. A plain value
    costs a fraction of a styled cell, so only what needs it is wrapped."""
    if isinstance(value, str):
        if value.startswith("="):
            cell = make(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value
    if isinstance(value, Decimal):
        cell = make(sheet, value=value)
        cell.number_format = "0.00"
        return cell
    if isinstance(value, date):
        cell = make(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value
