"""Oversight's pure figures (activation/oversight/figures.py, alerts.py): what a month counts,
the interval, suppression, the office median and the limits' settings, at their boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from activation.oversight.alerts import Limits, pattern_alerts
from activation.oversight.figures import (
    OVERALL,
    AppealFacts,
    Cell,
    Person,
    StopFacts,
    count_month,
    figure,
    office_median,
    wilson,
)
from benefits.payment_rules import Month
from kernel.settings import Settings, SettingsError

MAY = Month(2026, 5)


def person(member_id: int, community: str = "东街社区", subject: bool = True) -> Person:
    return Person(member_id, {"community": community, "sex": "female"}, subject)


def stop(member_id: int, started: date | None, ended: date | None, state: str = "active"):
    return StopFacts(
        member_id, member_id, state, date(2026, 4, 1), None, None, None, started, ended
    )


@pytest.mark.parametrize(
    ("started", "ended", "under"),
    [
        (date(2026, 5, 31), None, 1),  # started on the last day
        (date(2026, 6, 1), None, 0),  # the day after
        (date(2026, 4, 16), date(2026, 5, 31), 0),  # ended on the last day: paid again
        (date(2026, 4, 16), date(2026, 6, 1), 1),  # ends the day after
        (None, None, 0),  # confirmed, not started
    ],
)
def test_under_a_stop_on_the_months_last_day(started, ended, under) -> None:
    cells = count_month(MAY, [person(1)], [stop(1, started, ended)], [], [])
    assert cells[OVERALL].counts["under_stop"] == under


def test_each_step_counts_in_the_month_it_happened() -> None:
    stops = [
        StopFacts(1, 1, "ended", date(2026, 5, 2), date(2026, 5, 6), "user:3:王审核", None,
                  date(2026, 5, 16), date(2026, 5, 31)),
        StopFacts(2, 2, "rejected", date(2026, 4, 30), None, None, date(2026, 5, 1), None, None),
    ]  # fmt: skip
    appeals = [
        AppealFacts(1, date(2026, 5, 20), date(2026, 5, 28), "upheld"),
        AppealFacts(2, date(2026, 4, 20), date(2026, 5, 3), "dismissed"),
        AppealFacts(2, date(2026, 5, 30), None, "lodged"),
    ]
    cells = count_month(MAY, [person(1), person(2)], stops, appeals, [1, 1])
    counts = cells[OVERALL].counts
    assert (counts["proposals"], counts["confirmations"], counts["rejections"]) == (1, 1, 1)
    assert (counts["stops_started"], counts["restorations"], counts["warnings"]) == (1, 1, 2)
    assert (counts["appeals_lodged"], counts["appeals_upheld"], counts["appeals_dismissed"]) == (
        2,
        1,
        1,
    )
    assert cells[OVERALL].durations == [15]
    assert cells[("officer", "王审核")].counts["confirmations"] == 1
    found = figure(cells[OVERALL], None, 0, 2)
    assert (found["reversal_at_review"], found["reversal_at_appeal"]) == (0.5, 0.5)


@pytest.mark.parametrize(("people", "shown"), [(9, False), (10, True), (11, True)])
def test_a_cell_below_the_minimum_is_suppressed(people: int, shown: bool) -> None:
    found = figure(Cell(), 0.2, 10, people)
    assert found["suppressed"] is not shown
    assert ("subject" in found) is shown


@pytest.mark.parametrize(
    ("part", "whole", "low", "high"),
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0),
     (42, 206, 0.1545, 0.2641)],
)  # fmt: skip
def test_the_wilson_interval(part, whole, low, high) -> None:
    found = wilson(part, whole)
    assert found is not None
    assert (round(found[0], 4), round(found[1], 4)) == (low, high)
    assert wilson(0, 0) is None


def test_the_office_median_counts_only_offices_with_enough_people() -> None:
    cells = {}
    for name, subject, under in (("a", 10, 1), ("b", 10, 2), ("c", 10, 3), ("d", 9, 9)):
        cell = Cell()
        cell.counts.update(subject=subject, under_stop=under)
        cells[("community", name)] = cell
    assert office_median(cells, "community", 10) == 0.2
    assert office_median(cells, "township", 10) == 0.0


@pytest.mark.parametrize(("upheld", "fires"), [(1, False), (2, True)])  # 1/5 = 20%: not above
def test_reversal_at_appeal_above_the_limit(upheld: int, fires: bool) -> None:
    cell = Cell()
    cell.counts.update(appeals_upheld=upheld, appeals_dismissed=5 - upheld)
    found = pattern_alerts({OVERALL: cell}, Limits())
    assert bool([a for a in found if a["alert"] == "appeal-reversal"]) is fires


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WORKBRIDGE_OVERSIGHT_MIN_CELL", "0"),
        ("WORKBRIDGE_OVERSIGHT_MIN_CELL", "ten"),
        ("WORKBRIDGE_OVERSIGHT_RATIO_HIGH", "0.9"),
        ("WORKBRIDGE_OVERSIGHT_RATIO_LOW", "1.5"),
        ("WORKBRIDGE_OVERSIGHT_OFFICE_MULTIPLE", "0.5"),
        ("WORKBRIDGE_OVERSIGHT_APPEAL_REVERSAL", "2"),
    ],
)
def test_limits_that_make_no_sense_stop_the_service(name: str, value: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({name: value})


def test_the_limits_come_from_the_settings() -> None:
    settings = Settings.from_env(
        {"WORKBRIDGE_OVERSIGHT_MIN_CELL": "5", "WORKBRIDGE_OVERSIGHT_RATIO_HIGH": "1.5"}
    )
    limits = Limits.from_settings(settings)
    assert (limits.min_cell, limits.ratio_high, limits.ratio_low) == (5, 1.5, 0.8)


def test_a_person_under_two_stops_at_once_is_one_person_under_a_stop() -> None:
    stops = [stop(1, date(2026, 5, 1), None), stop(1, date(2026, 5, 20), None)]
    counts = count_month(MAY, [person(1)], stops, [], [])[OVERALL].counts
    assert (counts["under_stop"], counts["stops_started"]) == (1, 2)
