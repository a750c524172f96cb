"""The bank file formats amounts with integer arithmetic and reads rows on the driver's cursor:
every amount must still be exact to the fen, names with CSV's special characters must come back
as they were, and lines of zero or without an account must stay out."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from benefits import bank_file
from benefits.bench import generate
from benefits.models import PaymentLine, PaymentRun
from benefits.payment_rules import Month

LINE = PaymentLine.__table__  # type: ignore[attr-defined]
RUN = PaymentRun.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 3, 25, tzinfo=UTC)

# (amount in fen, payee, account, in the file as)
LINES = [
    (1, "王丽", "6222000000000001", "0.01"),
    (9, "李伟", "6222000000000002", "0.09"),
    (10, "张军", "6222000000000003", "0.10"),
    (99, "刘, 红梅", "6222000000000004", "0.99"),
    (100, '陈"小"宝', "6222000000000005", "1.00"),
    (101, "杨\n秀英", "6222000000000006", "1.01"),
    (102, "孙\r丽", "6222000000000010", "1.02"),
    (103, '"马"', "6222,0000000011", "1.03"),  # a quote first, a comma in the account
    (104, "", "6222000000000012", "1.04"),  # no name: an empty field, not ""
    (105, " 胡 𠀀 ", "6222000000000013", "1.05"),  # spaces and a character beyond the BMP
    (64_050, "黄桂兰", "6222000000000007", "640.50"),
    (2_147_483_647, "赵国强", "6222000000000008", "21474836.47"),  # the column's largest
    (0, "吴志刚", "6222000000000009", None),  # zero: not at the bank
    (15_000, "周玉梅", None, None),  # no account
    (15_000, "徐淑珍", "", None),  # empty account
]


@pytest.fixture
def period(engine) -> str:
    month = Month.parse("2026-03")
    generate(engine, len(LINES), month, "v", seed=5)
    with engine.begin() as conn:
        run = conn.execute(
            RUN.insert()
            .values(
                period=month.label,
                state="finished",
                month_first=month.first,
                month_last=month.last,
                parameter_version="v",
                batch_size=1,
                first_case_id=1,
                last_case_id=len(LINES),
                done_through_case_id=len(LINES),
                started_by="test",
                started_at=NOW,
                updated_at=NOW,
            )
            .returning(RUN.c.id)
        ).scalar_one()
        cases = [row[0] for row in conn.execute(text("SELECT id FROM benefit_case ORDER BY id"))]
        conn.execute(
            LINE.insert(),
            [
                {
                    "run_id": run,
                    "period": month.label,
                    "case_id": case_id,
                    "payee_name": name,
                    "bank_account": account,
                    "regular_fen": fen,
                    "adjustments_fen": 0,
                    "amount_fen": fen,
                    "carried_fen": 0,
                    "rule": "test",
                    "parameter_version": "v",
                    "inputs": {},
                    "created_at": NOW,
                }
                for case_id, (fen, name, account, _) in zip(cases, LINES, strict=True)
            ],
        )
    return month.label


def test_amounts_names_and_left_out_lines(engine, period) -> None:
    content = b"".join(bank_file.chunks(engine, period))
    assert content.startswith("\ufeff".encode()) and b"\r\n" in content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8")[1:], newline="")))
    assert rows[0] == list(bank_file.COLUMNS)
    expected = [(account, name, shown) for _, name, account, shown in LINES if shown]
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == expected
    references = [r[3] for r in rows[1:]]
    assert all(r.startswith(f"WB-{period}-") for r in references)
    assert references == sorted(references, key=lambda r: int(r.rsplit("-", 1)[1]))


def test_the_file_comes_in_chunks_of_whole_lines(engine, period, monkeypatch) -> None:
    monkeypatch.setattr(bank_file, "CHUNK", 3)
    chunks = list(bank_file.chunks(engine, period))
    assert len(chunks) >= 3
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)
    whole = b"".join(chunks).decode("utf-8")
    assert whole.count("WB-") == sum(1 for line in LINES if line[3])


def written_by_python(engine, period: str) -> bytes:
    """The file as csv.writer writes it from the ledger's rows: what the database's own
    formatting must reproduce byte for byte."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(bank_file.COLUMNS)
    with engine.connect() as conn:
        for case_id, account, name, fen in conn.execute(bank_file.lines_query(period)):
            amount = f"{fen // 100}.{fen % 100:02d}"
            writer.writerow((account, name, amount, bank_file.reference(period, case_id)))
    return buffer.getvalue().encode("utf-8")


def test_the_database_formats_each_line_as_csv_writer_would(engine, period) -> None:
    content = b"".join(bank_file.chunks(engine, period))
    assert content == written_by_python(engine, period)
    assert b'"\xe5\xad\x99\r\xe4\xb8\xbd"' in content  # 孙\r丽, quoted as it stands
    assert b'"6222,0000000011","""\xe9\xa9\xac"""' in content
