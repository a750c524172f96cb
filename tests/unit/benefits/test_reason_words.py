"""Reasons the service writes, read back from their English by migration 0009 into the data
they are now kept as; an officer's own words are left as they are."""

from __future__ import annotations

import pytest

from kernel.messages import as_data, say
from support import migration_module


@pytest.fixture(scope="module")
def migration():
    return migration_module("0009_reason_words.py")


@pytest.mark.parametrize(
    "written",
    [
        say(
            "approved: per-capita income %(income)s below the standard %(standard)s; "
            "category %(category)s",
            income="105.00",
            standard="150.00",
            category="C",
        ),
        say("re-review: amount reassessed to %(amount)s", amount="420.00"),
        say("re-review: amount unchanged"),
        say("re-review: per-capita income is no longer below the standard"),
    ],
)
def test_each_wording_is_read_back_into_its_facts(migration, written) -> None:
    assert migration.said_of(str(written)) == as_data(written)


@pytest.mark.parametrize("words", ["符合条件，同意", "", None, "approved by the panel"])
def test_other_words_are_left_as_written(migration, words) -> None:
    assert migration.said_of(words) is None
