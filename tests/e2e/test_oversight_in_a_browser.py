"""The oversight page (issue 17) in a real browser (Debian's Chromium, Playwright), in Chinese
and in English, on the county of ``oversight_support`` with one forced cut: an admin asks for
May 2026 through the form and reads the office alert, the women's ratio alert and the cut
without confirmation, whose link leads to its sanction; the chart is drawn and the village of
six is not shown; the figures narrow to one office; the open figures download as a workbook
with no person in it; a supervisor lands on the page and reads the same alerts with no link to
a sanction; a month that is not a month comes back with its problem. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from oversight_support import build, known_county, stop
from sqlalchemy import select
from sqlmodel import Session
from test_pages_in_a_browser import Person

from benefits.models import Member
from kernel.clock import FixedClock
from support import LiveServer, make_account
from workbridge import jobs
from workbridge.pages.i18n import load_translators

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct horse battery"


def words(language: str) -> Any:
    """The catalogs' own wording, so the test reads what a person of that language reads."""
    return load_translators(SHANGHAI)[language].gettext


def alerts_read(_: Any) -> dict[str, str]:
    """The three alerts the county's May fires, as the catalogs word them."""
    return {
        "office": _(
            "%(group)s stops %(value)s of its people, more than %(multiple)s times the median of "
            "%(limit)s"
        )
        % {"group": "北街社区", "value": 0.34, "multiple": 2.0, "limit": 0.16},
        "female": _(
            "%(dimension)s %(group)s: stopped %(value)s times as often as everyone "
            "(above %(limit)s)"
        )
        % {"dimension": _("sex"), "group": _("female"), "value": 1.2752, "limit": 1.25},
        "forced": _("%(count)s cut(s) without a second officer's confirmation") % {"count": 1},
    }


@pytest.fixture
def county(engine: Any, app: Any) -> dict[str, Any]:
    """The known county, stopped on 1 May, and one cut on 20 May that nobody confirmed."""
    ids = build(engine, known_county(), date(2026, 5, 1))
    with Session(engine) as session:
        people = session.execute(select(Member.name, Member.national_id)).all()
        first = session.get(Member, ids[0])
        assert first is not None
        forced = stop(
            ids[0], first.household_id, date(2026, 5, 20), confirmed_by=None, confirmed_on=None
        )
        session.add(forced)
        session.commit()
        forced_id = forced.id
    assert people and forced_id
    in_may = FixedClock(datetime(2026, 5, 20, 4, tzinfo=UTC))  # the daily job of 20 May
    raised = jobs.oversight_tasks(
        jobs.JobEnv(engine, app.state.policy, in_may, ZoneInfo("Asia/Shanghai"))
    )
    assert raised == 3
    return {"forced": forced_id, "people": people}


def alerts(page: Any, _: Any) -> Any:
    return page.locator("section", has=page.get_by_role("heading", name=_("Alerts"), exact=True))


def the_three_alerts(page: Any, _: Any, said: dict[str, str]) -> Any:
    """May's alerts are the office's, the women's and the forced cut's; the cut's item."""
    listed = alerts(page, _)
    text = listed.inner_text()
    for key in ("office", "female", "forced"):
        assert said[key] in text, (key, text)
    forced = listed.locator("li", has_text=said["forced"])
    assert forced.count() == 1
    return forced


def fact(page: Any, label: str) -> str:
    """The figure beside ``label`` in the month's figures."""
    term = page.locator("dl.facts dt").filter(has_text=re.compile(f"^{re.escape(label)}$"))
    return term.locator("xpath=following-sibling::dd[1]").inner_text().strip()


def ask(page: Any, _: Any, month: str, office: str | None = None) -> None:
    """Type the month (and the office) into the form and press Show, as a person does."""
    page.get_by_label(_("Month (for example 2026-05)"), exact=True).fill(month)
    if office is not None:
        page.get_by_label(_("Township or community (optional)"), exact=True).fill(office)
    with page.expect_navigation():
        page.get_by_role("button", name=_("Show"), exact=True).click()


