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
    written = ent.explanation()
    for line in written["lines"]:
        if "said" in line:  # as a case kept it before 0014: the sentence alone
            assert migration.line_said(line["text"]) == line["said"], line["text"]
    old = {
        **written,
        "lines": [{k: v for k, v in ln.items() if k != "said"} for ln in written["lines"]],
    }
    assert migration.explanation_data(old) == written


def test_other_words_are_left_as_written(migration) -> None:
    assert migration.line_said("按人均收入补差") is None
    assert migration.line_said(None) is None
    assert migration.explanation_data({"lines": [{"item": "x", "value": "1", "text": "其他"}]}) == {
        "lines": [{"item": "x", "value": "1", "text": "其他"}]
    }
