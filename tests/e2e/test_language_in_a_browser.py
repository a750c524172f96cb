"""What people read in a real browser (Debian's Chromium), for every role, in Chinese and in
English: each page reachable from the navigation, read as the browser shows it
(``document.body.innerText`` and the window's title, so text that scripts or styles hide or add
counts as people see it).

A Chinese page may hold no English wording (names, codes and units aside); an English page no
Chinese that is not data. The HTTP crawl (``tests/integration/pages/test_language_crawl.py``)
reads more pages; this one confirms that what it reads is what a browser shows, forms in their
error states included (each sent empty with the browser's own checks off).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from language import confirm_a_sanction, english_runs, report, stored_text, untranslated
from sqlmodel import Session, select

from kernel.models import UserAccount
from support import LiveServer
from workbridge.demo import demo_accounts, load_demo

ZONE = ZoneInfo("Asia/Shanghai")
ROLES = ("demo.counsellor", "demo.officer", "demo.provider", "demo.admin")
PAGES_PER_ROLE = 30
SKIP = ("/logout", "/sign-out", ".csv", ".xlsx", "/download", "/bank-file")

LINKS = """() => [...document.querySelectorAll('a[href^="/app"]')]
  .map(a => a.getAttribute('href').split('#')[0].split('?')[0])"""


def read(page: Any, language: str, data: str) -> list[str]:
    # Records shown as stored or sent (``data-raw``, as in tests/language.py) are data.
    text = page.evaluate(
        """() => document.title + '\\n' + [...document.body.querySelectorAll('[data-raw]')]
          .reduce((left, raw) => left.replace(raw.innerText, ' '), document.body.innerText)"""
    )
    return english_runs(text) if language == "zh_CN" else untranslated(text, data)


# The forms on the page that have something to fill in, by index, skipping sign-out and the
# language switch; each is sent with its fields empty and the browser's own checks off, so the
# answer is the service's: the form again with every problem beside its field.
FORMS = """() => [...document.forms]
  .map((form, index) => ({index, action: form.getAttribute('action') || '', fields:
    [...form.elements].filter(e => ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.tagName)
      && !['hidden', 'submit', 'checkbox', 'radio'].includes(e.type)).length}))
  .filter(f => f.fields > 0 && f.action.startsWith('/app')
    && !/logout|sign-out|language|login/.test(f.action))"""
SEND_EMPTY = """(index) => {
  const form = document.forms[index];
  form.noValidate = true;
  for (const e of form.elements) {
    if (['INPUT', 'TEXTAREA'].includes(e.tagName)
        && !['hidden', 'submit', 'checkbox', 'radio'].includes(e.type)) e.value = '';
  }
  form.requestSubmit();
}"""


SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "crawl"


def shoot(page: Any, name: str, taken: set[str]) -> None:
    """One screenshot of each kind of page and of each form's answer, per role and language
    (``/app/people/17`` and ``/app/people/23`` are one kind), for a reviewer to look through."""
    kind = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\d+", "n", name.lower())).strip("-")
    if kind in taken:
        return
    taken.add(kind)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{page.context.tag}-{kind}.png"), full_page=True)


def error_states(
    page: Any, path: str, language: str, data: str, taken: set[str]
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for form in page.evaluate(FORMS)[:2]:
        page.goto(path)
        with page.expect_navigation():
            page.evaluate(SEND_EMPTY, form["index"])
        shown = page.locator(".problems li").count()  # the service's answer, not the form
        found[f"POST {form['action']} ({shown} problems)"] = read(page, language, data)
        shoot(page, f"post {form['action']}", taken)
    return found


def crawl(page: Any, language: str, data: str) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    taken: set[str] = set()
    queue = ["/app"]
    while queue and sum(not p.startswith("POST ") for p in seen) < PAGES_PER_ROLE:
        path = queue.pop(0)
        if path in seen or any(part in path for part in SKIP):
            continue
        answer = page.goto(path)
        assert answer is not None and answer.status < 500, (path, answer and answer.status)
        if "text/html" not in (answer.headers.get("content-type") or ""):
            continue
        seen[path] = read(page, language, data)
        shoot(page, path, taken)
        links = page.evaluate(LINKS)
        seen.update(error_states(page, path, language, data, taken))
        for link in links:
            if link not in seen and link not in queue:
                queue.append(link)
    return seen


@pytest.fixture
def demo(engine, app, clock, client) -> dict[str, str]:
    today = date(2026, 2, 20)
    load_demo(engine, app.state.policy, households=150, today=today, seed=7)
    passwords = {
        username: password
        for _, username, password in demo_accounts(
            engine, datetime.combine(today, time(9), tzinfo=ZONE)
        )
    }
    confirm_a_sanction(client, passwords)
    return passwords


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_role_reads_only_its_language_in_a_browser(
    browser, app, engine, demo, language, capsys
) -> None:
    with Session(engine) as session:
        for account in session.exec(select(UserAccount)):
            account.language = language
            session.add(account)
        session.commit()
    data = stored_text(engine)
    found: Counter[str] = Counter()
    read_pages, forms, answered = 0, 0, 0
    with LiveServer(app) as server:
        for username in ROLES:
            context = browser.new_context(
                base_url=server.url, locale="zh-CN" if language == "zh_CN" else "en-US"
            )
            context.tag = f"{language}-{username.removeprefix('demo.')}"
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.goto("/app/login")
            page.locator('input[name="username"]').fill(username)
            page.locator('input[name="password"]').fill(demo[username])
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: "/app/login" not in url)
            seen = crawl(page, language, data)
            context.close()
            read_pages += len(seen)
            forms += sum(path.startswith("POST ") for path in seen)
            answered += sum(p.startswith("POST ") and "(0 problems)" not in p for p in seen)
            for path, runs in seen.items():
                found.update(f"{run}  ({username} {path})" for run in runs)
    report(
        capsys,
        f"browser language crawl ({language}): {read_pages} pages ({forms} forms sent empty, "
        f"{answered} answered with their problems)",
        found,
    )
    assert read_pages >= 50 and forms >= 15, "the crawl reached too few pages to mean anything"
    assert answered >= 10, "too few forms came back with their problems"
    assert not found, found.most_common(40)
