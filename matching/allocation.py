"""Allocating scarce places: a course with 20 seats and 60 interested people.

First come, first served rewards whoever heard first. Instead the places go to the assignment
that is best for the group, proven optimal by an integer program (scipy's HiGHS ``milp``):

1. maximise the priority placed: each placed person counts 1, plus the weight of each
   priority they hold — 4050 people (POLICY.md glossary: women from 40 and men from 50 who
   lost their jobs) and the long-unemployed — parameters matching.allocation.weight_*;
2. among those assignments, maximise the strength of the wishes met (report 4 §五1: 要根据个人
   意愿, by the person's own wishes).

Every person may take at most one place and only on a course they wished for; no course gets
more people than seats. Callers pass only suitable courses (``rules.rank_courses``), so a
place is never given on a course the person cannot safely do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from kernel.policy import ParameterSet

MAX_WISH = 5


@dataclass(frozen=True)
class Candidate:
    member_id: int
    wishes: Mapping[int, int]  # course id → wish strength, 1 (weak) … 5 (strongest)
    is_4050: bool = False
    long_unemployed: bool = False


@dataclass(frozen=True)
class CoursePlaces:
    course_id: int
    seats: int


@dataclass(frozen=True)
class PriorityWeights:
    weight_4050: int = 2
    weight_long_unemployed: int = 1

    @classmethod
    def from_policy(cls, params: ParameterSet) -> PriorityWeights:
        return cls(
            weight_4050=params.int("matching.allocation.weight_4050"),
            weight_long_unemployed=params.int("matching.allocation.weight_long_unemployed"),
        )

    def of(self, candidate: Candidate) -> int:
        """A placed person's value: 1, plus the weight of each priority held."""
        return (
            1
            + self.weight_4050 * candidate.is_4050
            + self.weight_long_unemployed * candidate.long_unemployed
        )


@dataclass(frozen=True)
class Placement:
    member_id: int
    course_id: int | None
    priority: int
    wish_strength: int | None
    reason: str

    @property
    def assigned(self) -> bool:
        return self.course_id is not None


@dataclass(frozen=True)
class Allocation:
    placements: tuple[Placement, ...]
    priority_total: int
    wish_total: int
    seats_left: Mapping[int, int] = field(default_factory=dict)

    def course_of(self, member_id: int) -> int | None:
        return next(p.course_id for p in self.placements if p.member_id == member_id)


def _validate(candidates: Sequence[Candidate], courses: Sequence[CoursePlaces]) -> None:
    problems = []
    seen: set[int] = set()
    known = {c.course_id for c in courses}
    if len(known) != len(courses):
        problems.append("a course is listed twice")
    problems += [f"course {c.course_id} has negative seats" for c in courses if c.seats < 0]
    for person in candidates:
        if person.member_id in seen:
            problems.append(f"member {person.member_id} is listed twice")
        seen.add(person.member_id)
        for course_id, strength in person.wishes.items():
            if course_id not in known:
                problems.append(f"member {person.member_id} wishes for unknown course {course_id}")
            if not 1 <= strength <= MAX_WISH:
                problems.append(
                    f"member {person.member_id}: wish strength {strength} is not 1-{MAX_WISH}"
                )
    if problems:
        raise ValueError("; ".join(problems))


def _solve(
    objective: np.ndarray,
    constraints: list[LinearConstraint],
) -> np.ndarray:
    result = milp(
        c=-objective,  # milp minimises
        constraints=constraints,
        integrality=np.ones(len(objective)),
        bounds=Bounds(0, 1),
    )
    if not result.success:  # the zero assignment is always feasible, so this is a solver fault
        raise RuntimeError(f"allocation solver failed: {result.message}")
    return np.round(result.x).astype(int)


