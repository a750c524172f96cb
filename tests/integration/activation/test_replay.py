"""The policy replay over a stored county (issue 16): the no-change gate against the ledger and
the decisions, what a reform of the continuation changes, and the command's answers."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from activation.replay.engine import run_replay
from activation.replay.reform import Reform
from activation.rules import REPLAYERS
from benefits import payments
from benefits.payment_rules import Month
from kernel.auth import SYSTEM
from support import move_to
from workbridge.cli import main
from workbridge.demo import load_demo

TODAY = date(2026, 10, 20)
PAID = ("2026-07", "2026-08", "2026-09", "2026-10")
FIRST, LAST = Month(2026, 1), Month(2026, 10)


def pay(engine, app, clock, period: str) -> None:
    runner = payments.Runner(
        engine=engine,
        policy=app.state.policy,
        clock=clock,
        zone=app.state.settings.zone,
        actor=SYSTEM,
    )
    started = payments.begin(runner, period)
    assert started.lock is not None and started.run.id is not None
    payments.execute(runner, started.run.id, started.lock)


@pytest.fixture
def county(engine, app, clock):
    move_to(clock, TODAY)
    load_demo(engine, app.state.policy, households=120, today=TODAY, seed=11)
    for period in PAID:
        pay(engine, app, clock, period)
    return engine


def replayed(county, app, **reform):
    changes = {key.replace("__", "."): value for key, value in reform.items()}
    return run_replay(
        county, app.state.policy, first=FIRST, last=LAST, reform=Reform(changes), today=TODAY
    )


def scalar(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def test_with_no_change_the_ledger_and_every_decision_come_back(county, app) -> None:
    report = replayed(county, app)
    gate = report["gate"]
    assert gate["passed"] is True, gate
    assert gate["months_checked"] == list(PAID)
    assert (
        gate["decisions_checked"]
        == scalar(
            county,
            "SELECT count(*) FROM activation_decision WHERE decided_on BETWEEN :a AND :b "
            "AND kind IN ('reassessment', 'continuation-terms', 'reentry-right', "
            "'registration-duty', 'refusal-verdict', 'refusal-count', 'sanction-terms', "
            "'sanction-resumption')",
            a=FIRST.first,
            b=LAST.last,
        )
        > 0
    )
    # Each paid month's cost is the ledger's regular amounts and the corrections since.
    for row in report["by_month"]:
        if row["paid"]:
            ledger = scalar(
                county,
                "SELECT coalesce(sum(regular_fen), 0) FROM payment_line WHERE period = :p",
                p=row["month"],
            ) + scalar(
                county,
                "SELECT coalesce(sum(amount_fen), 0) FROM payment_adjustment WHERE source = :s",
                s=f"recompute:{row['month']}",
            )
            assert row["cost_actual"] == f"{ledger / 100:.2f}" == row["cost_reform"]
    assert report["households_affected"] == 0 and report["unresolved"] == {}
    assert report["cases"] == scalar(county, "SELECT count(*) FROM benefit_case")


def test_a_ledger_line_that_differs_fails_the_gate_and_nothing_is_reported(county, app) -> None:
    line = scalar(
        county,
        "SELECT min(id) FROM payment_line WHERE period = '2026-09' AND regular_fen > 0",
    )
    with county.begin() as connection:
        connection.execute(
            text("UPDATE payment_line SET regular_fen = regular_fen + 1 WHERE id = :id"),
            {"id": line},
        )
    case_id = scalar(county, "SELECT case_id FROM payment_line WHERE id = :id", id=line)
    report = replayed(county, app, continuation__months=12)
    gate = report["gate"]
    assert gate["passed"] is False
    assert gate["differences"] == {"ledger": 1, "decisions": 0, "rebuild": 0, "assessments": 0}
    (example,) = gate["examples"]
    assert (example["case_id"], example["month"]) == (case_id, "2026-09")
    assert float(example["ledger"]) - float(example["replayed"]) == pytest.approx(0.01)
    assert "cost_actual" not in report and "cost_reform" not in report


def test_a_decision_that_no_longer_replays_fails_the_gate(county, app) -> None:
    decision = scalar(
        county, "SELECT min(id) FROM activation_decision WHERE kind = 'continuation-terms'"
    )
    with county.begin() as connection:
        connection.execute(
            text("UPDATE activation_decision SET outcome = '{}' WHERE id = :id"), {"id": decision}
        )
    gate = replayed(county, app)["gate"]
    assert gate["differences"]["decisions"] == 1
    assert gate["examples"] == [
        {"check": "decision", "decision_id": decision, "kind": "continuation-terms"}
    ]


def test_a_higher_line_pays_the_half_continuations_in_full(county, app) -> None:
    half = scalar(county, "SELECT count(*) FROM continuation WHERE status = 'continuation_half'")
    assert half > 0
    report = replayed(county, app, continuation__income_threshold="100000")
    assert report["gate"]["passed"] is True
    assert (report["households_gain"], report["households_lose"]) == (half, 0)
    assert float(report["cost_reform"]) > float(report["cost_actual"])
    # Nothing changes before the first job started.
    first_job = scalar(county, "SELECT min(starts_on) FROM continuation")
    first_job = date.fromisoformat(str(first_job)[:10])
    for row in report["by_month"]:
        if Month.parse(row["month"]).last < first_job:
            assert row["cost_reform"] == row["cost_actual"]


def test_a_continuation_of_one_month_reassesses_the_household_the_day_after(county, app) -> None:
    """Continuations still running today that one month would have ended are reassessed by the
    service's own rule on the incomes of the day after; none is left unknown."""
    report = replayed(county, app, continuation__months=1)
    ended_by_now = scalar(
        county,
        "SELECT count(*) FROM continuation WHERE state = 'running' AND starts_on <= :d",
        d=date(2026, 9, 20),  # ended on 19 October or before under the reform
    )
    assert ended_by_now > 0
    assert report["reassessed"] == ended_by_now
    assert "ends-before-today" not in report["unresolved"]
    assert report["households_affected"] > 0


