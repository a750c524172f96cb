"""Reading a reform (activation/replay/reform.py): parameters that exist, values of their kind,
only what the replay can follow; every problem listed."""

from datetime import date

import pytest

from activation.replay.reform import REPLAYABLE, Reform, ReformedBook, parse_range, parse_reform
from kernel.policy import load_profile

BOOK = load_profile("county-pilot")


@pytest.mark.parametrize(
    ("assignment", "value"),
    [
        ("continuation.months=1", 1),
        ("continuation.months=12", 12),
        ("continuation.income_threshold=0", "0"),
        ("continuation.income_threshold=1000.50", "1000.50"),
        ("continuation.fraction_at_or_above_threshold=0.25", "0.25"),
        ("continuation.month_basis=days", "days"),
        ("continuation.taper_end=", ""),
        ("continuation.taper_end=1200", "1200"),
        ("continuation.follow_income_changes=false", False),
        ("activation.refusal.threshold=3", 3),
        ("activation.refusal.window_months=6", 6),
        ("activation.refusal.consecutive_only=true", True),
        ("activation.sanction.scope=member_share", "member_share"),
        ("activation.sanction.scope=household", "household"),
        (" continuation.months = 9 ", 9),
        ("benefits.urban.standard=180", "180"),
        ("benefits.rural.standard=0", "0"),
        ("benefits.urban.categories.B.factor=1.5", "1.5"),
        ("benefits.urban.categories.C.factor=0", "0"),
        ("benefits.rural.categories.C.amount=85.50", "85.50"),
        ("reentry.window_months=6", 6),
    ],
)
def test_accepted(assignment: str, value) -> None:
    reform, problems = parse_reform([assignment], BOOK)
    assert problems == []
    assert list(reform.changes.values()) == [value]


@pytest.mark.parametrize(
    ("assignment", "rule"),
    [
        ("continuation.months=0", "reform-value"),
        ("continuation.months=-3", "reform-value"),
        ("continuation.months=6.5", "reform-value"),
        ("continuation.income_threshold=-0.01", "reform-value"),
        ("continuation.income_threshold=lots", "reform-value"),
        ("continuation.month_basis=weeks", "reform-value"),
        ("continuation.taper_end=soon", "reform-value"),
        ("continuation.follow_income_changes=maybe", "reform-value"),
        ("continuation.nothing=1", "reform-unknown-parameter"),
        ("benefits.rounding.mode=ROUND_DOWN", "reform-not-replayable"),
        ("benefits.urban.standard=-1", "reform-value"),
        ("benefits.urban.standard=many", "reform-value"),
        ("benefits.urban.categories.D.factor=1.2", "reform-unknown-parameter"),
        ("benefits.urban.categories.A.factor=1.2", "reform-value"),  # A pays the standard
        ("benefits.urban.categories.B.amount=100", "reform-value"),  # B is a gap category
        ("benefits.rural.categories.B.factor=1.2", "reform-value"),  # rural B is fixed
        ("benefits.urban.categories.C.factor=-0.5", "reform-value"),
        ("benefits.urban.categories.C.factor=half", "reform-value"),
        ("benefits.urban.categories.C.weight=2", "reform-unknown-parameter"),
        ("reentry.window_months=0", "reform-value"),
        ("reentry.decision_working_days=3", "reform-not-replayable"),
        ("activation.sanction.scope=everyone", "reform-value"),
        ("activation.refusal.threshold=0", "reform-value"),
        ("continuation.months", "reform-format"),
        ("=3", "reform-format"),
    ],
)
def test_refused(assignment: str, rule: str) -> None:
    reform, problems = parse_reform([assignment], BOOK)
    assert [p.rule for p in problems] == [rule]
    assert reform.is_empty


def test_every_problem_is_listed_and_a_repeat_is_one() -> None:
    _, problems = parse_reform(
        ["continuation.months=12", "continuation.months=9", "x=1", "continuation.months=0"], BOOK
    )
    assert [(p.field, p.rule) for p in problems] == [
        ("set.continuation.months", "reform-repeated"),
        ("set.x", "reform-unknown-parameter"),
        ("set.continuation.months", "reform-repeated"),
    ]


def test_every_replayable_parameter_exists_in_the_profiles() -> None:
    for name in ("county-pilot", "national-2014"):
        latest = load_profile(name).versions[-1]
        assert set(REPLAYABLE) <= set(latest.params), name


def test_the_reformed_book_changes_every_version_and_says_so() -> None:
    book = ReformedBook(BOOK, Reform({"continuation.months": 12}))
    for version in BOOK.versions:
        reformed = book.at(version.effective_from)
        assert reformed.int("continuation.months") == 12
        assert reformed.version_id == f"{version.version_id}+reform"
        assert reformed.text("benefits.rounding.mode") == version.text("benefits.rounding.mode")
    untouched = ReformedBook(BOOK, Reform({}))
    factor = ReformedBook(BOOK, Reform({"benefits.urban.categories.B.factor": "1.5"}))
    categories = factor.at(date(2026, 6, 1)).raw("benefits.urban.categories")
    before = BOOK.at(date(2026, 6, 1)).raw("benefits.urban.categories")
    assert [c.get("factor") for c in categories] == [None, "1.5", "1"]
    assert [{**c, "factor": None} for c in categories] == [{**c, "factor": None} for c in before]
    assert untouched.at(date(2026, 6, 1)) is BOOK.at(date(2026, 6, 1))


@pytest.mark.parametrize(
    ("start", "end", "rules"),
    [
        ("2026-01", "2026-12", []),
        ("2026-05", "2026-05", []),
        ("2026-06", "2026-05", ["date-order"]),
        ("2026-13", "2026-x", ["period-format", "period-format"]),
    ],
)
def test_the_range(start: str, end: str, rules: list[str]) -> None:
    months, problems = parse_range(start, end)
    assert [p.rule for p in problems] == rules
    assert (months is None) == bool(rules)
