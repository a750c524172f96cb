"""``workbridge export roll``: every member of every household on the scheme, one row each, in
the layout offices keep (benefits.roll), as a real Excel file and as CSV."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from benefits import roll
from kernel.models import AuditRecord
from tests.support import Desk, create_household, household, member
from workbridge.cli import main


@pytest.fixture
def desk(client, tokens, clock, database_url, monkeypatch) -> Desk:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    return Desk(client, tokens, clock)


def _county(desk: Desk) -> dict[str, dict]:
    """A family on the scheme with an earner, a pensioner alone, a household whose case has
    ended and one that has only applied."""
    head = member("陈建国", birth=date(1981, 4, 2), sex="male", incomes=[("wages", "200.00")])
    family = desk.household_with_case(
        head, member("刘芳", birth=date(1982, 7, 9), relation="spouse", phone="13800001111")
    )
    alone = desk.household_with_case(
        member("王老汉", birth=date(1950, 1, 1), sex="male", incomes=[("pension", "60.50")])
    )
    ended = desk.household_with_case(member("赵离开", birth=date(1970, 2, 2), sex="male"))
    desk.on("2026-03-20")
    desk.call(
        "POST",
        f"/cases/{ended['case_id']}/status",
        desk.officer,
        {"status": "terminated", "effective_from": "2026-03-20", "reason": "迁出本县"},
    )
    applied = create_household(
        desk.client, desk.officer, household(member("孙申请", birth=date(1975, 5, 5)))
    )
    return {"family": family, "alone": alone, "ended": ended, "applied": applied, "head": head}


def test_the_roll_as_excel_keeps_ids_as_text_money_as_numbers_days_as_dates(
    desk: Desk, engine, tmp_path
) -> None:
    county = _county(desk)
    target = tmp_path / "花名册.xlsx"
    assert main(["export", "roll", "--output", str(target)]) == 0
    sheet = load_workbook(target, read_only=True)[roll.SHEET_TITLE]
    table = list(sheet.iter_rows(values_only=True))
    heading, rows = list(table[0]), [list(r) for r in table[1:]]
    assert heading == roll.headings()
    at = {column.key: index for index, column in enumerate(roll.COLUMNS)}
    # The family's two members and the pensioner; not the ended case, not the mere applicant.
    assert sorted(r[at["household_key"]] for r in rows) == sorted(
        [str(county["family"]["id"])] * 2 + [str(county["alone"]["id"])]
    )
    head = next(r for r in rows if r[at["name"]] == "陈建国")
    assert head[at["relation"]] == "户主" and head[at["sex"]] == "男"
    assert head[at["national_id"]] == county["head"]["national_id"]  # in full: a register
    assert head[at["income_wages"]] == 200 and head[at["income_pension"]] is None
    assert head[at["scheme"]] == "城市" and head[at["status"]] == "正常享受"
    assert head[at["birth_date"]].date() == date(1981, 4, 2)
    assert head[at["approved_on"]].date() == date(2026, 3, 2)
    pensioner = next(r for r in rows if r[at["name"]] == "王老汉")
    assert Decimal(str(pensioner[at["income_pension"]])) == Decimal("60.50")
    wife = next(r for r in rows if r[at["name"]] == "刘芳")
    assert wife[at["phone"]] == "13800001111"  # as offices write it, not +86…
    # ID and account numbers are text cells: Excel keeps all 18 digits.
    cells = list(load_workbook(target)[roll.SHEET_TITLE].iter_rows(min_row=2))
    assert all(row[at["national_id"]].data_type == "s" for row in cells)
    assert all(row[at["bank_account"]].data_type == "s" for row in cells)
    with Session(engine) as session:
        (audited,) = session.exec(select(AuditRecord).where(AuditRecord.entity == "roll")).all()
    assert (audited.action, audited.details["rows"]) == ("exported", 3)


def test_the_roll_as_csv_reads_back_the_same_rows(desk: Desk, engine, tmp_path) -> None:
    _county(desk)
    as_excel, as_csv = tmp_path / "roll.xlsx", tmp_path / "roll.csv"
    assert main(["export", "roll", "--output", str(as_excel)]) == 0
    assert main(["export", "roll", "--output", str(as_csv)]) == 0
    raw = as_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Chinese Excel
    with open(as_csv, encoding="utf-8-sig", newline="") as handle:
        from_csv = list(csv.reader(handle))

    def text(value: object) -> str:
        if value is None:
            return ""
        if hasattr(value, "date"):
            return value.date().isoformat()  # type: ignore[union-attr]
        if isinstance(value, float | int):
            return f"{Decimal(str(value)):.2f}"
        return str(value)

    sheet = load_workbook(as_excel, read_only=True)[roll.SHEET_TITLE]
    from_excel = [[text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert from_csv == from_excel


@pytest.mark.parametrize("name", ["roll.txt", "missing-folder/roll.xlsx"])
def test_a_roll_is_written_only_where_it_can_be(desk: Desk, tmp_path, name: str) -> None:
    target = tmp_path / name
    assert main(["export", "roll", "--output", str(target)]) == 2
    assert not target.exists()


def test_a_cell_typed_like_a_formula_stays_text(tmp_path) -> None:
    target = tmp_path / "roll.xlsx"
    width = len(roll.COLUMNS)
    row = ['=HYPERLINK("http://x")', "-1", Decimal("12.30"), date(2026, 3, 2)]
    assert roll.write_xlsx(str(target), iter([row + [None] * (width - len(row))])) == 1
    cells = next(load_workbook(target)[roll.SHEET_TITLE].iter_rows(min_row=2))
    assert (cells[0].value, cells[0].data_type) == ('=HYPERLINK("http://x")', "s")
    assert (cells[1].value, cells[1].data_type) == ("-1", "s")
    assert (cells[2].value, cells[2].number_format) == (12.3, "0.00")
    assert cells[3].value.date() == date(2026, 3, 2) and cells[3].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_roll_from_the_api_is_the_roll_of_the_command(
    desk: Desk, engine, tmp_path, tokens, kind: str
) -> None:
    _county(desk)
    answer = desk.client.get(f"/api/v1/roll?format={kind}", headers=desk.officer)
    assert answer.status_code == 200, answer.text[:300]
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.headers["cache-control"].startswith("no-store")
    from_api = tmp_path / f"api.{kind}"
    from_api.write_bytes(answer.content)
    from_cli = tmp_path / f"cli.{kind}"
    assert main(["export", "roll", "--output", str(from_cli)]) == 0
    if kind == "csv":
        assert from_api.read_bytes() == from_cli.read_bytes()
    else:
        api_rows = list(load_workbook(from_api, read_only=True).active.iter_rows(values_only=True))
        cli_rows = list(load_workbook(from_cli, read_only=True).active.iter_rows(values_only=True))
        assert api_rows == cli_rows and len(api_rows) == 4
    with Session(engine) as session:
        audited = session.exec(select(AuditRecord).where(AuditRecord.entity == "roll")).all()
    assert [a.details["format"] for a in audited] == [kind, kind]


@pytest.mark.parametrize(
    ("who", "status"),
    [("counsellor", 403), ("training_provider", 403), ("admin", 403), ("benefit_officer", 200)],
)
def test_who_may_take_the_roll(desk: Desk, tokens, who: str, status: int) -> None:
    answer = desk.client.get("/api/v1/roll", headers=tokens.headers(who))
    assert answer.status_code == status


def test_an_office_bound_officer_gets_no_county_roll(desk: Desk, engine) -> None:
    from datetime import UTC, datetime

    from kernel.auth import Role, issue_token
    from kernel.db import session_scope

    with session_scope(engine) as session:
        _, raw = issue_token(
            session,
            role=Role.BENEFIT_OFFICER,
            name="township officer",
            now=datetime.now(UTC),
            office="定城镇",
        )
    answer = desk.client.get("/api/v1/roll", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 403
    bad = desk.client.get("/api/v1/roll?format=pdf", headers=desk.officer)
    assert bad.status_code in (400, 422)
