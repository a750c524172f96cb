"""The written warning as data: both catalogs, and the migration that reads warnings already
written back into their facts."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from activation.rules import RefusalCount, warning_text
from kernel.messages import as_data, from_data, render
from support import migration_module
from workbridge.pages.i18n import load_translators


@pytest.fixture(scope="module")
def migration():
    return migration_module("0008_warning_words.py")


@pytest.fixture(scope="module")
def chinese():
    return load_translators(ZoneInfo("Asia/Shanghai"))["zh_CN"].gettext


def count(n: int, threshold: int, in_a_row: bool) -> RefusalCount:
    return RefusalCount(n, threshold, date(2026, 5, 1), in_a_row, (), "warning", "pilot@1")


@pytest.mark.parametrize(
    ("refusals", "threshold", "in_a_row", "scope", "english", "chinese_part"),
    [
        (1, 2, False, "household", "If 1 more is declined without", "如再无正当理由拒绝 1 个"),
        (
            1,
            3,
            True,
            "member_share",
            "If 2 more are declined in a row",
            "如再连续无正当理由拒绝 2 个",
        ),
        (2, 3, True, "household", "If 1 more is declined in a row", "您家的低保金可能被停发"),
        (1, 3, False, "member_share", "If 2 more are declined without", "您本人份额的低保金"),
    ],
)
def test_each_wording_in_both_languages_and_read_back_by_the_migration(
    migration, chinese, refusals, threshold, in_a_row, scope, english, chinese_part
) -> None:
    written = warning_text(count(refusals, threshold, in_a_row), scope)
    assert english in str(written)
    assert chinese_part in render(written, chinese)
    assert migration.said_of(str(written)) == as_data(written)
    assert render(from_data(migration.said_of(str(written))), chinese) == render(written, chinese)


def test_a_text_in_another_wording_is_left_as_written(migration) -> None:
    assert migration.said_of("Written warning: call the office.") is None


def test_the_registration_warning_is_read_back_too(migration) -> None:
    from kernel.messages import say

    written = say(
        "Written warning: you must register as a job seeker at your community or "
        "township labour office (report 4 §五4); the deadline was %(deadline)s. "
        "(%(version)s)",
        deadline="2026-03-01",
        version="county-pilot@2020.1",
    )
    assert migration.said_of(str(written)) == as_data(written)
