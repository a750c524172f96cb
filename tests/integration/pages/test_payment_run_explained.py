"""The preview a second officer checks before signing a payment run off (issue 12, "Money with
four eyes"): from the cases in the run's range to the rows of the bank file, every difference
named with its count, the month set beside the month before, and the lines as a list that
filters, pages and exports with bank accounts masked.

Six households, all single elders paid 150.00 a month, approved with effect from 1 March 2026
(C from 2 April):

- A is paid the same both months; E too, but has no bank account on record;
- B is suspended by an officer from 16 April: half of April (75.00), an amount changed;
- C is approved on 2 April: new in April (29 of 30 days: 145.00), not started in March;
- D is closed from 1 April: paid in March, no line in April;
- F is suspended from 1 April: a line of zero in April.

March is run late, on 3 April, after C was approved; April on 25 April.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from language import english_runs, visible_text
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import Session

from benefits import payment_review
from benefits.models import PaymentRun
from support import (
    Desk,
    PageClient,
    approve,
    create_household,
    household,
    make_account,
    member,
    pay_month,
    walk_to_notice,
)

ELDER = {"birth": date(1955, 1, 1), "sex": "male"}  # 71: no job-seeker duty
ACCOUNT = "6228480010012345678"


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def approved(desk: Desk, name: str, on: str = "2026-03-02", pays_from: str = "2026-03-01", **extra):
    desk.on("2026-02-20")
    created = create_household(desk.client, desk.officer, household(member(name, **ELDER), **extra))
    app_id = walk_to_notice(desk.client, desk.officer, created["id"], desk.clock)
    decided = approve(
        desk.client,
        desk.officer,
        app_id,
        desk.clock,
        on=date.fromisoformat(on),
        decided_on=pays_from,
    )
    return decided["case_id"]


def status(desk: Desk, case_id: int, to: str, effective_from: str) -> None:
    body = {"status": to, "effective_from": effective_from, "reason": "核实后变更"}
    desk.call("POST", f"/cases/{case_id}/status", desk.officer, body)


@pytest.fixture
def county(desk: Desk) -> dict[str, Any]:
    """The six households and their two months, run through the API."""
    cases = {
        "A": approved(desk, "甲一"),
        "B": approved(desk, "甲二"),
        "D": approved(desk, "甲四"),
        "E": approved(desk, "甲五", bank_account=None),
        "F": approved(desk, "甲六"),
    }
    desk.on("2026-03-20")
    status(desk, cases["B"], "suspended", "2026-04-16")
    status(desk, cases["D"], "terminated", "2026-04-01")
    status(desk, cases["F"], "suspended", "2026-04-01")
    cases["C"] = approved(desk, "甲三", on="2026-04-02", pays_from="2026-04-02")
    desk.on("2026-04-03")
    march = pay_month(desk.client, desk.officer, "2026-03")
    desk.on("2026-04-25")
    april = pay_month(desk.client, desk.officer, "2026-04")
    return {"cases": cases, "march": march["id"], "april": april["id"]}


def officer_pages(client, engine, username: str = "zhao.officer") -> PageClient:
    make_account(engine, username, "benefit_officer", language="en")
    pages = PageClient(client)
    pages.sign_in(username)
    return pages


def explained(engine, run_id: int) -> payment_review.RunExplanation:
    with Session(engine) as session:
        run = session.get(PaymentRun, run_id)
        assert run is not None
        return payment_review.explain(session, run)


def figure(html: str, name: str, attribute: str = "data-figure") -> int:
    found = re.search(rf'{attribute}="{name}">([\d,]+)<', html)
    assert found, f"{attribute}={name} not on the page"
    return int(found.group(1).replace(",", ""))


def cases_on(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-case="(\d+)"', html)]


def test_the_run_page_explains_april_step_by_step(client, engine, county) -> None:
    c = county["cases"]
    april = explained(engine, county["april"])
    assert (april.cases_total, april.lines, april.no_line) == (6, 5, 1)
    assert april.no_line_reasons == (payment_review.Reason(payment_review.NO_LINE_CLOSED, 1),)
    assert april.zero_lines == 1
    assert april.zero_reasons == (payment_review.Reason(payment_review.ZERO_SUSPENDED, 1),)
    assert (april.paid_lines, april.amount) == (4, Decimal("520.00"))  # 150 + 75 + 145 + 150
    assert (april.without_account, april.without_account_amount) == (1, Decimal("150.00"))
    assert (april.bank_rows, april.bank_amount) == (3, Decimal("370.00"))
    assert (april.new, april.new_amount) == (1, Decimal("145.00"))
    assert (april.stopped, april.stopped_amount) == (2, Decimal("300.00"))
    assert (april.changed, april.changed_by) == (1, Decimal("-75.00"))
    assert (april.unchanged, april.paid_last_month) == (2, 5)
    assert april.previous_run and april.adds_up and april.agrees_with_run
    assert april.unused_ids == 0

    march = explained(engine, county["march"])
    # run on 3 April: C, approved on 2 April, is in March's range but had not started
    assert (march.cases_total, march.lines, march.no_line, march.paid_lines) == (6, 5, 1, 5)
    assert march.no_line_reasons == (payment_review.Reason(payment_review.NO_LINE_NOT_STARTED, 1),)
    assert not march.previous_run and (march.new, march.stopped) == (5, 0)
    assert march.adds_up

    pages = officer_pages(client, engine)
    page = pages.get(f"/app/payments/runs/{county['april']}")
    assert page.status_code == 200
    html = page.text
    shown = {
        name: figure(html, name)
        for name in ("cases", "no_line", "lines", "zero", "paid", "without_account", "bank_rows")
    }
    assert shown == {
        "cases": 6,
        "no_line": 1,
        "lines": 5,
        "zero": 1,
        "paid": 4,
        "without_account": 1,
        "bank_rows": 3,
    }
    assert shown["cases"] == shown["lines"] + shown["no_line"]
    assert shown["lines"] == shown["zero"] + shown["paid"]
    assert shown["paid"] == shown["bank_rows"] + shown["without_account"]
    assert figure(html, payment_review.NO_LINE_CLOSED, "data-reason") == 1
    assert figure(html, payment_review.ZERO_SUSPENDED, "data-reason") == 1
    assert "closed before the month began" in html and "suspended by an officer" in html
    assert "Cases (6) = lines (5) + cases with no line (1)" in html
    assert "Lines (5) = lines of zero (1) + paid lines (4)" in html
    assert (
        "Paid lines (4) = rows in the bank file (3) + paid lines without a bank account (1)" in html
    )
    assert 'data-check="adds-up"' in html and 'data-check="fails"' not in html
    changes = {
        k: figure(html, k, "data-change") for k in ("new", "stopped", "changed", "unchanged")
    }
    assert changes == {"new": 1, "stopped": 2, "changed": 1, "unchanged": 2}
    assert "Changes since Mar 2026" in html
    assert 'data-change-sum="changed">-CN¥75.00<' in html
    # what the officer signs: the figures above the form, and the sentence ticked
    assert "Lines of zero: 1" in html
    assert "Paid lines without a bank account, not in the bank file: 1" in html
    ticked = html.split('name="checked"')[1].split("</label>")[0]
    assert "CN¥520.00 on paid lines (4); transfers to bank accounts (3)" in ticked
    assert "without a bank account, so not in the file (1); lines of zero (1)" in ticked
    assert ACCOUNT not in html
    assert c["A"]  # the cases are real


def test_the_figures_add_up_against_the_database_and_the_bank_file(client, engine, county) -> None:
    run_id = county["april"]
    found = explained(engine, run_id)
    with engine.connect() as connection:
        run = connection.execute(
            text("SELECT first_case_id, last_case_id FROM payment_run WHERE id = :id"),
            {"id": run_id},
        ).one()
        db = connection.execute(
            text(
                "SELECT"
                " (SELECT count(*) FROM benefit_case WHERE id BETWEEN :lo AND :hi),"
                " (SELECT count(*) FROM payment_line WHERE period = '2026-04'),"
                " (SELECT count(*) FROM payment_line WHERE period = '2026-04' AND amount_fen = 0),"
                " (SELECT count(*) FROM payment_line WHERE period = '2026-04' AND amount_fen > 0),"
                " (SELECT count(*) FROM payment_line WHERE period = '2026-04' AND amount_fen > 0"
                "   AND (bank_account IS NULL OR bank_account = '')),"
                " (SELECT count(*) FROM benefit_case c WHERE c.id BETWEEN :lo AND :hi AND NOT"
                "   EXISTS (SELECT 1 FROM payment_line l WHERE l.case_id = c.id"
                "   AND l.period = '2026-04'))"
            ),
            {"lo": run.first_case_id, "hi": run.last_case_id},
        ).one()
    cases, lines, zero, paid, held, no_line = db
    assert (found.cases_total, found.lines, found.zero_lines) == (cases, lines, zero)
    assert (found.paid_lines, found.without_account, found.no_line) == (paid, held, no_line)
    assert cases == lines + no_line and lines == zero + paid
    # the bank file, once signed off, holds exactly the rows the summary counts
    pages = officer_pages(client, engine)
    pages.get(f"/app/payments/runs/{run_id}")
    signed = pages.post(f"/app/payments/runs/{run_id}/sign-off", {"checked": "yes"})
    assert signed.status_code == 303, signed.text
    bank_file = pages.get(f"/app/payments/runs/{run_id}/bank-file")
    rows = list(csv.reader(io.StringIO(bank_file.content.decode("utf-8-sig"), newline="")))[1:]
    assert len(rows) == found.bank_rows == paid - held
    assert sum(Decimal(r[2]) for r in rows) == found.bank_amount
    # signed off, the page still explains the run
    assert figure(pages.get(f"/app/payments/runs/{run_id}").text, "bank_rows") == len(rows)


def test_the_lines_filter_page_sort_and_mask(client, engine, county) -> None:
    c = county["cases"]
    base = f"/app/payments/runs/{county['april']}/lines"
    pages = officer_pages(client, engine)
    expected = {
        "all": sorted([c["A"], c["B"], c["C"], c["E"], c["F"]]),
        "zero": [c["F"]],
        "no_account": [c["E"]],
        "new": [c["C"]],
        "stopped": sorted([c["D"], c["F"]]),
        "changed": [c["B"]],
        "no_line": [c["D"]],
    }
    for show, cases in expected.items():
        answer = pages.get(f"{base}?show={show}")
        assert answer.status_code == 200, (show, answer.text[:300])
        assert cases_on(answer.text) == cases, show
        assert ACCOUNT not in answer.text
    everything = pages.get(base).text  # all lines, by default
    assert cases_on(everything) == expected["all"]
    assert "*" * 15 + "5678" in everything  # the last four digits only
    assert "none on record" in everything  # E is paid but has nowhere to be paid to
    stopped = pages.get(f"{base}?show=stopped").text
    row_d = stopped.split(f'data-case="{c["D"]}"')[1].split("</tr>")[0]
    assert "closed before the month began" in row_d and "甲四" in row_d
    row_f = stopped.split(f'data-case="{c["F"]}"')[1].split("</tr>")[0]
    assert "suspended by an officer" in row_f
    # sorted by the difference, largest cut first, and a page at a time
    by_difference = cases_on(pages.get(f"{base}?sort=difference&per=25").text)
    assert by_difference[0] == c["F"] and by_difference[-1] == c["C"]
    assert cases_on(pages.get(f"{base}?sort=-case_id").text) == expected["all"][::-1]
    second = pages.get(f"{base}?show=all&per=25&page=2").text  # past the end: the last page
    assert cases_on(second) == expected["all"]


def test_the_lines_export_whole_and_masked(client, engine, county) -> None:
    c = county["cases"]
    base = f"/app/payments/runs/{county['april']}/lines"
    pages = officer_pages(client, engine)
    answer = pages.get(f"{base}?show=stopped&format=csv")
    assert answer.status_code == 200
    assert "payment-lines-2026-04-stopped.csv" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
        "Case",
        "Payee",
        "Bank account",
        "Last month",
        "This month",
        "Difference",
        "Change",
        "Why",
    ]
    by_case = {int(r[0]): r for r in rows[1:]}
    assert set(by_case) == {c["D"], c["F"]}
    assert by_case[c["D"]][3:] == [
        "150.00",
        "",
        "-150.00",
        "stopped",
        "closed before the month began",
    ]
    assert by_case[c["F"]][2] == "*" * 15 + "5678"
    assert by_case[c["F"]][4:] == ["0.00", "-150.00", "stopped", "suspended by an officer"]
    assert ACCOUNT.encode() not in answer.content

    workbook = pages.get(f"{base}?format=xlsx")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][0] == "Case" and len(table) == 1 + 5
    e_row = next(r for r in table[1:] if r[0] == c["E"])
    assert e_row[2] in ("", None)  # no account on record
    b_row = next(r for r in table[1:] if r[0] == c["B"])
    assert (b_row[3], b_row[4], b_row[5], b_row[6]) == (150, 75, -75, "amount changed")
    assert all(ACCOUNT not in str(cell) for row in table for cell in row)


def test_bad_filters_and_unknown_runs(client, engine, county) -> None:
    pages = officer_pages(client, engine)
    base = f"/app/payments/runs/{county['april']}/lines"
    assert pages.get(f"{base}?show=bogus").status_code == 422
    assert pages.get(f"{base}?sort=why").status_code == 422  # not a sortable heading
    assert pages.get(f"{base}?format=pdf").status_code == 422
    assert pages.get("/app/payments/runs/99999/lines").status_code == 404
    assert pages.get("/app/payments/runs/99999").status_code == 404
    counsellor = PageClient(client)
    make_account(engine, "c.counsellor", "counsellor")
    counsellor.sign_in("c.counsellor")
    assert counsellor.get(base).status_code in (403, 404)


def test_a_chinese_reader_reads_it_all_in_chinese(client, engine, county) -> None:
    make_account(engine, "wang.officer", "benefit_officer", language="zh_CN")
    pages = PageClient(client)
    pages.sign_in("wang.officer")
    run = pages.get(f"/app/payments/runs/{county['april']}").text
    assert "从案件到银行文件" in run and "本月开始前已终止" in run and "经办人员暂停发放" in run
    for show in payment_review.SHOWS:
        listed = pages.get(f"/app/payments/runs/{county['april']}/lines?show={show}").text
        assert english_runs(visible_text(listed)) == [], show
    # the API token that started the run is named in English by the test set-up: data, not words
    assert english_runs(visible_text(run).replace("test benefit_officer", "")) == []
    stopped = pages.get(f"/app/payments/runs/{county['april']}/lines?show=stopped&format=csv")
    rows = list(csv.reader(io.StringIO(stopped.content.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["低保案件", "收款人", "银行账户"]
    assert {r[6] for r in rows[1:]} == {"停发"}
