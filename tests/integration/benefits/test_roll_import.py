"""``workbridge import roll``: a county's roll brought in — checked whole, planned household by
household against what Workbridge holds, written in resumable batches, a status per row given
back (benefits.roll_import)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, text
from sqlmodel import Session, select

from benefits import roll, roll_import, roll_plan, roll_result, roll_write
from benefits.models import (
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    MemberIncome,
    RollImport,
    RollImportHousehold,
)
from benefits.roll_check import RollHousehold, check_roll
from benefits.rules import EntitlementParams
from kernel.auth import SYSTEM
from kernel.messages import render
from kernel.models import AuditRecord
from tests.support import person_id
from workbridge.cli import main

TODAY = date(2026, 2, 20)  # the clock fixture's day


def _line(key: str, name: str, nid: str, relation: str = "户主", **values: object) -> dict:
    base: dict[str, object] = {
        "household_key": key,
        "name": name,
        "national_id": nid,
        "relation": relation,
        "work_capacity": "有劳动能力",
        "disability": "无",
        "phone": "13879523069",
        "bank_account": "6228480010012345678",
        "scheme": "城市",
        "address": "藕塘镇曲阳路103号",
        "community": "新街社区",
        "township": "藕塘镇",
        "category": "C",
        "monthly_amount": "0.00",
        "status": "正常享受",
        "status_since": "2025-05-04",
        "approved_on": "2025-05-04",
        "next_review_on": "2026-05-04",
    }
    base.update(values)
    return base


def _write(path, lines: list[dict]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(roll.headings())
        for line in lines:
            writer.writerow(["" if line.get(c.key) is None else line[c.key] for c in roll.COLUMNS])


def _entitled(app, scheme: str, category: str, members: int, income: str) -> Decimal:
    from benefits.rules import assess_entitlement

    params = EntitlementParams.from_policy(app.state.policy.at(TODAY), scheme)
    return assess_entitlement(
        scheme=scheme,
        category=category,
        member_count=members,
        incomes=[Decimal(income)],
        params=params,
    ).monthly_amount


def _county(app, count: int = 3) -> list[dict]:
    """``count`` households of two people, the head earning 200.00, paid what the rules give."""
    amount = _entitled(app, "urban", "C", 2, "200.00")
    lines = []
    for index in range(count):
        key = f"H{index + 1}"
        head = person_id(date(1970 + index, 3, 1), "female")
        child = person_id(date(2010 + index, 6, 1), "male")
        common = {"monthly_amount": f"{amount:.2f}", "address": f"曲阳路{index + 1}号"}
        lines.append(
            _line(
                key,
                f"户主{index}",
                head,
                sex="女",
                birth_date=f"{1970 + index}-03-01",
                income_wages="200.00",
                **common,
            )
        )
        lines.append(
            _line(
                key,
                f"子女{index}",
                child,
                "子女",
                sex="男",
                birth_date=f"{2010 + index}-06-01",
                phone="",
                **common,
            )
        )
    return lines


def _writer(app, clock) -> roll_write.Writer:
    return roll_write.Writer(SYSTEM, clock.now(), TODAY, app.state.policy)


def _rows(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "household",
                "member",
                "member_income",
                "application",
                "benefit_case",
                "case_status_period",
            )
        }


def test_a_roll_is_brought_in_as_it_is_and_a_second_import_changes_nothing(
    app, engine, clock, tmp_path
) -> None:
    path = tmp_path / "roll.csv"
    lines = _county(app)
    _write(path, lines)
    writer = _writer(app, clock)

    report, plans = roll_import.preview(engine, path, writer)
    assert [p.action for p in plans] == ["created"] * 3
    assert report.counts["created"] == 3
    assert _rows(engine)["household"] == 0  # a preview writes nothing

    report = roll_import.commit(engine, path, writer, batch=2)
    assert report.counts == {"created": 3, "unchanged": 0, "updated": 0, "differs": 0, "refused": 0}
    assert _rows(engine) == {
        "household": 3,
        "member": 6,
        "member_income": 3,
        "application": 3,
        "benefit_case": 3,
        "case_status_period": 3,
    }
    with Session(engine) as session:
        case = session.exec(select(BenefitCase).order_by(BenefitCase.id)).first()
        assert case is not None
        assert case.monthly_amount_fen == int(Decimal(lines[0]["monthly_amount"]) * 100)
        assert case.status_since == date(2025, 5, 4) and case.opened_on == date(2025, 5, 4)
        assert case.next_review_on == date(2026, 5, 4)
        assert case.explanation["imported"]["notes"] == []
        period = session.exec(select(CaseStatusPeriod)).first()
        assert period is not None and period.rule == "roll-imported"
        assert period.effective_from == date(2025, 5, 4)
        assert period.parameter_version == report.parameter_version
        income = session.exec(select(MemberIncome)).first()
        assert income is not None and income.effective_from == date(2025, 5, 4)
        head = session.exec(select(Member).where(Member.relation == "head")).first()
        assert head is not None and head.phone == "+8613879523069"
        audited = session.exec(
            select(func.count()).where(AuditRecord.action == "imported")  # type: ignore[arg-type]
        ).one()
        assert audited == 4  # each case, and the import

    before = _rows(engine)
    again = roll_import.commit(engine, path, writer)
    assert again.counts == {"created": 0, "unchanged": 3, "updated": 0, "differs": 0, "refused": 0}
    assert _rows(engine) == before


def test_what_workbridge_gives_out_comes_back_unchanged(app, engine, clock, tmp_path) -> None:
    """Roll → Workbridge → roll: the sheet given out is the sheet brought in."""
    source = tmp_path / "roll.csv"
    _write(source, _county(app, 4))
    roll_import.commit(engine, source, _writer(app, clock))
    exported = tmp_path / "out.xlsx"
    roll.write_xlsx(str(exported), roll.rows(engine))
    _, plans = roll_import.preview(engine, exported, _writer(app, clock))
    assert [p.action for p in plans] == ["unchanged"] * 4

    def values(path) -> list[dict]:
        *households, _ = check_roll(path, {"urban": {"C"}, "rural": {"C"}}, TODAY)
        read = [dict(v) for h in households for v in h.values]
        for line in read:
            del line["household_key"]  # Workbridge's own number on the way out
        return sorted(read, key=lambda line: line["national_id"])

    assert values(exported) == values(source)


def test_a_file_with_any_bad_row_is_refused_whole(app, engine, clock, tmp_path) -> None:
    path = tmp_path / "roll.csv"
    lines = _county(app, 3)
    nid = str(lines[3]["national_id"])
    lines[3]["national_id"] = nid[:-1] + ("0" if nid[-1] != "0" else "1")  # wrong check character
    lines[5]["monthly_amount"] = "1.234"
    _write(path, lines)
    report = roll_import.commit(engine, path, _writer(app, clock))
    assert report.refused_whole
    assert {(p.row, p.rule) for p in report.problems} >= {(5, "schema"), (7, "roll-value")}
    assert _rows(engine) == dict.fromkeys(_rows(engine), 0)
    with Session(engine) as session:
        refused = session.exec(select(RollImport)).one()
        outcomes = session.exec(select(func.count()).select_from(RollImportHousehold)).one()
    assert (refused.state, refused.problem_count) == ("refused", len(report.problems))
    assert {(p["row"], p["rule"]) for p in refused.problems} >= {(5, "schema"), (7, "roll-value")}
    assert outcomes == 0


def test_a_person_in_another_live_household_is_refused_not_moved(
    app, engine, clock, tmp_path
) -> None:
    first = tmp_path / "first.csv"
    lines = _county(app, 2)
    _write(first, lines)
    roll_import.commit(engine, first, _writer(app, clock))
    with Session(engine) as session:
        home = session.exec(select(Member.household_id).where(Member.name == "子女0")).one()

    moved = dict(lines[1], household_key="N1", relation="户主")  # 子女0 heads a new household
    newcomer = _line("N2", "新户", person_id(date(1990, 1, 1), "male"), monthly_amount="0.00")
    second = tmp_path / "second.csv"
    _write(second, [moved, newcomer])
    report = roll_import.commit(engine, second, _writer(app, clock))
    assert report.counts == {"created": 1, "unchanged": 0, "updated": 0, "differs": 0, "refused": 1}
    with Session(engine) as session:
        assert session.exec(select(Member.household_id).where(Member.name == "子女0")).all() == [
            home
        ]
        refused = session.exec(
            select(RollImportHousehold).where(RollImportHousehold.action == "refused")
        ).one()
    assert refused.household_key == "N1" and refused.household_id is None
    assert refused.notes[0]["m"].startswith("line %(line)s: this person already belongs")
    assert refused.notes[0]["v"]["value"] == home


def test_differences_are_listed_and_not_applied(app, engine, clock, tmp_path) -> None:
    path = tmp_path / "roll.csv"
    lines = _county(app, 1)
    _write(path, lines)
    roll_import.commit(engine, path, _writer(app, clock))
    lines[0]["phone"] = "13900001111"
    lines[1]["work_capacity"] = "无劳动能力"
    _write(path, lines)
    report, plans = roll_import.preview(engine, path, _writer(app, clock))
    (plan,) = list(plans)
    assert plan.action == "differs"
    said = [render(note, lambda s: s) for note in plan.notes]
    assert said == [
        "line 2, 手机号码: 13879523069 in Workbridge, 13900001111 on the roll",
        "line 3, 劳动能力: 有劳动能力 in Workbridge, 无劳动能力 on the roll",
    ]
    report = roll_import.commit(engine, path, _writer(app, clock))
    assert report.counts["differs"] == 1
    with Session(engine) as session:
        assert session.exec(select(Member.phone).where(Member.relation == "head")).one() == (
            "+8613879523069"
        )


def _phones_and_addresses(engine) -> dict[str, tuple[str | None, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Member.national_id, Member.phone, Household.address).join(
                Household, Household.id == Member.household_id
            )
        ).all()
    return {nid: (phone, address) for nid, phone, address in rows}


def test_phones_and_an_address_are_taken_from_the_roll_when_nothing_else_differs(
    app, engine, clock, tmp_path
) -> None:
    path = tmp_path / "roll.csv"
    lines = _county(app, 3)
    _write(path, lines)
    roll_import.commit(engine, path, _writer(app, clock))
    held = _phones_and_addresses(engine)
    h1_head, h1_child = lines[0]["national_id"], lines[1]["national_id"]
    h2_head, h3_head = lines[2]["national_id"], lines[4]["national_id"]
    lines[0]["phone"] = "13900001111"  # H1: a new phone and a new address: taken
    lines[1]["phone"] = "13900002222"  # (the child had none)
    for line in lines[:2]:
        line["address"] = "曲阳路1号之二"
    lines[2]["phone"] = ""  # H2: a phone left blank on the roll is not erased
    lines[4]["phone"] = "13900003333"  # H3: a new phone beside a new income: nothing taken
    lines[4]["income_wages"] = "300.00"
    _write(path, lines)

    report, plans = roll_import.preview(engine, path, _writer(app, clock))
    actions = {plan.household.key: plan.action for plan in plans}
    assert actions == {"H1": "updated", "H2": "differs", "H3": "differs"}
    assert report.counts["updated"] == 1
    assert _phones_and_addresses(engine) == held  # a preview writes nothing

    report = roll_import.commit(engine, path, _writer(app, clock))
    assert (report.counts["updated"], report.counts["differs"]) == (1, 2)
    now = _phones_and_addresses(engine)
    assert now[h1_head] == ("+8613900001111", "曲阳路1号之二")
    assert now[h1_child] == ("+8613900002222", "曲阳路1号之二")
    assert now[h2_head] == held[h2_head] and held[h2_head][0] == "+8613879523069"
    assert now[h3_head] == held[h3_head]
    with Session(engine) as session:
        entries = session.exec(
            select(AuditRecord).where(AuditRecord.action == "roll-corrected")
        ).all()
        phone_rows = session.exec(
            select(Member.id, Member.national_id).where(Member.national_id.in_([h1_head, h1_child]))  # type: ignore[attr-defined]
        ).all()
    by_member = {int(e.entity_id): e.details for e in entries if e.entity == "member"}
    ids = {nid: member_id for member_id, nid in phone_rows}
    assert by_member == {
        ids[h1_head]: {"before": {"phone": "+8613879523069"}, "after": {"phone": "+8613900001111"}},
        ids[h1_child]: {"before": {"phone": None}, "after": {"phone": "+8613900002222"}},
    }
    (household_entry,) = [e for e in entries if e.entity == "household"]
    assert household_entry.details == {
        "before": {"address": "曲阳路1号"},
        "after": {"address": "曲阳路1号之二"},
    }

    again = roll_import.commit(engine, path, _writer(app, clock))
    assert (again.counts["unchanged"], again.counts["updated"], again.counts["differs"]) == (
        1,
        0,
        2,
    )


def test_an_amount_the_rules_would_not_give_is_kept_and_flagged(
    app, engine, clock, tmp_path
) -> None:
    path = tmp_path / "roll.csv"
    lines = _county(app, 1)
    rules_give = Decimal(lines[0]["monthly_amount"])
    for line in lines:
        line["monthly_amount"] = f"{rules_give + Decimal('0.01'):.2f}"
    _write(path, lines)
    roll_import.commit(engine, path, _writer(app, clock))
    with Session(engine) as session:
        case = session.exec(select(BenefitCase)).one()
    assert case.monthly_amount_fen == int((rules_give + Decimal("0.01")) * 100)
    imported = case.explanation["imported"]
    assert imported["computed_amount"] == f"{rules_give:.2f}"
    assert imported["notes"][0]["v"]["difference"] == "0.01"


def test_a_killed_import_resumes_where_it_stopped(app, engine, clock, tmp_path) -> None:
    path = tmp_path / "roll.csv"
    _write(path, _county(app, 5))
    writer = _writer(app, clock)
    stopped = roll_import.commit(engine, path, writer, batch=2, stop_after_batches=1)
    assert stopped.counts["created"] == 2
    assert _rows(engine)["household"] == 2
    resumed = roll_import.commit(engine, path, writer, batch=2)
    assert resumed.import_id == stopped.import_id
    assert resumed.resumed_from_line == 5  # the second household's last line
    assert resumed.counts == {
        "created": 5,
        "unchanged": 0,
        "updated": 0,
        "differs": 0,
        "refused": 0,
    }
    assert _rows(engine)["household"] == 5
    with Session(engine) as session:
        run = session.exec(select(RollImport)).one()
        assert run.state == "finished"
        outcomes = list(roll_result.outcomes_of_import(engine, run.id or 0))
    assert [o.key for o in outcomes] == ["H1", "H2", "H3", "H4", "H5"]


@pytest.mark.parametrize(
    ("status", "roll_amount", "flagged"),
    [
        ("正常享受", "entitled", False),
        ("正常享受", "entitled+0.01", True),
        ("正常享受", "entitled-0.01", True),
        ("暂停", "0.00", False),
        ("暂停", "0.01", True),
        ("就业渐退（全额）", "999.00", False),  # paid on the entitlement from before the job
        ("就业渐退（减半）", "1.00", False),
        ("待发放", "5.00", False),
    ],
)
def test_which_amounts_are_compared(app, status: str, roll_amount: str, flagged: bool) -> None:
    entitled = _entitled(app, "urban", "C", 1, "200.00")
    if roll_amount.startswith("entitled"):
        amount = entitled + Decimal(roll_amount.removeprefix("entitled") or "0")
    else:
        amount = Decimal(roll_amount)
    household = RollHousehold("H1", lines=[2])
    household.case = {
        "scheme": "urban",
        "category": "C",
        "monthly_amount": amount,
        "status": {w: c for c, w in roll.WORDS["status"].items()}[status],
    }
    household.values = [{"income_wages": Decimal("200.00")}]
    household.members = [object()]  # type: ignore[list-item]
    params = EntitlementParams.from_policy(app.state.policy.at(TODAY), "urban")
    computed, notes = roll_plan.compare_amount(household, params)
    assert computed == entitled
    assert bool(notes) is flagged


def test_the_command_previews_commits_and_gives_a_status_per_row(
    app, engine, clock, tmp_path, database_url, monkeypatch
) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    path = tmp_path / "roll.csv"
    _write(path, _county(app, 2))
    result = tmp_path / "result.xlsx"
    assert main(["import", "roll", str(path), "--result", str(result)]) == 0
    assert _rows(engine)["household"] == 0
    assert main(["import", "roll", str(path), "--commit", "--result", str(result)]) == 0
    assert _rows(engine)["household"] == 2
    table = list(load_workbook(result, read_only=True).active.iter_rows(values_only=True))
    assert table[0][:3] == ("行", "户编号", "结果")
    assert [(row[0], row[1], row[2]) for row in table[1:]] == [
        (2, "H1", "已创建"),
        (3, "H1", "已创建"),
        (4, "H2", "已创建"),
        (5, "H2", "已创建"),
    ]

    bad = tmp_path / "bad.csv"
    _write(bad, [_line("H9", "", person_id(date(1990, 1, 1), "male"))])
    assert main(["import", "roll", str(bad)]) == 1
    assert (tmp_path / "bad.problems.csv").exists()
    assert main(["import", "roll", str(tmp_path / "missing.csv")]) == 2
    assert main(["import", "roll", str(path), "--batch", "0"]) == 2
    assert main(["import", "roll", str(path), "--result", str(tmp_path / "r.csv")]) == 2
    from kernel.locks import try_lock

    held = try_lock(engine, roll_import.IMPORT_LOCK)
    assert held is not None
    try:
        assert main(["import", "roll", str(path), "--commit"]) == 3
    finally:
        held.release()
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["import", "roll", str(tmp_path / "notes.txt")]) == 2
    assert _rows(engine)["household"] == 2


def test_the_check_keeps_each_lines_values(tmp_path) -> None:
    path = tmp_path / "roll.csv"
    _write(path, [_line("K" * 65, "甲", person_id(date(1980, 1, 1), "male"))])
    *_, summary = check_roll(path, {"urban": {"C"}, "rural": {"C"}}, TODAY)
    assert any(p.rule == "key-length" for p in summary.problems)


def test_imported_households_are_paid_the_roll_amount(
    app, engine, clock, tmp_path, database_url, monkeypatch
) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    path = tmp_path / "roll.csv"
    lines = _county(app, 2)
    suspended = [
        dict(line, household_key="S1", status="暂停", status_since="2026-01-15", monthly_amount="0")
        for line in _county(app, 3)[4:]
    ]
    _write(path, lines + suspended)
    roll_import.commit(engine, path, _writer(app, clock))
    assert main(["payments", "run", "--period", "2026-02"]) == 0
    with engine.connect() as connection:
        paid = connection.execute(
            text("SELECT amount_fen, rule FROM payment_line ORDER BY case_id")
        ).all()
    roll_fen = int(Decimal(str(lines[0]["monthly_amount"])) * 100)
    assert [amount for amount, _ in paid] == [roll_fen, roll_fen, 0]


def test_one_import_writes_at_a_time(app, engine, clock, tmp_path) -> None:
    from kernel.errors import Conflict
    from kernel.locks import try_lock

    path = tmp_path / "roll.csv"
    _write(path, _county(app, 1))
    held = try_lock(engine, roll_import.IMPORT_LOCK)  # another process is importing
    assert held is not None
    try:
        with pytest.raises(Conflict) as refused:
            roll_import.commit(engine, path, _writer(app, clock))
        assert refused.value.problems[0].rule == "one-import-at-a-time"
    finally:
        held.release()
    assert _rows(engine)["household"] == 0
    assert roll_import.commit(engine, path, _writer(app, clock)).counts["created"] == 1


def _follow(client, headers, started) -> dict:
    """Poll an import until it leaves its working states."""
    import time

    assert started.status_code == 202, started.text
    url = f"/api/v1/roll/imports/{started.json()['id']}"
    deadline = time.monotonic() + 30
    while True:
        body = client.get(url, headers=headers).json()
        if body["state"] not in ("checking", "planning", "committing"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_the_api_previews_commits_and_gives_the_result(
    app, client, tokens, engine, tmp_path
) -> None:
    officer = tokens.headers("benefit_officer")
    path = tmp_path / "roll.csv"
    _write(path, _county(app, 3))
    upload = {"file": ("花名册.csv", path.read_bytes())}

    previewed = _follow(
        client, officer, client.post("/api/v1/roll/imports", files=upload, headers=officer)
    )
    assert (previewed["mode"], previewed["state"], previewed["created"]) == (
        "preview",
        "finished",
        3,
    )
    assert previewed["progress"] == 1.0 and previewed["file_name"] == "花名册.csv"
    assert _rows(engine)["household"] == 0  # a preview writes no household

    committed = _follow(
        client,
        officer,
        client.post("/api/v1/roll/imports", files=upload, data={"mode": "commit"}, headers=officer),
    )
    assert (committed["state"], committed["created"], committed["households"]) == (
        "finished",
        3,
        3,
    )
    assert _rows(engine)["household"] == 3
    result = client.get(committed["result"], headers={**officer, "Accept-Language": "zh-CN"})
    assert result.status_code == 200
    assert "attachment" in result.headers["content-disposition"]
    spool = tmp_path / "result.xlsx"
    spool.write_bytes(result.content)
    table = list(load_workbook(spool, read_only=True).active.iter_rows(values_only=True))
    assert [row[2] for row in table[1:]] == ["已创建"] * 6

    listed = client.get("/api/v1/roll/imports", headers=officer).json()
    assert [run["id"] for run in listed] == [committed["id"], previewed["id"]]
    audited = client.get("/api/v1/roll/imports/999", headers=officer)
    assert audited.status_code == 404


def test_the_api_keeps_a_refused_files_problems_in_the_readers_language(
    app, client, tokens, engine, tmp_path
) -> None:
    officer = {**tokens.headers("benefit_officer"), "Accept-Language": "zh-CN"}
    lines = _county(app, 1)
    lines[1]["relation"] = "老公"
    path = tmp_path / "bad.csv"
    _write(path, lines)
    refused = _follow(
        client,
        officer,
        client.post(
            "/api/v1/roll/imports",
            files={"file": ("bad.csv", path.read_bytes())},
            data={"mode": "commit"},
            headers=officer,
        ),
    )
    assert (refused["state"], refused["problems_total"]) == ("refused", 1)
    (problem,) = refused["problems"]
    assert (problem["row"], problem["field"], problem["rule"]) == (3, "与户主关系", "roll-value")
    assert "老公" in problem["message"] and "不是" in problem["message"]
    assert refused["result"] is None
    no_result = client.get(f"/api/v1/roll/imports/{refused['id']}/result", headers=officer)
    assert no_result.status_code == 409
    assert no_result.json()["problems"][0]["rule"] == "import-not-done"
    assert _rows(engine) == dict.fromkeys(_rows(engine), 0)


def test_the_api_refuses_what_is_not_an_import(app, client, tokens, engine, tmp_path) -> None:
    from kernel.locks import try_lock

    officer = tokens.headers("benefit_officer")
    path = tmp_path / "roll.csv"
    _write(path, _county(app, 1))
    upload = {"file": ("roll.csv", path.read_bytes())}
    counsellor = client.post(
        "/api/v1/roll/imports", files=upload, headers=tokens.headers("counsellor")
    )
    assert counsellor.status_code == 403
    wrong_mode = client.post(
        "/api/v1/roll/imports", files=upload, data={"mode": "apply"}, headers=officer
    )
    assert wrong_mode.status_code in (400, 422), wrong_mode.text
    no_file = client.post(
        "/api/v1/roll/imports",
        files={"other": ("x.csv", b"1")},
        data={"mode": "commit"},
        headers=officer,
    )
    assert no_file.status_code == 422, no_file.text
    assert no_file.json()["problems"][0]["rule"] == "file-upload"
    as_json = client.post("/api/v1/roll/imports", json={"mode": "commit"}, headers=officer)
    assert as_json.status_code == 415
    held = try_lock(engine, roll_import.IMPORT_LOCK)
    assert held is not None
    try:
        busy = client.post(
            "/api/v1/roll/imports", files=upload, data={"mode": "commit"}, headers=officer
        )
        assert busy.status_code == 409
        assert busy.json()["problems"][0]["rule"] == "one-import-at-a-time"
    finally:
        held.release()
    assert _rows(engine)["household"] == 0
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM roll_import")).scalar_one() == 0


def test_the_roll_page_brings_a_roll_in_and_shows_how_far_it_came(
    app, client, engine, tmp_path
) -> None:
    import time

    from tests.support import PageClient, make_account

    make_account(engine, "county", "benefit_officer")
    pages = PageClient(client)
    assert pages.sign_in("county").status_code == 303
    page = pages.get("/app/roll")
    assert 'action="/app/roll/imports"' in page.text and 'name="mode"' in page.text
    path = tmp_path / "roll.csv"
    _write(path, _county(app, 2))
    started = client.post(
        "/app/roll/imports",
        data={"csrf_token": pages.csrf, "mode": "commit"},
        files={"file": ("花名册.csv", path.read_bytes())},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    where = started.headers["location"]
    deadline = time.monotonic() + 30
    while 'data-state="finished"' not in (shown := pages.get(where)).text:
        assert time.monotonic() < deadline, shown.text
        time.sleep(0.05)
    assert "花名册.csv" in shown.text and "已创建: 2" in shown.text
    assert "hx-trigger" not in shown.text  # done: the page stops asking
    result = pages.get(f"{where}/result")
    assert result.status_code == 200 and result.content[:2] == b"PK"
    assert _rows(engine)["household"] == 2
    assert "花名册.csv" in pages.get("/app/roll").text  # among the recent imports

    no_mode = client.post(
        "/app/roll/imports",
        data={"csrf_token": pages.csrf},
        files={"file": ("roll.csv", path.read_bytes())},
    )
    assert no_mode.status_code == 422 and 'data-rule="one-of"' in no_mode.text
    no_file = client.post(
        "/app/roll/imports", data={"csrf_token": pages.csrf, "mode": "preview"}, files={}
    )
    assert no_file.status_code == 422 and 'data-rule="file-upload"' in no_file.text
    bad = tmp_path / "bad.csv"
    lines = _county(app, 1)
    lines[0]["relation"] = "老公"
    _write(bad, lines)
    refused = client.post(
        "/app/roll/imports",
        data={"csrf_token": pages.csrf, "mode": "preview"},
        files={"file": ("bad.csv", bad.read_bytes())},
        follow_redirects=True,
    )
    deadline = time.monotonic() + 30
    while 'data-state="refused"' not in refused.text:
        assert time.monotonic() < deadline, refused.text
        time.sleep(0.05)
        refused = pages.get(str(refused.url.path))
    assert "老公" in refused.text and "与户主关系" in refused.text
    assert "/result" not in refused.text
