"""A county's roll brought in keeps the rules' assessment where the roll pays what the rules give,
so a replay of the standards restates those cases instead of leaving them unexplained (issue 16).

Three urban households of category C, two people, the head earning 200.00, active since
4 May 2025. The standard is 150: a per-capita income of 100.00 is 50.00 below it, 100.00 a month
for two. Two are on the roll at 100.00; the third at 100.01, which the rules do not give. At a
standard of 180 the gap is 80.00 a head, 160.00 a month: February costs 60.00 more for each of
the two, 120.00; the third is counted as not assessed, never guessed. Worked out by hand."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select
from test_roll_import import TODAY, _county, _write, _writer

from benefits import roll_import
from benefits.models import BenefitCase, CaseStatusPeriod
from benefits.payment_rules import Month
from support import pay_month, replayed


def test_an_imported_roll_is_replayed_where_the_rules_explain_it(
    app, engine, clock, client, tokens, tmp_path
) -> None:
    lines = _county(app, 3)
    assert lines[0]["monthly_amount"] == "100.00"
    for line in lines[4:]:
        line["monthly_amount"] = "100.01"
    path = tmp_path / "roll.csv"
    _write(path, lines)
    report = roll_import.commit(engine, path, _writer(app, clock))
    assert report.counts["created"] == 3
    with Session(engine) as session:
        periods = session.exec(
            select(BenefitCase.monthly_amount_fen, CaseStatusPeriod.assessments)
            .join(CaseStatusPeriod, CaseStatusPeriod.case_id == BenefitCase.id)
            .order_by(BenefitCase.id)
        ).all()
    assert [fen for fen, _ in periods] == [10000, 10000, 10001]
    (first,) = periods[0][1]
    assert first == {
        "on": TODAY.isoformat(),
        "from": "2025-05-04",
        "scheme": "urban",
        "category": "C",
        "member_count": 2,
        "household_income": "200.00",
        "eligible": True,
        "monthly_amount_fen": 10000,
        "parameter_version": report.parameter_version,
    }
    assert periods[1][1] is not None and periods[2][1] is None  # 100.01: not the rules'

    pay_month(client, tokens.headers("benefit_officer"), "2026-02")
    book, february = app.state.policy, Month(2026, 2)
    same = replayed(engine, book, february, february, TODAY)
    assert same["gate"]["passed"] is True, same["gate"]
    assert same["difference"] == "0.00"
    higher = replayed(engine, book, february, february, TODAY, "benefits.urban.standard=180")
    assert higher["gate"]["passed"] is True, higher["gate"]
    assert higher["gate"]["assessments_checked"] == 2  # each under its version, as recorded
    assert (higher["cost_actual"], higher["cost_reform"]) == ("300.01", "420.01")
    assert higher["unresolved"] == {"amount-not-assessed": 1}
    assert higher["households_affected"] == 2


def test_an_imported_roll_of_another_status_keeps_no_assessment(
    app, engine, clock, tmp_path
) -> None:
    """A suspended case is paid nothing whatever the rules give: its amount is no assessment of
    the roll's facts (nor is a continuation's, paid on the entitlement from before the job)."""
    lines = _county(app, 2)
    for line in lines[:2]:
        line.update(status="暂停", monthly_amount="0.00")
    path = tmp_path / "roll.csv"
    _write(path, lines)
    roll_import.commit(engine, path, _writer(app, clock))
    with Session(engine) as session:
        kept = session.exec(
            select(CaseStatusPeriod.status, CaseStatusPeriod.assessments).order_by(
                CaseStatusPeriod.case_id
            )
        ).all()
    assert [(status, records is not None) for status, records in kept] == [
        ("suspended", False),
        ("active", True),
    ]
    assert date.fromisoformat(kept[1][1][0]["from"]) == date(2025, 5, 4)
