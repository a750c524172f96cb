"""Scarce places: the allocation is optimal (proven against brute force), respects seats and
priorities, and says why to everyone."""

import itertools
import random

import pytest

from matching.allocation import Candidate, CoursePlaces, PriorityWeights, allocate_places

WEIGHTS = PriorityWeights(weight_4050=2, weight_long_unemployed=1)


def brute_force(candidates, courses, weights=WEIGHTS) -> tuple[int, int]:
    """The best (priority placed, wish strength met) over every possible assignment."""
    seats = {c.course_id: c.seats for c in courses}
    best = (0, 0)
    for choice in itertools.product(*[[None, *sorted(c.wishes)] for c in candidates]):
        if any(choice.count(course) > n for course, n in seats.items()):
            continue
        placed = [(c, x) for c, x in zip(candidates, choice, strict=True) if x is not None]
        value = (sum(weights.of(c) for c, _ in placed), sum(c.wishes[x] for c, x in placed))
        best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_optimal_against_brute_force_six_people_two_courses(seed) -> None:
    rng = random.Random(seed)
    courses = [CoursePlaces(10, rng.randint(0, 3)), CoursePlaces(11, rng.randint(0, 3))]
    candidates = [
        Candidate(
            member_id=i,
            wishes={c.course_id: rng.randint(1, 5) for c in courses if rng.random() < 0.75},
            is_4050=rng.random() < 0.3,
            long_unemployed=rng.random() < 0.3,
        )
        for i in range(6)
    ]
    result = allocate_places(candidates, courses, WEIGHTS)
    assert (result.priority_total, result.wish_total) == brute_force(candidates, courses)
    for course in courses:
        assert sum(p.course_id == course.course_id for p in result.placements) <= course.seats
    for person, placement in zip(candidates, result.placements, strict=True):
        assert placement.course_id is None or placement.course_id in person.wishes
        assert placement.reason


def test_twenty_seats_sixty_people_priority_groups_first() -> None:
    rng = random.Random(1)
    candidates = [
        Candidate(
            member_id=i,
            wishes={7: rng.randint(1, 5)},
            is_4050=i % 7 == 0,  # 9 people
            long_unemployed=i % 11 == 0,  # 6 people, one of them also 4050
        )
        for i in range(60)
    ]
    result = allocate_places(candidates, [CoursePlaces(7, 20)], WEIGHTS)
    placed = {p.member_id for p in result.placements if p.assigned}
    assert len(placed) == 20
    priority = {c.member_id for c in candidates if c.is_4050 or c.long_unemployed}
    assert len(priority) == 14
    assert priority <= placed  # every priority person gets a seat
    assert result.seats_left == {7: 0}
    # the remaining six seats go to the strongest wishes among the others
    others = sorted((c.wishes[7] for c in candidates if c.member_id not in priority), reverse=True)
    assert result.wish_total == sum(c.wishes[7] for c in candidates if c.member_id in placed)
    assert (
        sorted((c.wishes[7] for c in candidates if c.member_id in placed - priority), reverse=True)
        == others[:6]
    )
    left_out = next(p for p in result.placements if not p.assigned)
    assert "went to" in left_out.reason and "higher priority" in left_out.reason


def test_seat_limits_and_wishes_only() -> None:
    candidates = [
        Candidate(1, {1: 5, 2: 1}),
        Candidate(2, {1: 5}),
        Candidate(3, {}),
    ]
    result = allocate_places(candidates, [CoursePlaces(1, 1), CoursePlaces(2, 1)])
    assert result.course_of(1) == 2 and result.course_of(2) == 1  # both placed beats one
    assert result.course_of(3) is None
    assert result.placements[2].reason == "not placed: no course was wished for"


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown course 9"):
        allocate_places([Candidate(1, {9: 1})], [CoursePlaces(1, 1)])
    with pytest.raises(ValueError, match="wish strength 6"):
        allocate_places([Candidate(1, {1: 6})], [CoursePlaces(1, 1)])
    with pytest.raises(ValueError, match="listed twice"):
        allocate_places([Candidate(1, {}), Candidate(1, {})], [CoursePlaces(1, 1)])
    with pytest.raises(ValueError, match="negative seats"):
        allocate_places([], [CoursePlaces(1, -1)])
