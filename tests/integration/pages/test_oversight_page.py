"""The oversight page (issue 17) on the county of ``oversight_support``: the alerts, the
suppressed cell and the figures, in Chinese and in English; a month that is not YYYY-MM comes
back with its problem; only admins see it."""

from __future__ import annotations

from datetime import date

import pytest
from oversight_support import build, known_county, stop
from sqlmodel import Session

from support import signed_in

WORDS = {
    "zh_CN": {
        "title": "拒绝规则的监督",
        "female": "性别“女”：被停发的比例是总体的 1.2752 倍（高于 1.25）",
        "office": "北街社区 停发比例为 0.34，超过中位数 0.16 的 2.0 倍",
        "hidden": "不足 10 人：不显示",
        "forced": "1 次停发未经第二名工作人员确认",
    },
    "en": {
        "title": "Oversight of the refusal rule",
        "female": "sex female: stopped 1.2752 times as often as everyone (above 1.25)",
        "office": "北街社区 stops 0.34 of its people, more than 2.0 times the median of 0.16",
        "hidden": "fewer than 10 people: not shown",
        "forced": "1 cut(s) without a second officer&#39;s confirmation",
    },
}


@pytest.fixture
def county(engine) -> list[int]:
    ids = build(engine, known_county(), date(2026, 5, 1))
    with Session(engine) as session:
        forced = stop(ids[0], 1, date(2026, 5, 20), confirmed_by=None, confirmed_on=None)
        session.add(forced)
        session.commit()
    return ids


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_month_with_its_alerts(client, engine, county, language) -> None:
    words = WORDS[language]
    pages = signed_in(client, engine, f"o.{language}", "admin", language=language)
    page = pages.get("/app/oversight?month=2026-05")
    assert page.status_code == 200
    text = page.text
    for key in ("title", "female", "office", "hidden", "forced"):
        assert words[key] in text, key
    assert 'href="/app/sanctions/' in text  # the forced cut links to its sanction
    assert "<svg" in text


def test_a_bad_month_and_other_roles(client, engine, county) -> None:
    pages = signed_in(client, engine, "o.bad", "admin", language="en")
    page = pages.get("/app/oversight?month=2026-13")
    assert page.status_code == 422
    officer = signed_in(client, engine, "o.officer", "benefit_officer", language="en")
    assert officer.get("/app/oversight").status_code == 403
