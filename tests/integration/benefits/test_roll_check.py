"""``workbridge check roll``: a county's roll read line by line, every problem of every row
named with its line, column and rule, and nothing written (benefits.roll_check)."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, select

from benefits import roll
from benefits.models import Household
from benefits.roll_check import RollFileError, check_roll
from tests.support import Desk, member, person_id
from workbridge.cli import main

CATEGORIES = {"urban": {"A", "B", "C"}, "rural": {"A", "B", "C"}}
TODAY = date(2026, 3, 20)
HEAD = person_id(date(1980, 4, 13), "female")
SPOUSE = person_id(date(1981, 12, 19), "male")


def _line(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "household_key": "H1",
        "name": "刘淑珍",
        "national_id": HEAD,
        "relation": "户主",
        "sex": "女",
        "work_capacity": "有劳动能力",
        "disability": "无",
        "income_wages": "240.00",
        "phone": "13879523069",
        "bank_account": "6228480010012345678",
        "scheme": "城市",
        "address": "藕塘镇曲阳路103号",
        "community": "新街社区",
        "township": "藕塘镇",
        "category": "C",
        "monthly_amount": "120.00",
        "status": "正常享受",
        "status_since": "2025-05-04",
        "approved_on": "2025-05-04",
        "next_review_on": "2025-11-04",
    }
    base.update(values)
    return base


def _write(path, lines: list[dict[str, object]], encoding: str = "utf-8-sig") -> None:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(roll.headings())
        for line in lines:
            writer.writerow(["" if line.get(c.key) is None else line[c.key] for c in roll.COLUMNS])


def _summary(path):
    *households, summary = check_roll(path, CATEGORIES, TODAY)
    return households, summary


def test_a_good_roll_in_gb18030_reads_clean(tmp_path) -> None:
    path = tmp_path / "roll.csv"
    spouse = _line(name="朱宇", national_id=SPOUSE, relation="配偶", sex="男")
    _write(path, [_line(), spouse], encoding="gb18030")
    households, summary = _summary(path)
    assert (summary.households, summary.members, summary.problems) == (1, 2, [])
    (family,) = households
    assert [m.national_id for m in family.members] == [HEAD, SPOUSE]
    assert family.members[0].incomes[0].monthly_amount == 240
    assert family.place is not None and family.place.scheme == "urban"


def test_every_problem_of_every_row_is_named(tmp_path) -> None:
    path = tmp_path / "roll.csv"
    bad_check = HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1")
    lines = [
        _line(),  # 2: fine
        _line(name="朱宇", national_id=bad_check, relation="老公", sex="男"),  # 3
        _line(name="金春生", national_id=SPOUSE, relation="子女", income_wages="12.345"),  # 4
        _line(name="王五", national_id=person_id(date(1990, 1, 1), "male"), township="炉桥镇"),
        _line(
            household_key="H2",
            national_id=HEAD,  # 6: the head of H1 again
            scheme="城镇",
            category="Z",
            monthly_amount="abc",
            status_since="2026-13-01",
        ),
        _line(household_key="H1", name="", national_id=person_id(date(1970, 1, 1), "male")),
    ]
    _write(path, lines)
    _, summary = _summary(path)
    found = {(p.row, p.field, p.rule) for p in summary.problems}
    assert (3, "公民身份号码", "schema") in found  # the check character
    assert (3, "与户主关系", "roll-value") in found  # 老公 is not a relation word
    assert (4, "工资性收入", "roll-value") in found  # three decimals
    assert (5, "乡镇（街道）", "same-household") in found  # another township than line 2
    assert (5, "与户主关系", "one-head") not in found
    assert (6, "城乡类别", "roll-value") in found
    assert (6, "月保障金额（元）", "roll-value") in found
    assert (6, "状态起始日期", "roll-value") in found
    assert (6, "公民身份号码", "once-in-roll") in found
    assert (7, "户编号", "household-together") in found  # H1 again after H2
    assert (7, "姓名", "required") in found
    # H1's first stretch has two heads (lines 2 and 5)
    assert any(p.rule == "one-head" and p.row == 2 for p in summary.problems)
    assert all(p.row >= 2 for p in summary.problems)


@pytest.mark.parametrize(
    ("amount", "fine"),
    [("0", True), ("0.01", True), ("100000", True), ("100000.01", False), ("-1", False)],
)
def test_amount_bounds(tmp_path, amount: str, fine: bool) -> None:
    path = tmp_path / "roll.csv"
    _write(path, [_line(monthly_amount=amount)])
    _, summary = _summary(path)
    assert (summary.problems == []) is fine


def test_a_sheet_that_is_not_a_roll_is_refused_whole(tmp_path) -> None:
    wrong = tmp_path / "wrong.xlsx"
    book = Workbook()
    book.active.append(["姓名", "身份证", "备注"])
    book.save(wrong)
    with pytest.raises(RollFileError) as caught:
        _summary(wrong)
    rules = [p.rule for p in caught.value.problems]
    assert rules.count("roll-heading") >= 3  # two unknown columns, the missing ones
    not_excel = tmp_path / "roll.xlsx"
    not_excel.write_text("hello", encoding="utf-8")
    with pytest.raises(RollFileError):
        _summary(not_excel)


def test_the_command_writes_the_problems_and_nothing_else(
    client, tokens, clock, engine, database_url, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "160")
    desk = Desk(client, tokens, clock)
    desk.household_with_case(member("陈建国", birth=date(1981, 4, 2), sex="male"))
    exported = tmp_path / "roll.xlsx"
    assert main(["export", "roll", "--output", str(exported)]) == 0
    assert main(["check", "roll", str(exported)]) == 0  # what was given out reads back clean
    bad = tmp_path / "bad.csv"
    _write(bad, [_line(relation="老公")])
    with Session(engine) as session:
        before = session.exec(select(func.count()).select_from(Household)).one()
    assert main(["check", "roll", str(bad)]) == 1
    problems = (tmp_path / "bad.problems.csv").read_text(encoding="utf-8-sig")
    assert "与户主关系" in problems and "老公" in problems
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Household)).one() == before
    assert main(["check", "roll", str(tmp_path / "missing.csv")]) == 2


def test_the_api_checks_an_uploaded_roll_and_writes_nothing(
    client, tokens, engine, tmp_path
) -> None:
    officer = tokens.headers("benefit_officer")
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    _write(good, [_line()], encoding="gb18030")
    _write(bad, [_line(), _line(name="朱宇", national_id=SPOUSE, relation="老公", sex="男")])
    answer = client.post(
        "/api/v1/roll/checks", files={"file": ("good.csv", good.read_bytes())}, headers=officer
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"households": 1, "members": 1, "problems_total": 0, "problems": []}
    answer = client.post(
        "/api/v1/roll/checks",
        files={"file": ("bad.csv", bad.read_bytes())},
        headers={**officer, "Accept-Language": "zh-CN"},
    )
    body = answer.json()
    assert body["problems_total"] == 1
    (problem,) = body["problems"]
    assert (problem["row"], problem["field"], problem["rule"]) == (3, "与户主关系", "roll-value")
    assert "老公" in problem["message"] and "户主" in problem["message"]
    book = Workbook()
    book.active.append(["姓名"])
    sheet = tmp_path / "wrong.xlsx"
    book.save(sheet)
    answer = client.post(
        "/api/v1/roll/checks", files={"file": ("x.xlsx", sheet.read_bytes())}, headers=officer
    )
    assert answer.status_code == 422
    assert {p["rule"] for p in answer.json()["problems"]} == {"roll-heading"}
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Household)).one() == 0
    counsellor = client.post(
        "/api/v1/roll/checks",
        files={"file": ("good.csv", good.read_bytes())},
        headers=tokens.headers("counsellor"),
    )
    assert counsellor.status_code == 403


def test_the_roll_page_gives_the_sheet_and_checks_one(
    client, tokens, clock, engine, tmp_path
) -> None:
    from tests.support import PageClient, make_account

    Desk(client, tokens, clock).household_with_case(member("陈建国", birth=date(1981, 4, 2)))
    make_account(engine, "county", "benefit_officer")
    make_account(engine, "township", "benefit_officer", office="定城镇")
    pages = PageClient(client)
    assert pages.sign_in("county").status_code == 303
    page = pages.get("/app/roll")
    assert page.status_code == 200 and 'href="/app/roll"' in page.text
    sheet = pages.get("/app/roll/file?format=xlsx")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    bad = tmp_path / "bad.csv"
    _write(bad, [_line(relation="老公")])
    checked = client.post(
        "/app/roll/check",
        data={"csrf_token": pages.csrf},
        files={"file": ("bad.csv", bad.read_bytes())},
    )
    assert checked.status_code == 200
    assert "老公" in checked.text and "与户主关系" in checked.text
    empty = client.post("/app/roll/check", data={"csrf_token": pages.csrf}, files={})
    assert empty.status_code == 422
    wrong = client.post(
        "/app/roll/check",
        data={"csrf_token": pages.csrf},
        files={"file": ("wrong.csv", "姓名,备注\n张三,x\n".encode())},
    )
    assert wrong.status_code == 422 and "备注" in wrong.text
    client.cookies.clear()
    township = PageClient(client)
    assert township.sign_in("township").status_code == 303
    assert 'href="/app/roll"' not in township.get("/app/applications").text
    assert township.get("/app/roll").status_code == 403


@pytest.mark.parametrize(
    ("ids", "twice"),
    [
        (["a", "b", "c", "d"], []),
        (["a", "a"], [(3, 2)]),  # in the batch in hand
        (["a", "b", "a"], [(4, 2)]),  # against a batch already put away
        (["a", "b", "c", "b"], [(5, 3)]),  # found when the last batch is put away
        (["a", "b", "a", "a"], [(4, 2), (5, 4)]),  # each named with a line it repeats
    ],
)
def test_an_id_number_standing_twice_is_found_across_batches(ids, twice) -> None:
    from benefits.roll_check import Seen, _twice

    seen = Seen(_twice, batch=2)
    found = []
    for line, nid in enumerate(ids, start=2):
        found += seen.add(nid, line)
    found += seen.close()
    assert sorted((p.row, int(p.message.values["line"])) for p in found) == twice
    assert all(p.rule == "once-in-roll" and p.field == "公民身份号码" for p in found)


def test_a_file_in_neither_encoding_is_refused_whole(tmp_path) -> None:
    path = tmp_path / "roll.csv"
    _write(path, [_line()], encoding="utf-8")
    # A byte no UTF-8 or GB 18030 text has, far into the file (past the first megabyte).
    path.write_bytes(path.read_bytes() + b"," * (1 << 20) + b"\xff\xff\n")
    with pytest.raises(RollFileError) as refused:
        _summary(path)
    assert [p.rule for p in refused.value.problems] == ["encoding"]
