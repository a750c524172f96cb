"""Every SMS template, rendered in each language with every status it can carry, reads in that
language only: no English wording in a Chinese text, no Chinese but the values in an English one
(the same checks as the pages' language crawls, ``tests/language.py``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from language import english_runs, untranslated

from notifications.templates import STATUS_WORDS, TEMPLATES, Param, render

VALUES = {  # a Chinese value for each kind of parameter: what a real text carries
    Param.TEXT: "定远县城南工业园区电子装配操作工",
    Param.MONEY: Decimal("2850.00"),
    Param.DATE: date(2026, 3, 12),
    Param.INT: 2,
    Param.CODES: ["K7Q2", "M3P9"],
}


def _params(key: str, status: str) -> dict[str, object]:
    return {
        name: status if kind is Param.STATUS else VALUES[kind]
        for name, kind in TEMPLATES[key].params
    }


CASES = [
    (key, status)
    for key, template in sorted(TEMPLATES.items())
    for status in (
        sorted(STATUS_WORDS) if any(k is Param.STATUS for _, k in template.params) else [""]
    )
]


@pytest.mark.parametrize(("key", "status"), CASES)
def test_a_chinese_text_holds_no_english(key: str, status: str) -> None:
    text = render(key, _params(key, status), "zh_CN").text
    assert not english_runs(text), text


@pytest.mark.parametrize(("key", "status"), CASES)
def test_an_english_text_holds_no_chinese_but_its_values(key: str, status: str) -> None:
    text = render(key, _params(key, status), "en").text
    assert not untranslated(text, VALUES[Param.TEXT]), text
    assert english_runs(text), text  # it is English at all
