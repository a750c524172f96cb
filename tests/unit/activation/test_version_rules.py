"""A proposed parameter version's checks (issue 16, change control): its day, its values typed
like the parameters they change, and the service's readers run on the candidate version."""

from __future__ import annotations

from datetime import date

import pytest

from activation.replay.version_rules import (
    ChangeAsk,
    VersionAsk,
    category_changes,
    check_version,
    not_replayed,
    preceding,
    replayable_changes,
    typed_value,
)
from kernel.policy import load_profile, parse_profile

TODAY = date(2026, 10, 20)
BOOK = load_profile("county-pilot")


def ask(starts: str = "2026-11-01", *changes: tuple[str, str]) -> VersionAsk:
    return VersionAsk(
        version="2026.11",
        effective_from=starts,
        note="why",
        changes=tuple(ChangeAsk(key, value, "basis") for key, value in changes)
        or (ChangeAsk("activation.refusal.threshold", "3", "basis"),),
    )


def rules_of(problems) -> list[str]:
    return [p.rule for p in problems]


@pytest.mark.parametrize(
    ("starts", "rules"),
    [
        ("2026-10-19", ["version-not-ahead"]),
        ("2026-10-20", ["version-not-ahead"]),  # the day of sign-off itself
        ("2026-10-21", []),  # the day after: the earliest
        ("2027-01-01", []),
        ("2026-13-01", ["date-format"]),
        ("", ["date-format"]),
    ],
)
def test_a_version_starts_after_the_day_it_is_signed_off(starts: str, rules: list[str]) -> None:
    _, problems = check_version(ask(starts), BOOK, TODAY, set())
    assert rules_of(problems) == rules


def later_book():
    """The shipped profile with a version from 2026-12-01 (as if one went live)."""
    from kernel.policy import load_document

    document = load_document("county-pilot")
    entry = {
        "id": "2026.12",
        "effective_from": date(2026, 12, 1),
        "params": {"activation.refusal.threshold": {"value": 3, "basis": "b"}},
    }
    return parse_profile({**document, "version": [*document["version"], entry]})


@pytest.mark.parametrize(
    ("starts", "rules"),
    [
        ("2026-11-30", ["version-before-last"]),
        ("2026-12-01", ["version-before-last"]),
        ("2026-12-02", []),
    ],
)
def test_a_version_starts_after_the_last_one(starts: str, rules: list[str]) -> None:
    book = later_book()
    _, problems = check_version(ask(starts, ("continuation.months", "9")), book, TODAY, set())
    assert rules_of(problems) == rules


def test_a_change_is_compared_with_the_latest_version_not_the_first() -> None:
    _, problems = check_version(
        ask("2027-01-01", ("activation.refusal.threshold", "3")), later_book(), TODAY, set()
    )
    assert rules_of(problems) == ["version-value"]  # 3 already, since 2026-12-01


@pytest.mark.parametrize(
    ("raw", "current", "value", "ok"),
    [
        ("true", False, True, True),
        ("FALSE", True, False, True),
        ("yes", True, None, False),
        ("0", 2, 0, True),
        ("12", 2, 12, True),
        ("-1", 2, None, False),
        ("2.5", 2, None, False),
        ("1234567890", 2, None, False),  # ten digits: beyond any count the rules hold
        ("0", "800", "0", True),
        ("799.99", "800", "799.99", True),
        ("-0.01", "800", None, False),
        ("NaN", "800", None, False),
        ("lots", "800", None, False),
        ('[{"code": "A", "label": "x"}]', [{"code": "B", "label": "y"}], None, True),
        ('[{"code": "A"}]', [{"code": "B", "label": "y"}], None, False),
        ('{"code": "A"}', [{"code": "B"}], None, False),
        ("[", [{"code": "B"}], None, False),
    ],
)
def test_a_value_is_typed_like_the_parameter_it_changes(raw, current, value, ok) -> None:
    typed, problem = typed_value("some.key", raw, current)
    assert (problem is None) is ok
    if ok and value is not None:
        assert typed == value and type(typed) is type(value)


