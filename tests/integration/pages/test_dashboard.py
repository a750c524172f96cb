"""The dashboard on a demo county (issue 12): filtered by office and months, an office-bound
person kept to their office, the share from one step of the way into work to the next, what
payment runs actually paid beside the estimate, and every chart's table as CSV or Excel."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import Session, select

from benefits.models import PaymentLine
from support import PageClient, make_account, move_to, pay_month
from workbridge.demo import demo_accounts, load_demo
from workbridge.pages import stats

TODAY = date(2026, 2, 20)
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def county(engine, app, clock):
    move_to(clock, TODAY)
    load_demo(engine, app.state.policy, households=150, today=TODAY, seed=7)
    demo_accounts(engine, datetime.combine(TODAY, time(9), tzinfo=ZONE))
    return engine


def signed_in(client, engine, username: str, role: str, **fields) -> PageClient:
    make_account(engine, username, role, **fields)
    pages = PageClient(client)
    assert pages.sign_in(username).status_code == 303
    return pages


def table(response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_an_office_filter_narrows_every_figure(client, county) -> None:
    pages = signed_in(client, county, "dash.officer", "benefit_officer", language="en")
    whole = table(pages.get("/app/dashboard?table=funnel&format=csv&to=2026-02"))
    town = table(pages.get("/app/dashboard?office=炉桥镇&table=funnel&format=csv&to=2026-02"))
    assert whole[0][0] == "Step" and len(whole[0]) == 7 and len(whole) == 9  # 6 months, 8 steps
    totals = [sum(int(v) for v in row[1:]) for row in whole[1:]]
    narrowed = [sum(int(v) for v in row[1:]) for row in town[1:]]
    assert all(n <= t for n, t in zip(narrowed, totals, strict=True))
    assert 0 < sum(narrowed) < sum(totals)
    with Session(county) as session:
        months = stats.last_months(TODAY)
        expected = stats.funnel(session, months, "炉桥镇")
    assert narrowed == [sum(v) for v in expected.values()]
    year = table(pages.get("/app/dashboard?months=12&table=funnel&format=csv&to=2026-02"))
    assert len(year[0]) == 13


def test_each_step_shows_its_share_of_the_one_before(client, county) -> None:
    pages = signed_in(client, county, "dash.officer", "benefit_officer", language="en")
    page = pages.get("/app/dashboard").text
    assert "From one step to the next" in page
    rows = table(pages.get("/app/dashboard?table=conversion&format=csv"))
    assert rows[0] == ["Step", "People in these months", "Share of the step before (%)"]
    by_step = {r[0]: r for r in rows[1:]}
    obligated, registered = int(by_step["obligated"][1]), int(by_step["registered"][1])
    assert by_step["obligated"][2] == ""  # the first step has nothing before it
    share = (Decimal(registered) * 100 / obligated).quantize(Decimal("0.1"))
    assert Decimal(by_step["registered"][2]) == share


def test_what_the_runs_paid_stands_beside_the_estimate(client, county, clock, tokens) -> None:
    move_to(clock, TODAY)
    run = pay_month(client, tokens.headers("benefit_officer"), "2026-01")
    assert run["state"] == "finished"
    with Session(county) as session:
        paid = session.exec(
            select(func.sum(PaymentLine.amount_fen)).where(PaymentLine.period == "2026-01")
        ).one()
    pages = signed_in(client, county, "dash.officer", "benefit_officer", language="en")
    rows = table(pages.get("/app/dashboard?table=money&format=csv&to=2026-02"))
    paid_row = rows[-1]
    assert paid_row[0] == "paid by payment runs"
    january = rows[0].index("Jan 2026")
    assert Decimal(paid_row[january]) == Decimal(paid) / 100
    assert paid_row[january + 1] == ""  # no run for February: nothing claimed as paid
    pages.post("/app/language", {"language": "zh_CN"})
    book = pages.get("/app/dashboard?table=money&format=xlsx&to=2026-02")
    sheet = list(load_workbook(io.BytesIO(book.content), read_only=True).active.values)
    assert sheet[0][0] == "状态" and sheet[-1][0] == "发放批次实发金额"


def test_an_office_bound_counsellor_sees_only_their_office(client, county) -> None:
    pages = signed_in(client, county, "bound.counsellor", "counsellor", office="定城镇")
    own = table(pages.get("/app/dashboard?table=offices&format=csv"))
    with Session(county) as session:
        expected = [o.office for o in stats.refusals_and_sanctions(session, "定城镇")]
    assert [r[0] for r in own[1:]] == expected
    assert pages.get("/app/dashboard?office=炉桥镇").status_code == 422
    page = pages.get("/app/dashboard").text
    assert '<option value="">' not in page.split('id="f-office"', 1)[1].split("</select>")[0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("months=7", "months"),
        ("to=2026-13", "to"),
        ("to=0001-01", "to"),
        ("to=soon", "to"),
        ("table=everything&format=csv", "table"),
        ("table=funnel&format=pdf", "format"),
        ("office=火星", "office"),
    ],
)
def test_bad_filters_are_a_422_naming_them(client, engine, query, field) -> None:
    pages = signed_in(client, engine, "dash.officer", "benefit_officer", language="en")
    answer = pages.get(f"/app/dashboard?{query}")
    assert answer.status_code == 422 and f'data-field="{field}"' in answer.text
