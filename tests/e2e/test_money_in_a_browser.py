"""The money path in a real browser (Debian's Chromium, Playwright), in Chinese and in English:
an officer sees what approving pays and how the sum comes about, approves after the page asks,
prints the decision letter, and starts the month's payment run, which the page follows until it
has finished and then explains; the same officer cannot release the bank file; a second officer
ticks that the totals were checked, signs off and downloads it, and opens the lines behind the
figures. Screenshots go to test-artifacts/screenshots/ (issue 12: money with four eyes)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from test_pages_in_a_browser import Person

from support import (
    Desk,
    LiveServer,
    create_household,
    household,
    make_account,
    member,
    register_obligated,
    walk_to_notice,
)
from workbridge.pages.i18n import load_translators

SHANGHAI = ZoneInfo("Asia/Shanghai")


def words(language: str) -> Any:
    """The catalogs' own wording, so the test reads what a person of that language reads."""
    return load_translators(SHANGHAI)[language].gettext


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_money_with_four_eyes_in_a_browser(
    browser: Any, app: Any, engine: Any, client: Any, tokens: Any, clock: Any, language: str
) -> None:
    _ = words(language)
    desk = Desk(client, tokens, clock)
    desk.household_with_case(member("刘丽", incomes=[("wages", "100.00")]))  # paid in March
    waiting = create_household(
        client, desk.officer, household(member("陈芳", incomes=[("wages", "80.00")]))
    )
    app_id = walk_to_notice(client, desk.officer, waiting["id"], clock)
    register_obligated(client, desk.counsellor, waiting["id"])
    clock.set(datetime.combine(date(2026, 4, 1), time(10), tzinfo=SHANGHAI))
    make_account(engine, "li.officer", "benefit_officer", language=language)
    make_account(engine, "zhao.officer", "benefit_officer", language=language)
    tag = ("zh" if language == "zh_CN" else "en") + "-money"

    with LiveServer(app) as server:
        first = Person(browser, server.url, language, tag)
        first.sign_in("li.officer", "correct horse battery")
        page = first.page
        page.goto(f"/app/applications/{app_id}")
        before = page.locator("#if-approved")
        assert "CN¥70.00" in before.inner_text() or "¥70.00" in before.inner_text()
        assert before.locator("table tr").count() >= 3  # each line of the sum
        first.check_accessibility()
        first.shot("01-approve-shows-the-amount")
        page.get_by_role("button", name=_("Approve"), exact=True).click()
        page.wait_for_load_state()
        assert first.asked, "approving asks first"
        page.get_by_role("link", name=_("Decision letter to print")).click()
        page.wait_for_load_state()
        letter = page.locator("article.notice")
        assert _("Notice of approval of minimum living guarantee") in letter.inner_text()
        assert "陈芳" in letter.inner_text()
        first.shot("02-decision-letter")
        page.emulate_media(media="print")
        assert page.locator("header.top").is_hidden()
        first.shot("03-decision-letter-print")
        page.emulate_media(media="screen")

        page.goto("/app/payments")
        page.get_by_label(_("Month (YYYY-MM)")).fill("2026-03")
        page.get_by_role("button", name=_("Start the run")).click()
        page.wait_for_url("**/app/payments/runs/*")
        run_url = page.url
        # htmx follows the run until it has finished, then the explanation stands beside it
        page.locator("#run-progress").get_by_text(_("completed"), exact=True).wait_for(
            timeout=30_000
        )
        page.reload()
        assert _("You started this run: another benefit officer signs it off.") in page.content()
        assert page.get_by_role("link", name=_("Download the bank file")).count() == 0
        first.check_accessibility()
        first.shot("04-run-explained")
        first.close()

        second = Person(browser, server.url, language, tag)
        second.sign_in("zhao.officer", "correct horse battery")
        page = second.page
        page.goto(run_url)
        page.locator('input[name="checked"]').check()
        page.get_by_role("button", name=_("Sign off and release the bank file")).click()
        page.wait_for_load_state()
        with page.expect_download() as fetched:
            page.get_by_role("link", name=_("Download the bank file")).click()
        bank_file = fetched.value.path().read_bytes()
        with engine.connect() as connection:
            paid = connection.execute(
                text(
                    "SELECT COUNT(*) FROM payment_line WHERE period = '2026-03' AND amount_fen > 0"
                )
            ).scalar_one()
        assert paid >= 1 and len(bank_file.splitlines()) >= paid
        second.check_accessibility()
        second.shot("05-signed-off")
        page.goto(f"{run_url}/lines")
        assert page.locator("tbody tr[data-case]").count() >= 1
        second.check_accessibility()
        second.shot("06-run-lines")
        second.close()
