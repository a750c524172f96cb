"""An entitlement's explanation lines written as English sentences before, read back by
migration 0014 into the same data the service keeps now."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from benefits.rules import EntitlementParams, assess_entitlement
from kernel.policy import load_profile
from support import migration_module


@pytest.fixture(scope="module")
def migration():
    return migration_module("0014_explanation_words.py")


@pytest.mark.parametrize(
    ("scheme", "category", "incomes"),
    [("urban", "C", ["100.00"]), ("urban", "A", ["0"]), ("rural", "C", ["50.00", "20.00"]),
     ("urban", "C", ["400.00"])],
)  # fmt: skip
def test_every_line_the_service_writes_is_read_back_into_its_data(
    migration, scheme, category, incomes
) -> None:
    params = load_profile("county-pilot").at(date(2026, 3, 1))
    ent = assess_entitlement(
        scheme=scheme,
        category=category,
        member_count=len(incomes),
        incomes=[Decimal(i) for i in incomes],
        params=EntitlementParams.from_policy(params, scheme),
    )
    written = plain(ent.explanation())
    for line in written["lines"]:
        if "said" in line:  # as a case kept it before 0014: the sentence alone
            assert plain(migration.line_said(line["text"])) == line["said"], line["text"]
    old = {
        **written,
        "lines": [{k: v for k, v in ln.items() if k != "said"} for ln in written["lines"]],
    }
    assert plain(migration.explanation_data(old)) == written


def plain(data):
    """A category's name is a catalog message now (``words`` in the profile); before 0014 the
    sentence held the name as text. Both read the same words, so a bare message without
    values compares as its text."""
    if isinstance(data, dict):
        if set(data) == {"m", "v"} and data["v"] == {}:
            return data["m"]
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def test_other_words_are_left_as_written(migration) -> None:
    assert migration.line_said("按人均收入补差") is None
    assert migration.line_said(None) is None
    assert migration.explanation_data({"lines": [{"item": "x", "value": "1", "text": "其他"}]}) == {
        "lines": [{"item": "x", "value": "1", "text": "其他"}]
    }


def test_every_category_of_every_profile_is_named_in_both_languages() -> None:
    """A category's name comes from the catalogs (``words`` in the profile), so a Chinese page
    never reads "一般困难 (general hardship)" and an English one never reads only 一般困难."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    from benefits.words import CATEGORY_WORDS
    from kernel.policy import load_profile
    from workbridge.pages.i18n import po_path

    with po_path("zh_CN").open("rb") as handle:
        zh = read_po(handle, locale="zh_CN")
    folder = Path(__file__).resolve().parents[3] / "kernel" / "policy_profiles"
    profiles = sorted(p.stem for p in folder.glob("*.toml"))
    assert profiles == ["county-pilot", "national-2014"]
    for name in profiles:
        book = load_profile(name)
        for version in book.versions:
            for scheme in ("urban", "rural"):
                for spec in version.raw(f"benefits.{scheme}.categories"):
                    assert spec["words"] in CATEGORY_WORDS, (name, spec)
                    assert zh[spec["words"]].string == spec["label"], (name, spec)
                    assert not any("a" <= ch.lower() <= "z" for ch in spec["label"]), spec
