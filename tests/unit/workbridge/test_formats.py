"""Months and phone numbers as people write them, in each language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from workbridge.pages.i18n import load_translators


@pytest.fixture(scope="module")
def t():
    return load_translators(ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("period", "chinese", "english"),
    [
        ("2026-12", "2026年12月", "Dec 2026"),
        ("2027-01", "2027年1月", "Jan 2027"),
        ("2026-13", "2026-13", "2026-13"),  # not a month: shown as stored
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_periods(t, period, chinese, english) -> None:
    assert t["zh_CN"].period(period) == chinese
    assert t["en"].period(period) == english


@pytest.mark.parametrize(
    ("stored", "chinese", "english"),
    [
        ("+8613993414184", "139 9341 4184", "+86 139 9341 4184"),
        ("+861399341418", "+861399341418", "+861399341418"),  # 10 digits: not a mobile
        ("+85291234567", "+85291234567", "+85291234567"),  # Hong Kong: as stored
        ("0550-4021234", "0550-4021234", "0550-4021234"),
        (None, "", ""),
    ],
)
def test_phones(t, stored, chinese, english) -> None:
    assert t["zh_CN"].phone(stored) == chinese
    assert t["en"].phone(stored) == english
