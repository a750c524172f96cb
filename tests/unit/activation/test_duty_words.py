"""Why a person must (or need not) register, in the reader's words: the same facts, both
catalogs; the English record kept with decisions is unchanged."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from activation.rules import Duty
from kernel.messages import render
from workbridge.pages.i18n import load_translators


@pytest.fixture(scope="module")
def words():
    translators = load_translators(ZoneInfo("Asia/Shanghai"))
    return {lang: t.gettext for lang, t in translators.items()}


def duty(rule: str, *, age: int = 39, limit: int = 48, exemptions: tuple[str, ...] = ()) -> Duty:
    return Duty(rule == "must-register", rule, "kept", age, limit, exemptions, "v1")


@pytest.mark.parametrize(
    ("rule", "extra", "chinese", "english"),
    [
        (
            "must-register",
            {},
            "39 岁，未满该性别的 48 岁，有劳动能力且不属豁免情形",
            "aged 39, under 48",
        ),
        (
            "below-working-age",
            {"age": 15},
            "15 岁，未满劳动年龄 16 岁",
            "aged 15, below working age 16",
        ),
        (
            "above-age-threshold",
            {"age": 48},
            "48 岁；该性别的登记义务适用于 48 岁以下人员",
            "aged 48;",
        ),
        ("no-work-capacity", {}, "登记为无劳动能力", "recorded as without work capacity"),
        (
            "exempt",
            {"exemptions": ("carer", "student")},
            "豁免：全职照料家人；全日制在校学生",
            "exempt: full-time carer; full-time student",
        ),
    ],
)
def test_each_rule_explains_itself_in_both_languages(words, rule, extra, chinese, english) -> None:
    explained = duty(rule, **extra).explained
    assert render(explained, words["zh_CN"]).startswith(chinese)
    assert render(explained, words["en"]).startswith(english)
    assert duty(rule, **extra).reason == "kept"  # the stored English record is not touched


def test_an_exemption_without_words_is_shown_by_its_code(words) -> None:
    text = render(duty("exempt", exemptions=("new_rule",)).explained, words["zh_CN"])
    assert text == "豁免：new_rule"


def test_the_real_rule_gives_the_facts_the_words_use() -> None:
    from activation.rules import PersonFacts, registration_duty
    from kernel.policy import load_profile

    book = load_profile("county-pilot")
    on = date(2026, 3, 1)
    params = book.at(on)
    person = PersonFacts(
        sex="female",
        birth_date=date(1990, 1, 1),
        work_capacity="full",
        serious_illness=False,
        disability="none",
        carer=False,
        pregnant=False,
        student=False,
        three_nos=False,
    )
    found = registration_duty(person, on, params)
    assert found.obligated and found.rule == "must-register"
    assert str(found.explained).startswith(f"aged 36, under {found.age_limit} for this sex")
