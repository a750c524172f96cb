"""Keep the catalogs in step with the pages: extract every message the templates and the page
modules use, and add what is missing to both ``.po`` files.

``python -m workbridge.pages.catalog`` updates the catalogs (English gets the message itself;
Chinese gets an empty translation to fill in). The test suite fails while any message lacks a
translation in either catalog.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from kernel.messages import SCHEMA_MESSAGES
from kernel.pages import LANGUAGES
from workbridge.pages.i18n import LOCALE_DIR, po_path

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE_DIRS = [
    ROOT / "workbridge" / "pages" / "templates",
    ROOT / "activation" / "templates",
    ROOT / "benefits" / "templates",
    ROOT / "training" / "templates",
]
PAGE_MODULES = [
    ROOT / "activation" / "pages.py",
    ROOT / "benefits" / "pages.py",
    ROOT / "benefits" / "intake.py",
    ROOT / "training" / "pages.py",
    *sorted((ROOT / "workbridge" / "pages").glob("*.py")),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# What services say (kernel.messages): a problem's message, ``say`` and ``N_``. A message built
# with an f-string cannot be found here (babel warns), and stays in English until it is a
# ``say`` with values.
CONTEXTS = ["kernel", "benefits", "matching", "training", "notifications", "activation"]
SERVICE_KEYWORDS = {"Problem": (3,), "Check": (3,), "say": None, "N_": None}


def service_modules() -> list[Path]:
    # SMS texts have catalogs of their own (notifications/locale).
    skip = {*PAGE_MODULES, ROOT / "notifications" / "templates.py"}
    found = [p for c in CONTEXTS for p in sorted((ROOT / c).rglob("*.py")) if p not in skip]
    commands = sorted((ROOT / "workbridge").glob("cli*.py"))  # what the commands say
    return [*found, ROOT / "workbridge" / "app.py", ROOT / "workbridge" / "metrics.py", *commands]


def _messages(
    path: Path, method: str, keywords: dict[str, Any] = KEYWORDS
) -> Iterator[tuple[str | tuple[str, ...], str]]:
    with contextlib.redirect_stderr(io.StringIO()):  # its f-string warnings: SERVICE_KEYWORDS
        extracted = list(
            extract_from_file(
                method, str(path), keywords=keywords, comment_tags=(), strip_comment_tags=True
            )
        )
    for lineno, message, _comments, _context in extracted:
        yield message, f"{path.relative_to(ROOT)}:{lineno}"


def extract() -> dict[str | tuple[str, ...], list[str]]:
    """msgid (or singular/plural pair) → where it is used."""
    found: dict[str | tuple[str, ...], list[str]] = {}
    for folder in TEMPLATE_DIRS:
        for template in sorted(folder.rglob("*.html")):
            for message, where in _messages(template, "jinja2.ext:babel_extract"):
                found.setdefault(message, []).append(where)
    for module in PAGE_MODULES:
        for message, where in _messages(
            module, "python", {**KEYWORDS, "Problem": (3,), "say": None}
        ):
            found.setdefault(message, []).append(where)
    for module in service_modules():
        for message, where in _messages(module, "python", SERVICE_KEYWORDS):
            found.setdefault(message, []).append(where)
    for message in SCHEMA_MESSAGES:
        found.setdefault(message, []).append("kernel/messages.py:0")
    return {m: w for m, w in found.items() if m and (isinstance(m, str) or all(m))}


def read_catalog(language: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    with po_path(language, locale_dir).open("rb") as handle:
        return read_po(handle, locale=language)


def update(locale_dir: Path = LOCALE_DIR) -> dict[str, int]:
    """Add missing messages to every catalog and drop those nothing uses any more (a reworded
    message leaves its old wording behind otherwise); returns how many were added."""
    messages = extract()
    keys = {m[0] if isinstance(m, tuple) else m for m in messages}
    added = {}
    for language in LANGUAGES:
        catalog = read_catalog(language, locale_dir)
        for stale in [
            m.id
            for m in catalog
            if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in keys
        ]:
            del catalog[stale]
        count = 0
        for message, where in messages.items():
            key = message[0] if isinstance(message, tuple) else message
            if catalog.get(key) is not None:
                continue
            if language == "en":
                string: str | tuple[str, ...] = message
            else:
                string = ("", "") if isinstance(message, tuple) else ""
            catalog.add(
                message, string, locations=[(w.split(":")[0], int(w.split(":")[1])) for w in where]
            )
            count += 1
        with po_path(language, locale_dir).open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
        added[language] = count
    return added


if __name__ == "__main__":
    print(update())
