"""A suitability check keeps its reason as data, shown in the reader's language; records made
before that show their English sentence."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from kernel.messages import answering_in, say
from matching.rules import Check, word
from matching.views import check_out
from workbridge.pages.i18n import load_translators


@pytest.fixture(scope="module")
def chinese():
    return load_translators(ZoneInfo("Asia/Shanghai"))["zh_CN"].gettext


def test_a_stored_check_is_shown_in_chinese_and_keeps_its_english_record(chinese) -> None:
    check = Check(
        "shift",
        False,
        say(
            "%(shift)s shift; the person is available for: %(available)s",
            shift=word("night"),
            available=[word("day"), word("evening")],
        ),
    )
    stored = check.as_dict()
    assert stored["reason"] == "night shift; the person is available for: day; evening"
    with answering_in(chinese):
        shown = check_out(stored)
    assert shown.reason == "夜班；本人可上：白班；中班"
    assert check_out(stored).reason == stored["reason"]  # outside a request: English


def test_a_record_from_before_is_shown_as_it_was_written(chinese) -> None:
    old = {"name": "commute", "passed": True, "reason": "about 2.0 km away, within 5 km"}
    with answering_in(chinese):
        assert check_out(old).reason == "about 2.0 km away, within 5 km"


def test_an_unknown_code_is_shown_as_itself() -> None:
    assert str(word("split_shift")) == "split_shift"