def workbook(page: Any, _: Any) -> tuple[str, Any]:
    from openpyxl import load_workbook

    with page.expect_download() as fetched:
        page.get_by_role("link", name=_("Download the open figures (Excel)"), exact=True).click()
    download = fetched.value
    content = io.BytesIO(download.path().read_bytes())  # the path has no .xlsx suffix
    return download.suggested_filename, load_workbook(content, read_only=True)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_oversight_in_a_browser(
    browser: Any, app: Any, engine: Any, county: dict[str, Any], language: str
) -> None:
    _ = words(language)
    said = alerts_read(_)
    hidden = _("fewer than %(n)s people: not shown") % {"n": 10}
    duty = _("People under the duty")
    forced_link = f"{_('sanction')} {county['forced']}"
    make_account(engine, f"o.admin.{language}", "admin", language=language)
    make_account(engine, f"o.supervisor.{language}", "supervisor", language=language)
    tag = ("zh" if language == "zh_CN" else "en") + "-oversight"

    with LiveServer(app) as server:
        admin = Person(browser, server.url, language, tag)
        admin.sign_in(f"o.admin.{language}", PASSWORD)
        page = admin.page
        page.goto("/app/oversight")
        assert page.get_by_role("heading", name=_("Oversight of the refusal rule")).is_visible()
        # The clock's month (February) comes first: nobody is stopped yet, nothing fires.
        assert alerts(page, _).locator("li").all_inner_texts() == [_("No alert this month.")]

        ask(page, _, "2026-05")
        assert parse_qs(urlparse(page.url).query)["month"] == ["2026-05"]
        forced = the_three_alerts(page, _, said)
        assert "problem" in (forced.get_attribute("class") or "")  # a check that never fires
        link = forced.get_by_role("link", name=forced_link, exact=True)
        assert link.get_attribute("href") == f"/app/sanctions/{county['forced']}"
        chart = page.locator("section.chart-card svg.chart")
        assert chart.is_visible()
        assert chart.get_attribute("aria-label") == _(
            "Share of people under a stop on the month's last day, by community"
        )
        assert fact(page, duty) == "206"
        assert fact(page, _("Under a stop on the last day")) == "42 (20.4%)"  # 42 of 206
        village = page.locator("tr", has=page.get_by_role("rowheader", name="新村", exact=True))
        assert village.locator("td").all_inner_texts() == [hidden]
        admin.check_accessibility()
        admin.shot("01-may-with-its-alerts")

        with page.expect_navigation() as opened:
            link.click()
        page.wait_for_url(f"**/app/sanctions/{county['forced']}")
        assert opened.value is not None and opened.value.status == 200  # the admin reads it
        assert f"#{county['forced']}" in page.get_by_role("heading", level=1).inner_text()
        assert page.get_by_role("button", name=_("Confirm the sanction")).count() == 0
        admin.shot("02-the-sanction-behind-the-cut")
        page.go_back()
        page.wait_for_url("**/app/oversight?*")
        assert said["forced"] in alerts(page, _).inner_text()

        # The open figures of the county: words in the reader's language, no person in them.
        name, book = workbook(page, _)
        assert name == "oversight-2026-05.xlsx"
        assert book.sheetnames == [_("oversight"), _("alerts")]
        rows = list(book[_("oversight")].iter_rows(values_only=True))
        heading = rows[0]
        assert heading[:4] == (_("month"), _("dimension"), _("group"), _("people under the duty"))
        by_group = {(row[1], row[2]): row for row in rows[1:]}
        assert by_group[(_("everyone"), _("everyone"))][3] == 206
        village_row = by_group[(_("community"), "新村")]
        assert village_row[3:-1] == (None,) * (len(heading) - 4) and village_row[-1] == hidden
        assert by_group[(_("sex"), _("female"))][heading.index(_("against everyone"))] == 1.2752
        found = list(book[_("alerts")].iter_rows(values_only=True))[1:]
        assert ("2026-05", "cut-without-confirmation", said["forced"], 1) in found
        cells = "\n".join(str(cell) for row in rows + found for cell in row if cell is not None)
        for person_name, national_id in county["people"]:
            assert person_name not in cells and national_id not in cells
        assert "sanction:" not in cells and forced_link not in cells

        # One office: the figures narrow to its 50 people, and the address says which office.
        ask(page, _, "2026-05", office="北街社区")
        asked = parse_qs(urlparse(page.url).query)
        assert asked["office"] == ["北街社区"] and asked["month"] == ["2026-05"]
        assert fact(page, duty) == "50"
        assert fact(page, _("Under a stop on the last day")).startswith("17")
        # The cut nobody confirmed is in 东街社区: the checks are limited to the office too.
        assert said["forced"] not in alerts(page, _).inner_text()
        assert page.get_by_label(_("Township or community (optional)")).input_value() == "北街社区"
        admin.check_accessibility()
        admin.shot("03-one-office")
        _name, narrowed = workbook(page, _)
        everyone = next(
            row
            for row in narrowed[_("oversight")].iter_rows(values_only=True)
            if row[1] == _("everyone")
        )
        assert everyone[3] == 50  # the download follows the office asked for

        # A month that is not a month: the page says so, in the reader's language.
        page.goto("/app/oversight?month=2026-05")
        with page.expect_response(lambda r: "/app/oversight?" in r.url) as answered:
            ask(page, _, "2026-13")
        assert answered.value.status == 422
        problems = page.get_by_role("alert")
        assert _("Please correct the following") in problems.inner_text()
        assert (
            _("%(text)s is not a month: the month must be 01 to 12") % {"text": "'2026-13'"}
            in problems.inner_text()
        )
        month_field = page.get_by_label(_("Month (for example 2026-05)"), exact=True)
        assert month_field.get_attribute("aria-invalid") == "true"
        assert month_field.input_value() == "2026-13"  # what was typed, to correct it
        admin.check_accessibility()
        admin.shot("04-a-bad-month")
        admin.close()

        supervisor = Person(browser, server.url, language, tag)
        supervisor.sign_in(f"o.supervisor.{language}", PASSWORD)
        page = supervisor.page
        assert urlparse(page.url).path == "/app/oversight"  # where a supervisor lands
        ask(page, _, "2026-05")
        forced = the_three_alerts(page, _, said)
        assert forced.locator("a").count() == 0 and forced_link not in forced.inner_text()
        assert page.locator('a[href^="/app/sanctions/"]').count() == 0
        assert fact(page, duty) == "206"
        supervisor.check_accessibility()
        supervisor.shot("05-supervisor-reads-the-figures")

        # The patterns are the supervisor's tasks (the daily job raised them); one is closed
        # with a note of what was done, and the other stays open.
        tasks = page.locator("#tasks")
        assert tasks.get_by_role("heading", name=_("Tasks for your role")).is_visible()
        assert tasks.locator("li[id^=task-]").count() == 2  # not the admins' cut
        office_task = tasks.locator("li[id^=task-]", has_text=said["office"])
        office_task.get_by_label(_("What was done")).fill("已与北街社区讨论，复核了 17 个案件")
        office_task.get_by_role("button", name=_("Close the task")).click()
        page.wait_for_url("**/app/oversight?*#tasks")
        tasks = page.locator("#tasks")
        assert tasks.locator("li[id^=task-]").count() == 1
        assert said["female"] in tasks.locator("li[id^=task-]").inner_text()
        assert "已与北街社区讨论，复核了 17 个案件" in tasks.inner_text()
        assert _("Closed recently") in tasks.inner_text()
        supervisor.check_accessibility()
        supervisor.shot("06-supervisor-closes-a-task")
        supervisor.close()
