"""The bank payment file of a finished, signed-off run: what the bank transfers, line by line.

CSV, UTF-8 with a byte-order mark, CRLF line ends. UTF-8 because payee names are Chinese and
the file must carry any of them; the BOM because the people who check the file at the bank open
it in Excel, which reads a CSV without a BOM in the system's code page (GBK on Chinese Windows)
and garbles every name. Lines of zero and lines without a bank account are left out (they are in
the ledger, not at the bank). Amounts are decimal yuan with two places; the reference ties a
transfer to its line.

A county's month is up to a million lines, so the file is read on the driver's own cursor
(plain tuples, streamed: a server-side cursor on PostgreSQL) and formatted with integer
arithmetic — the amount is a positive whole number of fen, so ``fen // 100`` and ``fen % 100``
are exact — instead of a Decimal and a result row per line. ``workbridge bench payments`` times
it beside a floor that reads the same rows and formats nothing.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, cast

from sqlalchemy import Connection, Engine, Select, select
from sqlmodel import Session

from benefits.models import PaymentLine
from kernel.db import reader

LINE = PaymentLine.__table__  # type: ignore[attr-defined]
COLUMNS = ("account", "name", "amount", "reference")
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
    return cast(BinaryIO, spool)


def lines_query(period: str) -> Select[Any]:
    return (
        select(LINE.c.case_id, LINE.c.bank_account, LINE.c.payee_name, LINE.c.amount_fen)
        .where(
            LINE.c.period == period,
            LINE.c.amount_fen > 0,
            LINE.c.bank_account.is_not(None),
            LINE.c.bank_account != "",
        )
        .order_by(LINE.c.case_id)
    )


def bank_file_from(conn: Connection, period: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    prefix = reference(period, 0)[:-1]
    for rows in raw_rows(conn, lines_query(period)):
        writer.writerows(
            (account, name, f"{fen // 100}.{fen % 100:02d}", f"{prefix}{case_id}")
            for case_id, account, name, fen in rows
        )
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


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