def test_the_command(county, database_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    args = ["replay", "--from", "2026-01", "--to", "2026-10", "--format", "json"]
    assert main([*args, "--set", "continuation.income_threshold=2000"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["gate"]["passed"] is True
    assert {"cost_actual", "cost_reform", "households_affected"} <= set(report)
    assert main([*args, "--set", "continuation.months=0", "--set", "nope=1"]) == 2
    out = capsys.readouterr().out
    assert "continuation.months" in out and "nope" in out
    with county.begin() as connection:
        connection.execute(text("UPDATE payment_line SET regular_fen = regular_fen + 7"))
    assert main(args) == 3
    assert json.loads(capsys.readouterr().out)["gate"]["passed"] is False


def test_every_group_adds_up_to_the_county_and_an_office_to_its_group(county, app) -> None:
    report = replayed(county, app, continuation__income_threshold="100000")
    for dimension, groups in report["by_group"].items():
        assert sum(g["cases"] for g in groups) == report["cases"], dimension
        assert sum(g["households_gain"] for g in groups) == report["households_gain"], dimension
        total = sum(round(float(g["cost_reform"]) * 100) for g in groups)
        assert total == round(float(report["cost_reform"]) * 100), dimension
    township = report["by_group"]["township"][0]
    alone = run_replay(
        county,
        app.state.policy,
        first=FIRST,
        last=LAST,
        reform=Reform({"continuation.income_threshold": "100000"}),
        today=TODAY,
        office=township["group"],
    )
    assert alone["office"] == township["group"]
    assert (
        alone["cases"]
        == township["cases"]
        == scalar(
            county,
            "SELECT count(*) FROM benefit_case c JOIN household h ON h.id = c.household_id "
            "WHERE h.township = :t",
            t=township["group"],
        )
    )
    assert (alone["cost_actual"], alone["cost_reform"]) == (
        township["cost_actual"],
        township["cost_reform"],
    )
    assert [g["group"] for g in alone["by_group"]["township"]] == [township["group"]]
    # The gate's decisions are that township's people's, each counted once.
    assert alone["gate"]["decisions_checked"] == scalar(
        county,
        "SELECT count(*) FROM activation_decision d JOIN member m ON m.id = d.member_id "
        "JOIN household h ON h.id = m.household_id WHERE h.township = :t "
        f"AND d.kind IN ({', '.join(repr(k) for k in sorted(REPLAYERS))}) "
        "AND d.decided_on BETWEEN :a AND :b",
        t=township["group"],
        a=FIRST.first.isoformat(),
        b=LAST.last.isoformat(),
    )
    assert 0 < alone["gate"]["decisions_checked"] < report["gate"]["decisions_checked"]


def test_an_office_that_does_not_exist_is_refused(county, database_url, monkeypatch, capsys):
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    args = ["replay", "--from", "2026-01", "--to", "2026-10", "--office", "无此镇"]
    assert main(args) == 2
    assert "office" in capsys.readouterr().out


def test_a_grid_in_one_pass_gives_what_each_reform_gives_alone(county, app) -> None:
    from activation.replay.engine import run_replays

    reforms = [
        Reform({"continuation.income_threshold": "100000"}),
        Reform({"continuation.months": 1}),
        Reform({"activation.refusal.threshold": 1, "continuation.months": 12}),
    ]
    together = run_replays(
        county, app.state.policy, first=FIRST, last=LAST, reforms=reforms, today=TODAY
    )
    for reform, report in zip(reforms, together, strict=True):
        alone = run_replay(
            county, app.state.policy, first=FIRST, last=LAST, reform=reform, today=TODAY
        )
        assert report == alone


def test_the_command_with_a_grid_and_a_budget(county, database_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    args = ["replay", "--from", "2026-01", "--to", "2026-10", "--format", "json"]
    grid = ["--grid", "continuation.income_threshold=800,100000", "--grid", "continuation.months=6"]
    assert main([*args, *grid]) == 0
    report = json.loads(capsys.readouterr().out)
    cheap, dear = report["points"]
    assert cheap["difference"] == "0.00" and float(dear["difference"]) > 0
    assert main([*args, *grid, "--budget", report["cost_actual"]]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["within_budget"] == cheap["reform"]
    assert main([*args, *grid, "--budget", dear["cost_reform"]]) == 0
    assert json.loads(capsys.readouterr().out)["within_budget"] == dear["reform"]
    monkeypatch.setenv("WORKBRIDGE_LOCALE", "zh_CN")
    monkeypatch.setenv("COLUMNS", "300")
    assert main([*args[:-2], *grid, "--budget", report["cost_actual"]]) == 0
    chosen = ", ".join(f"{key}={value}" for key, value in cheap["reform"].items())
    assert re.search(rf"^│ 预算内方案 +│ +{re.escape(chosen)} +│", capsys.readouterr().out, re.M)


@pytest.mark.parametrize(
    ("locale", "sheets", "township"),
    [
        ("zh_CN", ["政策回放", "按月", "按群体"], "乡镇"),
        ("en", ["replay", "by month", "by group"], "township"),
    ],
)
def test_the_workbook_in_the_readers_language(
    county, database_url, monkeypatch, capsys, tmp_path, locale, sheets, township
) -> None:
    from openpyxl import load_workbook

    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKBRIDGE_LOCALE", locale)
    args = ["replay", "--from", "2026-01", "--to", "2026-10"]
    reform = ["--set", "continuation.income_threshold=100000"]
    assert main([*args, *reform, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    target = tmp_path / "replay.xlsx"
    assert main([*args, *reform, "--format", "xlsx", "--output", str(target)]) == 0
    book = load_workbook(target)
    assert book.sheetnames == sheets
    months = list(book[sheets[1]].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in months] == [row["month"] for row in report["by_month"]]
    assert [f"{row[3]:.2f}" for row in months] == [r["cost_reform"] for r in report["by_month"]]
    groups = list(book[sheets[2]].iter_rows(min_row=2, values_only=True))
    assert sum(row[2] for row in groups if row[0] == township) == report["cases"]
    assert main([*args, "--format", "xlsx", "--output", str(tmp_path / "replay.csv")]) == 2


@pytest.mark.parametrize(
    ("locale", "titles", "paid", "differs"),
    [
        ("zh_CN", ["政策回放", "按月", "按群体", "逐项影响"], {True: "是", False: "否"}, "不一致"),
        ("en", ["replay", "by month", "by group", "each change in turn"],
         {True: "yes", False: "no"}, "differs"),
    ],
)  # fmt: skip
def test_the_table_is_the_workbook_in_the_readers_language(
    county, database_url, monkeypatch, capsys, locale, titles, paid, differs
) -> None:
    """``--format table`` prints the workbook's sheets, with the same words and figures."""
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKBRIDGE_LOCALE", locale)
    monkeypatch.setenv("COLUMNS", "300")  # one line per row of a table
    args = ["replay", "--from", "2026-01", "--to", "2026-10"]
    reform = ["--set", "continuation.income_threshold=100000", "--set", "continuation.months=12"]
    assert main([*args, *reform, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert main([*args, *reform]) == 0
    out = capsys.readouterr().out
    found = [title for title in titles if re.search(rf"^\s*{re.escape(title)}\s*$", out, re.M)]
    assert found == titles
    for row in report["by_month"]:
        month = re.search(rf"^│ {row['month']} +│ *(\S+) │ *(\S+) │ *(\S+) │$", out, re.M)
        assert month is not None, row["month"]
        assert month.groups()[0] == paid[row["paid"]]
        assert month.groups()[2] == f"{Decimal(row['cost_reform']):,.2f}"
    assert f"{report['households_gain']:,}" in out
    if locale == "zh_CN":
        assert not re.search(r"\b(cases|households|reform|month)\b", out), out

    with county.begin() as connection:
        connection.execute(text("UPDATE payment_line SET regular_fen = regular_fen + 7"))
    assert main(args) == 3
    failed = capsys.readouterr().out
    assert differs in failed
    assert titles[1] not in failed  # no figures while the gate fails
    assert main([*args, "--format", "json"]) == 3
    first = json.loads(capsys.readouterr().out)["gate"]["examples"][0]
    assert ", ".join(f"{key}={value}" for key, value in first.items()) in failed


def test_a_higher_standard_on_the_demo_county(county, app) -> None:
    """Every assessment the demo recorded gives its amount again, and with the standard as it
    was the restated histories give the ledger back; 180 pays more and exits nobody."""
    same = replayed(county, app, benefits__urban__standard="150")
    assert same["gate"]["passed"] is True, same["gate"]
    assert same["gate"]["assessments_checked"] > 0
    assert same["households_affected"] == 0
    higher = replayed(county, app, benefits__urban__standard="180")
    assert higher["gate"]["passed"] is True
    assert higher["unresolved"] == {}
    assert higher["households_gain"] > 0 and higher["households_lose"] == 0
    assert higher["households_exited"] == 0
    assert float(higher["cost_reform"]) > float(higher["cost_actual"])


def test_each_change_of_a_reform_with_its_own_effect(
    county, app, database_url, monkeypatch, capsys, tmp_path
) -> None:
    """A reform of two changes is priced with the step that builds it up, in the same pass:
    the first change's cost is what it costs alone, the last step's is the whole reform's, and
    the effects add up to the difference — in either order, with the order said."""
    from decimal import Decimal

    from openpyxl import load_workbook

    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    args = ["replay", "--from", "2026-01", "--to", "2026-10"]
    line, months = "continuation.income_threshold=100000", "continuation.months=1"
    assert main([*args, "--set", line, "--set", months, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    steps = report["stacking"]
    assert [list(step["change"]) for step in steps] == [
        ["continuation.income_threshold"],
        ["continuation.months"],
    ]
    alone = replayed(county, app, continuation__income_threshold="100000")
    assert steps[0]["cost_reform"] == alone["cost_reform"] != alone["cost_actual"]
    assert steps[0]["households_gain"] == alone["households_gain"]
    assert steps[-1]["cost_reform"] == report["cost_reform"]
    effects = [Decimal(step["effect"]) for step in steps]
    assert sum(effects) == Decimal(report["difference"]) and all(effects)

    assert main([*args, "--set", months, "--set", line, "--format", "json"]) == 0
    reverse = json.loads(capsys.readouterr().out)
    assert [list(s["change"]) for s in reverse["stacking"]] == [
        ["continuation.months"],
        ["continuation.income_threshold"],
    ]
    assert reverse["cost_reform"] == report["cost_reform"]  # the same reform, another order
    assert sum(Decimal(s["effect"]) for s in reverse["stacking"]) == sum(effects)

    monkeypatch.setenv("WORKBRIDGE_LOCALE", "en")
    assert main([*args, "--set", line, "--set", months]) == 0
    assert "each change in turn" in capsys.readouterr().out
    target = tmp_path / "replay.xlsx"
    monkeypatch.setenv("WORKBRIDGE_LOCALE", "zh_CN")
    assert (
        main([*args, "--set", line, "--set", months, "--format", "xlsx", "--output", str(target)])
        == 0
    )
    capsys.readouterr()
    sheet = load_workbook(target)["逐项影响"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [f"{row[2]:.2f}" for row in rows] == [step["effect"] for step in steps]

    assert main([*args, "--set", line, "--format", "json"]) == 0
    assert "stacking" not in json.loads(capsys.readouterr().out)  # one change: nothing to stack

    # --whole: the same reform priced alone, its report the same without the steps
    assert main([*args, "--set", line, "--set", months, "--whole", "--format", "json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert "stacking" not in whole
    assert whole == {key: value for key, value in report.items() if key != "stacking"}
