"""Courses for a person (coal mining never for someone who cannot do heavy work) and the
priority groups for scarce places (4050, long-unemployed) at their boundaries."""

from dataclasses import replace
from datetime import date

import pytest

from matching.rules import CourseFacts, SeekerFacts, is_4050, is_long_unemployed, rank_courses

TODAY = date(2026, 3, 1)
PERSON = SeekerFacts(
    member_id=1, community="东街社区", training_wishes=("coal_mining", "electric_sewing")
)


def course(course_id: int, trade: str, demand: str, **extra) -> CourseFacts:
    values = {
        "course_id": course_id,
        "trade": trade,
        "title": trade,
        "physical_demand": demand,
        "starts_on": TODAY,
        "seats_left": 5,
        "community": "东街社区",
        **extra,
    }
    return CourseFacts(**values)


COURSES = [
    course(1, "coal_mining", "heavy", occupations=("6-16-01",)),
    course(2, "electric_sewing", "light", occupations=("6-05-01",)),
    course(3, "security", "medium", occupations=("4-07-05",)),
]


@pytest.mark.clause("matching", "safeguard-suitable")
@pytest.mark.parametrize(
    "limits",
    [
        {"work_capacity": "partial"},
        {"disability": "mild"},
        {"serious_illness": True},
        {"physical_limit": "no_heavy"},
        {"physical_limit": "light_only"},
    ],
)
def test_coal_mining_is_never_offered_to_someone_who_cannot_do_heavy_work(limits) -> None:
    offered = [m.course_id for m in rank_courses(replace(PERSON, **limits), COURSES, today=TODAY)]
    assert 1 not in offered
    assert 2 in offered


@pytest.mark.clause("matching")
def test_wished_courses_come_first_and_full_or_started_ones_are_left_out() -> None:
    ranked = rank_courses(PERSON, COURSES, today=TODAY)
    assert [m.course_id for m in ranked][:2] == [1, 2]  # both wished; coal mining: full capacity
    full = replace(COURSES[1], seats_left=0)
    started = replace(COURSES[2], starts_on=date(2026, 2, 28))
    assert rank_courses(PERSON, [full, started], today=TODAY) == []


@pytest.mark.clause("matching")
@pytest.mark.parametrize(
    ("sex", "birth", "lost_job", "expected"),
    [
        ("female", date(1986, 3, 2), True, False),  # 39 on 1 March 2026
        ("female", date(1986, 3, 1), True, True),  # 40 that day
        ("female", date(1970, 1, 1), False, False),  # did not lose a job
        ("male", date(1976, 3, 2), True, False),  # 49
        ("male", date(1976, 3, 1), True, True),  # 50
        ("male", date(1986, 3, 1), True, False),  # 40-year-old man is not 4050
    ],
)
def test_4050_boundaries(sex, birth, lost_job, expected) -> None:
    assert is_4050(sex, birth, lost_job, TODAY, female_min_age=40, male_min_age=50) is expected


@pytest.mark.clause("matching")
@pytest.mark.parametrize(
    ("since", "expected"),
    [(None, False), (date(2025, 3, 2), False), (date(2025, 3, 1), True), (date(2024, 1, 1), True)],
)
def test_long_unemployed_from_twelve_whole_months(since, expected) -> None:
    assert is_long_unemployed(since, TODAY, months=12) is expected
