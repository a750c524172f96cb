"""Lists that grow, on a demo county: every row reachable a page at a time, sorted by any
sortable heading, filtered, and exported whole as CSV and Excel in the reader's language, each
office's list holding only its own people — and a bad page, size, order or format is a 422
that names it (issue 12: applications stopped at 200 and search at 50 without a word)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import Session, col, select

from benefits.models import Application, Household
from support import PageClient, make_account
from workbridge.demo import demo_accounts, load_demo

TODAY = date(2026, 2, 20)
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def county(engine, app, clock):
    load_demo(engine, app.state.policy, households=150, today=TODAY, seed=7)
    demo_accounts(engine, datetime.combine(TODAY, time(9), tzinfo=ZONE))
    return engine


def signed_in(client, engine, username: str, role: str, **fields) -> PageClient:
    make_account(engine, username, role, **fields)
    pages = PageClient(client)
    assert pages.sign_in(username).status_code == 303
    return pages


def ids_on(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/app/applications/(\d+)"', html)]


def application_ids(engine, *, office: str | None = None) -> list[int]:
    with Session(engine) as session:
        query = select(Application.id).join(
            Household, col(Household.id) == Application.household_id
        )
        if office:
            query = query.where((Household.township == office) | (Household.community == office))
        return sorted(session.exec(query).all())


def test_every_application_is_reachable_a_page_at_a_time(client, county) -> None:
    pages = signed_in(client, county, "list.officer", "benefit_officer", language="en")
    every = application_ids(county)
    assert len(every) > 25, "the demo county needs more than one page"
    seen: list[int] = []
    number = 1
    while True:
        page = pages.get(f"/app/applications?state=all&per=25&sort=id&page={number}")
        assert page.status_code == 200
        found = ids_on(page.text)
        assert len(found) <= 25
        seen += found
        if 'rel="next"' not in page.text:
            break
        number += 1
    assert seen == every  # each once, in order, none cut off
    assert f"of {len(every)}" in page.text
    # a page past the end shows the last page rather than nothing
    beyond = pages.get(f"/app/applications?state=all&per=25&sort=id&page={number + 5}")
    assert ids_on(beyond.text) == ids_on(page.text)


def test_sorting_turns_round_and_filters_stay_on_every_link(client, county) -> None:
    pages = signed_in(client, county, "list.officer", "benefit_officer", language="en")
    up = ids_on(pages.get("/app/applications?state=all&sort=id&per=200").text)
    down = ids_on(pages.get("/app/applications?state=all&sort=-id&per=200").text)
    assert up == sorted(up) and down == list(reversed(up))
    with Session(county) as session:
        community = session.exec(select(Household.community).order_by(Household.id)).first()
        expected = sorted(
            session.exec(
                select(Application.id)
                .join(Household, col(Household.id) == Application.household_id)
                .where(Household.community == community)
            ).all()
        )
    filtered = pages.get(f"/app/applications?state=all&sort=id&per=25&community={community}")
    assert ids_on(filtered.text)[: len(expected)] == expected[:25]
    # the heading's link keeps the filter and turns the order round
    heading = re.search(r'aria-sort="ascending"><a href="([^"]+)"', filtered.text)
    assert heading and "community=" in heading.group(1) and "sort=-id" in heading.group(1)


def test_the_whole_filtered_list_exports_as_csv_and_excel_in_the_readers_language(
    client, county
) -> None:
    pages = signed_in(client, county, "list.officer", "benefit_officer", language="zh_CN")
    every = application_ids(county)
    sheet = pages.get("/app/applications?state=all&sort=id&format=csv")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"] == "text/csv; charset=utf-8"  # the charset said once
    assert "applications.csv" in sheet.headers["content-disposition"]
    assert sheet.content.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["编号", "申请人"] and "状态" in rows[0]
    assert [int(r[0]) for r in rows[1:]] == every  # every row, not a page
    states = {r[rows[0].index("状态")] for r in rows[1:]}
    assert states and not any(re.search(r"[a-z_]{4,}", s) for s in states), states
    assert all("*" in r[2] for r in rows[1:] if r[2])  # ID numbers masked as on the page

    book = pages.get("/app/applications?state=all&sort=-applied_on&format=xlsx")
    assert book.status_code == 200
    work = load_workbook(io.BytesIO(book.content), read_only=True)
    table = list(work.active.iter_rows(values_only=True))
    assert table[0][0] == "编号" and len(table) - 1 == len(every)
    applied = [r[table[0].index("申请日期")] for r in table[1:]]
    assert all(isinstance(d, datetime) for d in applied)  # dates as dates, not text
    assert applied == sorted(applied, reverse=True)


def test_an_office_lists_and_exports_only_its_own(client, county) -> None:
    pages = signed_in(
        client, county, "town.officer", "benefit_officer", language="en", office="定城镇"
    )
    own = application_ids(county, office="定城镇")
    assert own and len(own) < len(application_ids(county))
    shown = ids_on(pages.get("/app/applications?state=all&sort=id&per=200").text)
    assert shown == own
    rows = list(
        csv.reader(
            io.StringIO(
                pages.get("/app/applications?state=all&format=csv").content.decode("utf-8-sig")
            )
        )
    )
    assert sorted(int(r[0]) for r in rows[1:]) == own
    with Session(county) as session:
        elsewhere = session.exec(
            select(Household.community).where(Household.township != "定城镇")
        ).first()
        assert session.exec(select(func.count()).select_from(Household)).one() > 0
    # another township's community is not a choice here
    assert pages.get(f"/app/applications?community={elsewhere}").status_code == 422


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=-1", "page"),
        ("per=7", "per"),
        ("per=201", "per"),
        ("sort=national_id", "sort"),
        ("sort=password", "sort"),
        ("format=pdf", "format"),
        ("state=paid", "state"),
        ("kind=old", "kind"),
    ],
)
def test_a_bad_page_size_order_or_filter_is_a_422_naming_it(
    client, engine, query: str, field: str
) -> None:
    pages = signed_in(client, engine, "list.officer", "benefit_officer", language="en")
    answer = pages.get(f"/app/applications?{query}")
    assert answer.status_code == 422, answer.text[:300]
    assert f'data-field="{field}"' in answer.text


def test_page_sizes_on_the_boundary() -> None:
    from kernel.errors import InvalidInput
    from kernel.listing import PER_PAGE, Column, Listing

    listing = Listing("x", "X", [Column("a", "A", lambda r: r, order=lambda r: r)], sort="a")
    for per in PER_PAGE:
        assert listing.ask({"per": str(per)}).per == per
    for per in ("24", "26", "0", "1000000", "1000001"):
        with pytest.raises(InvalidInput):
            listing.ask({"per": per})
    page = listing.page_of_rows(list(range(101)), listing.ask({"per": "50", "page": "3"}))
    assert (page.first, page.last, page.pages, page.rows) == (101, 101, 3, [100])
    empty = listing.page_of_rows([], listing.ask({}))
    assert (empty.first, empty.last, empty.pages, empty.rows) == (0, 0, 1, [])
    assert listing.page_of_rows(list(range(50)), listing.ask({})).pages == 1
    assert listing.page_of_rows(list(range(51)), listing.ask({})).pages == 2


def test_a_counsellor_pages_through_every_person_of_the_office_and_exports_them(
    client, county
) -> None:
    from benefits.models import Member

    pages = signed_in(client, county, "town.counsellor", "counsellor", office="炉桥镇")
    with Session(county) as session:
        own = sorted(
            session.exec(
                select(Member.id)
                .join(Household, col(Household.id) == Member.household_id)
                .where(Household.township == "炉桥镇")
            ).all()
        )
    assert len(own) > 50
    first = pages.get("/app/people?per=50")
    assert first.status_code == 200 and "本机构共" in first.text
    listed: set[int] = set()
    for number in range(1, -(-len(own) // 50) + 1):
        html = pages.get(f"/app/people?per=50&page={number}").text
        listed |= {int(n) for n in re.findall(r'href="/app/people/(\d+)"', html)}
    assert sorted(listed) == own  # nobody cut off at 50, nobody from elsewhere
    book = load_workbook(io.BytesIO(pages.get("/app/people?format=xlsx").content), read_only=True)
    table = list(book.active.iter_rows(values_only=True))
    assert table[0][:2] == ("姓名", "身份证号") and len(table) - 1 == len(own)
    assert all("*" in (row[1] or "*") for row in table[1:])


def test_decided_sanctions_page_filter_and_export(client, county) -> None:
    from activation.models import Sanction

    pages = signed_in(client, county, "list.officer", "benefit_officer", language="en")
    with Session(county) as session:
        proposals = session.exec(select(Sanction).order_by(col(Sanction.id))).all()
        assert len(proposals) >= 2, "the demo county has sanction proposals"
        # decided as the desk would have left them (the decisions are tested elsewhere)
        for sanction, state in zip(proposals, ["rejected", "cancelled"], strict=False):
            sanction.state = state
            session.add(sanction)
        session.commit()
        decided = session.exec(select(Sanction).where(Sanction.state != "proposed")).all()
    page = pages.get("/app/sanctions")
    assert page.status_code == 200 and f"of {len(decided)}" in page.text
    state = decided[0].state
    rows = list(
        csv.reader(
            io.StringIO(
                pages.get(f"/app/sanctions?state={state}&format=csv").content.decode("utf-8-sig")
            )
        )
    )
    assert len(rows) - 1 == sum(1 for s in decided if s.state == state)
    assert pages.get("/app/sanctions?state=proposed").status_code == 422  # not a decided state


def test_today_pages_filters_and_exports_the_offices_things_to_do(client, county) -> None:
    pages = signed_in(client, county, "today.counsellor", "counsellor", language="en")
    whole = pages.get("/app/today?per=200")
    total = int(re.search(r"of (\d+)", whole.text).group(1))
    assert total > 25
    rows = list(
        csv.reader(io.StringIO(pages.get("/app/today?format=csv").content.decode("utf-8-sig")))
    )
    assert len(rows) - 1 == total and rows[0][:2] == ["Due", "What"]
    due = [date.fromisoformat(r[0]) for r in rows[1:] if r[0]]
    assert due == sorted(due)  # oldest deadline first
    kinds = {r[1] for r in rows[1:]}
    assert len(kinds) > 1 and not any("_" in k for k in kinds)  # in words
    first = pages.get("/app/today?per=25")
    assert first.text.count('<a href="/app/people/') == 25 and 'rel="next"' in first.text
    only = pages.get("/app/today?kind=unregistered&per=200")
    count = int(re.search(r"of (\d+)", only.text).group(1))
    assert 0 < count < total
    body = only.text.split("<tbody>", 1)[1]
    assert body.count("Must register, not yet registered</td>") == count  # that kind only
    assert body.count("<tr") == count
    assert pages.get("/app/today?kind=everything").status_code == 422
