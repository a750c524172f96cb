"""The bank payment file of a finished, signed-off run: what the bank transfers, line by line.

CSV, UTF-8 with a byte-order mark, CRLF line ends. UTF-8 because payee names are Chinese and
the file must carry any of them; the BOM because the people who check the file at the bank open
it in Excel, which reads a CSV without a BOM in the system's code page (GBK on Chinese Windows)
and garbles every name. Lines of zero and lines without a bank account are left out (they are in
the ledger, not at the bank). Amounts are decimal yuan with two places; the reference ties a
transfer to its line.

A county's month is up to a million lines, so the database writes each line — the fields quoted
as Python's ``csv`` module would quote them, the amount as yuan and fen from the whole number of
fen, the reference, the CRLF — and Python only joins the lines it reads on the driver's own
cursor (plain tuples, streamed: a server-side cursor on PostgreSQL) and encodes them. Formatting
a million lines in Python cost as much again as reading them. ``workbridge bench payments``
times the file beside a floor that reads the same rows and formats nothing.
"""

from __future__ import annotations

import csv
import io
import tempfile
import typing
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlmodel import Session

from benefits.models import PaymentLine
from kernel.db import reader

LINE = PaymentLine.__table__  # type: ignore[attr-defined]
COLUMNS = ("account", "name", "amount", "reference")
# What makes csv.writer quote a field with its default dialect and a CRLF line end.
QUOTED_WHEN = (",", '"', "\r", "\n")
CHUNK = 20_000  # rows fetched and formatted at a time
SPOOL_BYTES = 8 * 1024 * 1024


def reference(period: str, case_id: int) -> str:
    return f"WB-{period}-{case_id}"


def file_name(period: str) -> str:
    return f"workbridge-payments-{period}.csv"


def chunks(engine: Engine, period: str) -> Iterator[bytes]:
    """The bank payment file, streamed from its own connection (the command line, the bench)."""
    with reader(engine).connect() as conn:
        yield from bank_file_from(conn, period)


def spooled(session: Session, period: str) -> BinaryIO:
    """The bank payment file written out on the request's own connection, ready to send.

    A request gives its connection back before its answer goes out (``kernel.web``), so the
    file is made first — in memory up to a few megabytes, on disk beyond — and then streamed
    to the browser without holding the database while a slow line downloads it.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    for chunk in bank_file_from(session.connection(), period):
        spool.write(chunk)
    spool.seek(0)
    return typing.cast(BinaryIO, spool)


def lines_query(period: str) -> Select[Any]:
    """The file's rows as the ledger holds them: what the bank is sent, in case order."""
    return (
        select(LINE.c.case_id, LINE.c.bank_account, LINE.c.payee_name, LINE.c.amount_fen)
        .where(*_at_the_bank(period))
        .order_by(LINE.c.case_id)
    )


def formatted_query(period: str, dialect: str) -> Select[Any]:
    """The same rows, each already the file's line (CRLF included)."""
    line = (
        csv_field(LINE.c.bank_account, dialect)
        + ","
        + csv_field(LINE.c.payee_name, dialect)
        + ","
        + yuan(LINE.c.amount_fen, dialect)
        + ","
        + literal(reference(period, 0)[:-1], Text)
        + cast(LINE.c.case_id, Text)
        + "\r\n"
    )
    return select(line).where(*_at_the_bank(period)).order_by(LINE.c.case_id)


def _at_the_bank(period: str) -> tuple[ColumnElement[bool], ...]:
    return (
        LINE.c.period == period,
        LINE.c.amount_fen > 0,
        LINE.c.bank_account.is_not(None),
        LINE.c.bank_account != "",
    )


def csv_field(column: ColumnElement[str], dialect: str) -> ColumnElement[str]:
    """The field as csv.writer writes it (QUOTE_MINIMAL): quoted, its quotes doubled, when it
    holds a delimiter, a quote or a line break; as it is otherwise."""
    find = func.instr if dialect == "sqlite" else func.strpos
    special = or_(*(find(column, mark) > 0 for mark in QUOTED_WHEN))
    return case((special, '"' + func.replace(column, '"', '""') + '"'), else_=column)


def yuan(fen: ColumnElement[int], dialect: str) -> ColumnElement[str]:
    """A positive whole number of fen as yuan with two places, by integer arithmetic."""
    whole, part = cast(fen // 100, Integer), cast(fen % 100, Integer)
    if dialect == "sqlite":
        return func.printf("%d.%02d", whole, part)
    return cast(whole, Text) + "." + func.lpad(cast(part, Text), 2, "0")


def bank_file_from(conn: Connection, period: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, lineterminator="\r\n").writerow(COLUMNS)
    head = buffer.getvalue()
    for rows in raw_rows(conn, formatted_query(period, conn.dialect.name)):
        yield (head + "".join([row[0] for row in rows])).encode("utf-8")
        head = ""
    if head:
        yield head.encode("utf-8")


def raw_rows(conn: Connection, query: Select[Any]) -> Iterable[list[tuple[Any, ...]]]:
    """The query's rows as the driver gives them, ``CHUNK`` at a time, on the connection's own
    transaction. The query's parameters are bound by the driver, never written into the SQL."""
    compiled = query.compile(dialect=conn.dialect)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "postgresql":
        cursor = dbapi.cursor(name="bank_file")  # server-side: a million rows are not held
        cursor.itersize = CHUNK
        cursor.execute(str(compiled), compiled.params)
    else:
        cursor = dbapi.cursor()
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        cursor.execute(str(compiled), params)
    try:
        while rows := cursor.fetchmany(CHUNK):
            yield rows
    finally:
        cursor.close()