def allocate_places(
    candidates: Sequence[Candidate],
    courses: Sequence[CoursePlaces],
    weights: PriorityWeights | None = None,
) -> Allocation:
    """The optimal assignment of people to seats, with a reason for everyone."""
    _validate(candidates, courses)
    weights = weights or PriorityWeights()
    seats = {c.course_id: c.seats for c in courses}
    pairs = [
        (i, course_id, strength)
        for i, person in enumerate(candidates)
        for course_id, strength in sorted(person.wishes.items())
        if seats[course_id] > 0
    ]
    course_index = {c.course_id: j for j, c in enumerate(courses)}
    chosen = np.zeros(len(pairs), dtype=int)
    if pairs:
        n = len(pairs)
        person_rows = sparse.csr_matrix(
            (np.ones(n), ([p[0] for p in pairs], np.arange(n))), shape=(len(candidates), n)
        )
        course_rows = sparse.csr_matrix(
            (np.ones(n), ([course_index[p[1]] for p in pairs], np.arange(n))),
            shape=(len(courses), n),
        )
        capacity = [
            LinearConstraint(person_rows, 0, 1),
            LinearConstraint(course_rows, 0, [c.seats for c in courses]),
        ]
        priority = np.array([weights.of(candidates[p[0]]) for p in pairs], dtype=float)
        strength = np.array([p[2] for p in pairs], dtype=float)
        best = _solve(priority, capacity)
        floor = float(priority @ best) - 0.5  # objectives are integers
        chosen = _solve(strength, [*capacity, LinearConstraint(priority[None, :], floor, np.inf)])
    taken = {pairs[k][0]: pairs[k] for k in np.flatnonzero(chosen)}
    occupants: dict[int, list[int]] = {c.course_id: [] for c in courses}
    for i, course_id, _ in taken.values():
        occupants[course_id].append(i)
    placements = [
        _placement(i, person, taken.get(i), candidates, occupants, seats, weights)
        for i, person in enumerate(candidates)
    ]
    return Allocation(
        placements=tuple(placements),
        priority_total=sum(weights.of(candidates[i]) for i in taken),
        wish_total=sum(p[2] for p in taken.values()),
        seats_left={c: seats[c] - len(occupants[c]) for c in seats},
    )


def _describe(person: Candidate, weights: PriorityWeights) -> str:
    held = [
        name
        for name, flag in (("4050", person.is_4050), ("long-unemployed", person.long_unemployed))
        if flag
    ]
    return f"priority {weights.of(person)}" + (f" ({', '.join(held)})" if held else "")


def _placement(
    i: int,
    person: Candidate,
    pair: tuple[int, int, int] | None,
    candidates: Sequence[Candidate],
    occupants: Mapping[int, list[int]],
    seats: Mapping[int, int],
    weights: PriorityWeights,
) -> Placement:
    mine = weights.of(person)
    if pair is not None:
        _, course_id, strength = pair
        strongest = max(person.wishes.values())
        choice = "the strongest wish" if strength == strongest else f"wish strength {strength}"
        return Placement(
            person.member_id,
            course_id,
            mine,
            strength,
            f"placed on course {course_id} ({choice}; {_describe(person, weights)})",
        )
    if not person.wishes:
        return Placement(person.member_id, None, mine, None, "not placed: no course was wished for")
    parts = []
    for course_id in sorted(person.wishes):
        if seats[course_id] == 0:
            parts.append(f"course {course_id} has no seats")
            continue
        # At an optimum nobody of lower priority holds a seat this person wished for (a
        # swap would raise the priority placed), and nobody of equal priority holds one with
        # a weaker wish for it (a swap would raise the wishes met).
        others = [weights.of(candidates[k]) for k in occupants[course_id]]
        higher = sum(p > mine for p in others)
        equal = len(others) - higher
        text = (
            f"course {course_id}'s {seats[course_id]} seat(s) went to {higher} people of "
            f"higher priority and {equal} of equal priority with an equal or stronger wish"
        )
        parts.append(text)
    return Placement(
        person.member_id,
        None,
        mine,
        None,
        f"not placed ({_describe(person, weights)}): " + "; ".join(parts),
    )
