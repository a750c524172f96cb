"""Every string the pages show comes from both catalogs, translated, with the same
placeholders; and the catalogs compile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from kernel.pages import LANGUAGES
from workbridge.pages.catalog import extract, read_catalog
from workbridge.pages.i18n import compiled_catalog

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def used() -> dict:
    return extract()


@pytest.fixture(scope="module", params=LANGUAGES)
def catalog(request: pytest.FixtureRequest) -> Catalog:
    return read_catalog(request.param)


def test_the_extractor_sees_templates_and_page_modules(used: dict) -> None:
    where = {w.split(":")[0] for places in used.values() for w in places}
    assert any(w.endswith("person.html") for w in where)
    assert any(w.endswith("workbridge/pages/account.py") for w in where)
    assert any(w.endswith("activation/words.py") for w in where)  # codes named by a service
    assert "Sign in" in used and "Refusal counted" in used
    assert "the file is empty" in used  # a problem a service reports (kernel.tabular)
    assert "no %(kind)s %(id)s" in used and "must be at least %(n)s" in used
    assert len(used) > 300


def test_every_message_is_translated_in_every_catalog(used: dict, catalog: Catalog) -> None:
    missing, empty = [], []
    for message in used:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None:
            missing.append(key)
        elif entry.fuzzy or not (
            entry.string if isinstance(entry.string, str) else all(entry.string)
        ):
            empty.append(key)
    assert not missing, f"{catalog.locale}: not in the catalog: {missing}"
    assert not empty, f"{catalog.locale}: no translation for: {empty}"


def test_translations_keep_the_placeholders(catalog: Catalog) -> None:
    wrong = []
    for entry in catalog:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        expected = set(PLACEHOLDER.findall(ids[0]))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) != expected:
                wrong.append((entry.id, text))
    assert not wrong, wrong


def test_the_catalogs_compile_in_memory_and_write_nothing(tmp_path: Path) -> None:
    import shutil

    from workbridge.pages.i18n import LOCALE_DIR

    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    before = sorted(p.relative_to(copy) for p in copy.rglob("*"))
    for language in LANGUAGES:
        catalog = compiled_catalog(language, copy)
        assert catalog.gettext("Start") == {"zh_CN": "开始", "en": "Start"}[language]
    # Workers starting together once read each other's half-written .mo files.
    assert sorted(p.relative_to(copy) for p in copy.rglob("*")) == before


def test_problems_are_catalog_messages_not_sentences_built_in_english() -> None:
    """A problem's message is a literal catalog message or ``say`` with one: an f-string would
    reach readers in English whatever their language (and on Python 3.12+ its inner literals
    would be read as messages)."""
    import ast

    from workbridge.pages.catalog import PAGE_MODULES, service_modules

    built = []
    for path in [*service_modules(), *PAGE_MODULES]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "Problem" and len(node.args) >= 3:
                message = node.args[2]
            elif node.func.id == "say" and node.args:
                message = node.args[0]
            else:
                continue
            if isinstance(message, ast.JoinedStr | ast.BinOp):
                built.append(f"{path.name}:{node.lineno}")
    assert not built, f"messages built as English sentences: {built}"
