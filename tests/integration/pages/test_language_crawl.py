"""What people read, read back: every page each demo account reaches from the navigation, in
Chinese, checked for runs of English words.

The crawl signs in as each demo account (Chinese is their language), follows the page links it
finds (``/app...``, breadth first, a bounded number of pages), takes the text a reader sees
(no tags, scripts or styles) and collects runs of Latin-letter words that are not names, codes
or units. There must be none (``docs/ARCHITECTURE.md``, *Chinese first*); what
is found is printed.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, SQLModel, select

from kernel.models import UserAccount
from support import PageClient
from workbridge.demo import demo_accounts, load_demo

ZONE = ZoneInfo("Asia/Shanghai")
MAX_PAGES = 40  # pages per account (forms sent empty on them come on top)
SKIP = re.compile(r"/app/(logout|sign-out)|\.(csv|xlsx|txt)$|/download|/bank-file")

# Words that stay in Latin letters in a Chinese page: names of things, codes and units.
ALLOWED = {
    "workbridge", "sms", "api", "csv", "id", "gb", "cny", "excel", "pdf", "cx", "td", "start",
    "stop", "kannel", "twilio", "mod", "x", "ok", "http", "https", "json", "url", "csco",
    "htmx", "utf", "e", "yyyy", "mm", "dd", "hh", "ss", "english", "cpu",
}  # fmt: skip


def is_code(word: str) -> bool:
    """An offer code (QF, YJH), a username (demo.admin), a rule or profile code
    (county-pilot, objections-resolved): read as it is written in any language."""
    bare = word.strip("'’-.")
    if any(c.isdigit() for c in bare) or (bare.isupper() and len(bare) <= 5):
        return True
    return bare.islower() and any(c in bare for c in "._-")


RUN = re.compile(r"[A-Za-z][A-Za-z'’\-.]*(?:[ \t]+[A-Za-z][A-Za-z'’\-.]*)*")
BLOCKS = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
TAGS = re.compile(r"<[^>]+>")


def visible_text(page: str) -> str:
    return html.unescape(TAGS.sub(" ", BLOCKS.sub(" ", page)))


def english_runs(text: str) -> list[str]:
    """Runs of Latin-letter words with at least one word that is not a name, code or unit."""
    found = []
    for run in RUN.findall(text):
        words = [w.strip("'’-.") for w in run.split()]
        if any(len(w) > 1 and w.lower() not in ALLOWED and not is_code(w) for w in words):
            # Codes vary from run to run (offer codes are random): one run is one wording.
            found.append(" ".join("…" if is_code(w) else w for w in run.split()))
    return found


HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
FORM = re.compile(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', re.S | re.I)
ACTION = re.compile(r'action="(/app[^"]*)"')
FIELD = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.I)


def untranslated(text: str, data: str) -> list[str]:
    """Runs of Chinese in an English page that are not the data shown (names, places, titles
    come as they were entered): those came from a catalog without its English."""
    return [run for run in HAN.findall(text) if run not in data and run not in ("中文",)]


def check(page: str, language: str, data: str) -> list[str]:
    text = visible_text(page)
    return english_runs(text) if language == "zh_CN" else untranslated(text, data)


def error_states(pages: PageClient, page: str, language: str, data: str) -> dict[str, list[str]]:
    """Each form with something to fill in, sent with those fields empty: the page that
    answers (the form again with its problems, or where it leads) is read too."""
    found: dict[str, list[str]] = {}
    for form in FORM.finditer(page):
        tag = form.group(0)[: form.group(0).find(">") + 1]
        action = ACTION.search(tag)
        fields = FIELD.findall(form.group(1))
        fillable = [a for kind, a in fields if 'type="hidden"' not in a and "submit" not in a]
        if not action or not fillable or SKIP.search(action.group(1)):
            continue
        data_sent = {}
        for _, attributes in fields:
            name = re.search(r'name="([^"]+)"', attributes)
            value = re.search(r'value="([^"]*)"', attributes)
            if name and 'type="hidden"' in attributes and name.group(1) != "csrf_token":
                data_sent[name.group(1)] = html.unescape(value.group(1)) if value else ""
        answer = pages.post(action.group(1), data_sent)
        if answer.headers.get("content-type", "").startswith("text/html"):
            found[f"POST {action.group(1)}"] = check(answer.text, language, data)
    return found


def crawl(pages: PageClient, language: str, data: str, start: str = "/app") -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    queue = [start]
    pages_read = 0
    while queue and pages_read < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or SKIP.search(path):
            continue
        answer = pages.get(path)
        pages_read += 1
        if not answer.headers.get("content-type", "").startswith("text/html"):
            seen[path] = []
            continue
        seen[path] = check(answer.text, language, data)
        seen.update(error_states(pages, answer.text, language, data))
        for link in re.findall(r'href="(/app[^"#?]*)', answer.text):
            if link not in seen and link not in queue:
                queue.append(link)
    return seen


def stored_text(engine) -> str:
    """Every text the database holds, as one string: what pages may show as it was entered."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    walk(value)
    return "\n".join(found)


