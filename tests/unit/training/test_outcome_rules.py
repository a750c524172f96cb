"""Outcome reports in an impossible order are refused with every reason at once."""

from datetime import date
from decimal import Decimal

import pytest

from training.rules import CourseWindow, Kind, Outcome, Progress, apply_outcome, check_outcome

COURSE = CourseWindow(starts_on=date(2026, 3, 2), ends_on=date(2026, 4, 10), sessions_total=30)
TODAY = date(2026, 4, 20)
FRESH = Progress(enrolled_on=date(2026, 3, 1))
DONE = Progress(enrolled_on=date(2026, 3, 1), completed_on=date(2026, 4, 10))
JOB = {
    "employer": "华丰服装厂",
    "occupation": "6-05-01-03",
    "monthly_income": Decimal("2400.00"),
    "hours_per_week": 40,
}


def rules_broken(progress, kind, on, today=TODAY, **fields) -> set[tuple[str, str]]:
    outcome = Outcome(kind=Kind(kind), on=on, **fields)
    return {(p.field, p.rule) for p in check_outcome(progress, COURSE, outcome, today)}


def test_a_normal_course_runs_from_enrolment_to_placement() -> None:
    progress = FRESH
    steps = [
        ("attended", date(2026, 3, 20), {"sessions_attended": 12}),
        ("attended", date(2026, 4, 1), {"sessions_attended": 25}),
        ("completed", date(2026, 4, 10), {}),
        ("certified", date(2026, 4, 15), {"certificate_no": "FZ-2026-0042"}),
        ("placed", date(2026, 4, 18), JOB),
    ]
    for kind, on, fields in steps:
        outcome = Outcome(kind=Kind(kind), on=on, **fields)
        assert check_outcome(progress, COURSE, outcome, TODAY) == [], kind
        progress = apply_outcome(progress, outcome)
    assert progress.status == "placed"
    assert progress.sessions_attended == 25


def test_placed_before_enrolled() -> None:
    assert ("on", "sequence") in rules_broken(DONE, "placed", date(2026, 2, 28), **JOB)


def test_placed_before_completion() -> None:
    assert ("kind", "sequence") in rules_broken(FRESH, "placed", date(2026, 4, 1), **JOB)


def test_certified_without_completion() -> None:
    broken = rules_broken(FRESH, "certified", date(2026, 4, 12), certificate_no="X1")
    assert ("kind", "sequence") in broken


def test_certified_before_the_completion_day() -> None:
    assert ("on", "sequence") in rules_broken(
        DONE, "certified", date(2026, 4, 9), certificate_no="X1"
    )


@pytest.mark.parametrize(
    ("kind", "fields", "refused"),
    [
        ("enrolled", {}, False),
        ("attended", {"sessions_attended": 1}, True),
        ("dropped", {"reason": "找到工作"}, True),
        ("completed", {}, True),
    ],
)
def test_nothing_but_an_enrolment_before_the_course_starts(kind, fields, refused) -> None:
    broken = rules_broken(FRESH, kind, date(2026, 3, 1), today=date(2026, 3, 1), **fields)
    assert (("course_id", "course-started") in broken) is refused


@pytest.mark.parametrize(("sessions", "ok"), [(29, True), (30, True), (31, False)])
def test_attendance_cannot_exceed_the_course(sessions, ok) -> None:
    broken = rules_broken(FRESH, "attended", date(2026, 3, 20), sessions_attended=sessions)
    assert (("sessions_attended", "sessions") not in broken) is ok


def test_attendance_is_cumulative() -> None:
    seen = Progress(enrolled_on=date(2026, 3, 1), sessions_attended=10)
    assert ("sessions_attended", "sessions") in rules_broken(
        seen, "attended", date(2026, 3, 25), sessions_attended=9
    )


def test_missing_fields_and_future_days_are_all_listed() -> None:
    broken = rules_broken(DONE, "placed", date(2026, 4, 21))
    assert broken >= {
        ("employer", "required"),
        ("occupation", "required"),
        ("monthly_income", "required"),
        ("hours_per_week", "required"),
        ("on", "not-future"),
    }


def test_nothing_after_a_drop_out_and_no_milestone_twice() -> None:
    dropped = Progress(enrolled_on=date(2026, 3, 1), dropped_on=date(2026, 3, 10))
    assert ("kind", "sequence") in rules_broken(dropped, "completed", date(2026, 4, 10))
    assert ("kind", "once") in rules_broken(DONE, "completed", date(2026, 4, 11))
    assert ("kind", "sequence") in rules_broken(DONE, "dropped", date(2026, 4, 11), reason="x")
