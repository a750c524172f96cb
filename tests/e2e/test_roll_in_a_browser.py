"""Bringing a county's roll in through a real browser (Debian's Chromium, Playwright), in
Chinese and in English: a benefit officer chooses the sheet on the Roll page, asks for it to be
brought in, watches the import page follow it until it has finished, and downloads the result
with a status per row. Screenshots go to test-artifacts/screenshots/ (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from test_money_in_a_browser import words
from test_pages_in_a_browser import Person

from support import LiveServer, make_account
from tests.integration.benefits.test_roll_import import _county, _write


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_roll_brought_in_from_the_page(
    browser: Any, app: Any, engine: Any, tmp_path: Any, language: str
) -> None:
    _ = words(language)
    sheet = tmp_path / "花名册.csv"
    _write(sheet, _county(app, 3))
    make_account(engine, "wang.officer", "benefit_officer", language=language)
    tag = ("zh" if language == "zh_CN" else "en") + "-roll"

    with LiveServer(app) as server:
        officer = Person(browser, server.url, language, tag)
        officer.sign_in("wang.officer", "correct horse battery")
        page = officer.page
        page.goto("/app/roll")
        form = page.locator("#import")
        form.get_by_label(_("Roll file")).set_input_files(str(sheet))
        form.get_by_label(
            _(
                "Bring it in: write the new households and the corrected phone numbers and "
                "addresses (a stopped import resumes)"
            )
        ).check()
        officer.check_accessibility()
        officer.shot("01-roll-page")
        form.get_by_role("button", name=_("Start")).click()
        page.wait_for_url("**/app/roll/imports/*")
        page.locator('[data-state="finished"]').wait_for()  # htmx polls until done
        progress = page.locator("#import-progress")
        assert f"{_('created')}: 3" in progress.inner_text()
        officer.check_accessibility()
        officer.shot("02-import-finished")
        with page.expect_download() as fetched:
            page.get_by_role("link", name=_("Download the result: a status per row")).click()
        result = tmp_path / "result.xlsx"
        result.write_bytes(fetched.value.path().read_bytes())
    rows = list(load_workbook(result, read_only=True).active.iter_rows(values_only=True))
    assert [row[2] for row in rows[1:]] == [_("created")] * 6
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM household")).scalar_one() == 3