def test_a_word_with_choices_must_be_one_of_them() -> None:
    assert typed_value("continuation.month_basis", "days", "calendar")[1] is None
    assert typed_value("continuation.month_basis", "weeks", "calendar")[1] is not None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("benefits.rounding.mode", "ROUND_SOMETIMES"),
        ("benefits.rounding.quantum", "0"),
        (
            "benefits.urban.categories",
            '[{"code": "B", "method": "gap", "factor": "lots", "label": "l", "words": "w"}]',
        ),
        (
            "benefits.urban.categories",
            '[{"code": "B", "method": "halving", "factor": "1", "label": "l", "words": "w"}]',
        ),
    ],
)
def test_a_version_the_services_readers_cannot_read_is_refused(key: str, value: str) -> None:
    _, problems = check_version(ask("2026-11-01", (key, value)), BOOK, TODAY, set())
    assert rules_of(problems) == ["version-unreadable"]


def test_the_replay_follows_the_changes_it_can_and_lists_the_others() -> None:
    changes = {
        "activation.refusal.threshold": {"value": 3, "basis": "b"},
        "continuation.follow_income_changes": {"value": False, "basis": "b"},
        "continuation.income_threshold": {"value": "900", "basis": "b"},
        "benefits.public_notice.days": {"value": 5, "basis": "b"},
    }
    assert replayable_changes(changes) == [
        "activation.refusal.threshold=3",
        "continuation.follow_income_changes=false",
        "continuation.income_threshold=900",
    ]
    assert not_replayed(changes) == ["benefits.public_notice.days"]


def test_a_checked_version_keeps_each_change_with_its_basis() -> None:
    checked, problems = check_version(
        ask("2026-11-01", ("continuation.months", "9"), ("benefits.public_notice.days", "5")),
        BOOK,
        TODAY,
        {"2020.1"},
    )
    assert problems == [] and checked is not None
    assert checked.changes == {
        "continuation.months": {"value": 9, "basis": "basis"},
        "benefits.public_notice.days": {"value": 5, "basis": "basis"},
    }
    assert checked.effective_from == date(2026, 11, 1)


def _categories(scheme: str, **moved: dict) -> list[dict]:
    """The county's categories of ``scheme`` in force before 1 November, some fields moved."""
    from copy import deepcopy

    listed = deepcopy(preceding(BOOK, date(2026, 11, 1))[f"benefits.{scheme}.categories"])
    for category in listed:
        category.update(moved.get(category["code"], {}))
    return listed


@pytest.mark.parametrize(
    ("scheme", "moved", "followed"),
    [
        ("urban", {}, []),  # the same list: nothing to follow, nothing refused
        ("urban", {"C": {"factor": "1.00"}}, []),  # 1 and 1.00 are one factor
        ("urban", {"C": {"factor": "1.2"}}, ["benefits.urban.categories.C.factor=1.2"]),
        (
            "urban",
            {"B": {"factor": "1.5"}, "C": {"factor": "0.9"}},
            ["benefits.urban.categories.B.factor=1.5", "benefits.urban.categories.C.factor=0.9"],
        ),
        ("rural", {"C": {"amount": "80.00"}}, ["benefits.rural.categories.C.amount=80.00"]),
        ("urban", {"C": {"label": "一般"}}, None),  # renamed: more than a number
        ("urban", {"C": {"method": "standard"}}, None),  # another method
        ("rural", {"C": {"factor": "1"}}, None),  # a fixed amount given a factor
    ],
)
def test_a_categories_list_is_followed_where_only_its_numbers_move(
    scheme: str, moved: dict, followed: list[str] | None
) -> None:
    key = f"benefits.{scheme}.categories"
    before = preceding(BOOK, date(2026, 11, 1))
    changes = {key: {"value": _categories(scheme, **moved), "basis": "b"}}
    assert category_changes(key, changes[key]["value"], before[key]) == followed
    assert replayable_changes(changes, before) == (followed or [])
    assert not_replayed(changes, before) == ([] if followed is not None else [key])
    assert not_replayed(changes) == [key]  # without what it changes, nothing can be followed


def test_a_category_added_or_dropped_is_not_followed() -> None:
    before = preceding(BOOK, date(2026, 11, 1))
    listed = _categories("urban")
    added = [*listed, {**listed[-1], "code": "D"}]
    assert (
        category_changes("benefits.urban.categories", added, before["benefits.urban.categories"])
        is None
    )
    assert (
        category_changes(
            "benefits.urban.categories", listed[:-1], before["benefits.urban.categories"]
        )
        is None
    )
    assert preceding(BOOK, date(1990, 1, 1)) == {}  # before the book's first version