@pytest.fixture
def demo(engine, app, clock):
    today = date(2026, 2, 20)
    load_demo(engine, app.state.policy, households=150, today=today, seed=7)
    return {
        username: password
        for _, username, password in demo_accounts(
            engine, datetime.combine(today, time(9), tzinfo=ZONE)
        )
    }


# What the crawl found, as distinct wordings over all accounts: 83 (350 runs in all) before
# problems, duties, warnings, suitability checks, approval reasons and actors became messages;
# 60 (183) after; none once match reasons, the employment file, task notes and the reasons
# stored with continuations, sanctions and re-entry followed. It stays at none.
CEILING = 0


def confirm_a_sanction(client, demo) -> None:
    """The demo county's sanctions are proposals; one confirmed brings its notice in."""
    officer = PageClient(client)
    officer.sign_in("demo.officer", demo["demo.officer"])
    found = re.search(r'href="/app/sanctions/(\d+)"', officer.get("/app/sanctions").text)
    assert found, "the demo county has no proposed sanction"
    base = f"/app/sanctions/{found.group(1)}"
    officer.get(base)
    review = officer.post(f"{base}/review", {"findings": "未发现特殊困难", "proceed": "yes"})
    decision = officer.post(f"{base}/decision", {"reason": "两次无正当理由拒绝", "confirm": "yes"})
    assert (review.status_code, decision.status_code) == (303, 303), decision.text[-2000:]
    client.cookies.clear()


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_pages_speak_only_the_readers_language(client, engine, demo, language, capsys) -> None:
    """In Chinese, no English wording; in English, no Chinese that is not data."""
    with Session(engine) as session:
        for account in session.exec(select(UserAccount)):
            account.language = language
            session.add(account)
        session.commit()
    confirm_a_sanction(client, demo)  # so that a printed notice is among the pages
    data = stored_text(engine)
    distinct: Counter[str] = Counter()
    visited, forms = 0, 0
    pages_seen: set[str] = set()
    for username in ("demo.counsellor", "demo.officer", "demo.provider", "demo.admin"):
        client.cookies.clear()
        pages = PageClient(client)
        pages.sign_in(username, demo[username])
        found = crawl(pages, language, data)
        visited += len(found)
        pages_seen.update(found)
        forms += sum(1 for path in found if path.startswith("POST "))
        for path, runs in found.items():
            distinct.update(f"{run}  ({username} {path})" for run in runs)
    with capsys.disabled():
        print(
            f"\nlanguage crawl ({language}): {visited} pages ({forms} forms sent empty), "
            f"{len(distinct)} distinct runs in the other language, {sum(distinct.values())} in all"
        )
        for run, count in distinct.most_common(25):
            print(f"  {count:4d}  {run}")
    assert visited >= 100 and forms >= 40, "the crawl reached too few pages to mean anything"
    assert any("/notice" in path for path in pages_seen), "the printed notice was not read"
    assert len(distinct) <= CEILING, distinct.most_common(40)
