"""What a reader of one language should never meet: the checks the language crawls share
(``tests/integration/pages/test_language_crawl.py`` over HTTP, ``tests/e2e/
test_language_in_a_browser.py`` in Chromium)."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from support import PageClient

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
    return bare.islower() and any(c in bare for c in ".-")  # a code_with_underscores wants words


RUN = re.compile(r"[A-Za-z][A-Za-z'’\-.]*(?:[ \t]+[A-Za-z][A-Za-z'’\-.]*)*")
# Blocks no reader reads as words: scripts and styles, and records shown as they were stored or
# sent (``data-raw``: the audit trail's details as the service wrote them; a text message as it
# read on the person's handset, in the person's language).
BLOCKS = re.compile(
    r"<(script|style|template)\b.*?</\1>|<(code|q)\b[^>]*\bdata-raw\b[^>]*>.*?</\2>", re.S | re.I
)
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


DOUBLED = re.compile(r"([\u4e00-\u9fff]{2,}|[A-Za-z]{4,})\s*[:：]\s*\1", re.I)


def doubled(text: str) -> list[str]:
    """A label followed by a value that says it again ("渐退期: 渐退期（减半）")."""
    return [found.group(0) for found in DOUBLED.finditer(text)]


HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def untranslated(text: str, data: str) -> list[str]:
    """Runs of Chinese in an English page that are not the data shown (names, places, titles
    come as they were entered): those came from a catalog without its English."""
    return [run for run in HAN.findall(text) if run not in data and run not in ("中文",)]


def stored_text(engine: Engine) -> str:
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


def confirm_a_sanction(client, demo: dict[str, str]) -> None:
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


def report(capsys: Any, heading: str, found: Counter[str]) -> None:
    """What a crawl read and found, printed even when the suite captures output."""
    with capsys.disabled():
        print(f"\n{heading}, {len(found)} distinct runs, {sum(found.values())} in all")
        for run, count in found.most_common(25):
            print(f"  {count:4d}  {run}")
