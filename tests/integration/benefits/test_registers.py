"""Registers reported upward (benefits.registers): the quarterly register by category, the list
of officials' relatives and the month's payment register, as real Excel files from the command
line, the API and the Roll page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from benefits import roll_import
from tests.integration.benefits.test_roll_import import _county, _line, _write, _writer
from tests.support import person_id
from workbridge.cli import main


def _sheet(path) -> list[tuple]:
    """The rows as read back, numbers of money as Decimal (Excel gives 200.00 back as 200)."""
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    return [rows[0]] + [
        tuple(Decimal(str(v)) if isinstance(v, float) else v for v in row) for row in rows[1:]
    ]


@pytest.fixture
def county(app, engine, clock, tmp_path, database_url, monkeypatch) -> dict:
    """Two households of two in 藕塘镇 (urban, C) and one alone in 炉桥镇 (rural, A), brought in
    from a roll, the last filed as an official's relative; March paid."""
    from datetime import date

    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    lines = _county(app, 2)
    alone = _line(
        "R1",
        "赵老汉",
        person_id(date(1950, 1, 1), "male"),
        scheme="农村",
        township="炉桥镇",
        community="西湖村",
        category="A",
        monthly_amount="0.00",
        status="暂停",
    )
    path = tmp_path / "roll.csv"
    _write(path, [*lines, alone])
    roll_import.commit(engine, path, _writer(app, clock))
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE member SET official_relative = :yes, official_relative_note = :note"
                " WHERE name = '赵老汉'"
            ),
            {"yes": True, "note": "县局干部之父"},
        )
    assert main(["payments", "run", "--period", "2026-03"]) == 0
    return {"amount": Decimal(str(lines[0]["monthly_amount"]))}


def test_the_quarterly_register_counts_households_persons_and_money(county, tmp_path) -> None:
    target = tmp_path / "q1.xlsx"
    assert (
        main(["export", "register", "quarterly", "--quarter", "2026-Q1", "--output", str(target)])
        == 0
    )
    heading, *rows = _sheet(target)
    assert heading[:5] == ("乡镇（街道）", "城乡类别", "保障类别", "户数", "人数")
    amount = county["amount"]
    # The suspended household is not on the scheme at the quarter's end, nor paid in March.
    assert [
        tuple(Decimal(v) if isinstance(v, int) and i > 4 else v for i, v in enumerate(r))
        for r in rows
    ] == [
        ("藕塘镇", "城市", "C", 2, 4, amount * 2, amount * 2),
        ("合计", None, None, 2, 4, amount * 2, amount * 2),
    ]


def test_the_relatives_list_and_the_payment_register(county, tmp_path) -> None:
    relatives = tmp_path / "relatives.xlsx"
    assert main(["export", "register", "relatives", "--output", str(relatives)]) == 0
    heading, *rows = _sheet(relatives)
    assert heading[3:5] == ("姓名", "公民身份号码")
    assert [(r[0], r[3], r[6], r[8]) for r in rows] == [
        ("炉桥镇", "赵老汉", "县局干部之父", "暂停")
    ]

    paid = tmp_path / "march.xlsx"
    assert (
        main(["export", "register", "payments", "--period", "2026-03", "--output", str(paid)]) == 0
    )
    heading, *rows = _sheet(paid)
    amount = county["amount"]
    assert heading[-1] == "实发金额（元）"
    assert [(r[0], r[3], Decimal(r[-1])) for r in rows] == [
        ("炉桥镇", "赵老汉", Decimal("0.00")),
        ("炉桥镇 小计", None, Decimal("0.00")),
        ("藕塘镇", "户主0", amount),
        ("藕塘镇", "户主1", amount),
        ("藕塘镇 小计", None, amount * 2),
        ("合计", None, amount * 2),
    ]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["quarterly", "--quarter", "2026-Q5"], 2),
        (["quarterly", "--quarter", "2026Q1"], 2),
        (["quarterly"], 2),
        (["payments", "--period", "2026-13"], 2),
        (["payments"], 2),
    ],
)
def test_a_register_asked_for_wrongly_is_refused(
    args, code, tmp_path, database_url, monkeypatch
) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    target = tmp_path / "r.xlsx"
    assert main(["export", "register", *args, "--output", str(target)]) == code
    assert not target.exists()


def test_registers_from_the_api_and_the_page(county, client, tokens, engine) -> None:
    from tests.support import PageClient, make_account

    officer = tokens.headers("benefit_officer")
    answer = client.get("/api/v1/registers/quarterly?on=2026-Q1", headers=officer)
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    assert "attachment" in answer.headers["content-disposition"]
    bad = client.get("/api/v1/registers/quarterly?on=2026-Q9", headers=officer)
    assert bad.status_code == 422 and bad.json()["problems"][0]["rule"] == "quarter-format"
    unknown = client.get("/api/v1/registers/others", headers=officer)
    assert unknown.status_code in (400, 404, 422)
    assert (
        client.get("/api/v1/registers/relatives", headers=tokens.headers("counsellor")).status_code
        == 403
    )
    with engine.connect() as connection:
        audited = connection.execute(
            text("SELECT count(*) FROM audit_record WHERE entity = 'register'")
        ).scalar_one()
    assert audited == 1  # the refused ones wrote nothing

    make_account(engine, "county", "benefit_officer")
    pages = PageClient(client)
    assert pages.sign_in("county").status_code == 303
    assert 'action="/app/roll/registers/quarterly"' in pages.get("/app/roll").text
    sheet = pages.get("/app/roll/registers/payments?on=2026-03")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
