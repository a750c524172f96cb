"""The registration duty's outcome in SQL is the rule's outcome, person by person.

The daily sweep reads only the members whose open duty disagrees with ``activation.duty_sql``'s
condition, so a person the condition misjudges would keep a duty they no longer have or never
get one they have. Here the database under test evaluates the condition for people on every
side of each threshold — the day before, of and after the 16th birthday and the age limit of
their sex, 29 February births on leap and common years' 28 February, 29 February and 1 March,
each exemption alone, each work capacity — and for random people, and each answer must equal
``activation.rules.registration_duty(...).obligated``.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from itertools import product

import pytest
from sqlalchemy import Boolean, Date, Engine, String, literal, select, union_all

from activation import duty_sql, rules
from kernel.dates import age_on
from kernel.policy import ParameterSet, load_profile

DAYS = (
    date(2026, 12, 4),
    date(2027, 2, 28),
    date(2027, 3, 1),
    date(2028, 2, 28),
    date(2028, 2, 29),
    date(2028, 3, 1),
    date(2026, 1, 1),
    date(2026, 12, 31),
)
BASE = rules.PersonFacts(
    sex="male",
    birth_date=date(1990, 6, 15),
    work_capacity="full",
    disability="none",
    serious_illness=False,
    carer=False,
    pregnant=False,
    student=False,
    three_nos=False,
)


def _boundary_people(on: date, params: ParameterSet) -> list[rules.PersonFacts]:
    people = []
    for sex in ("male", "female"):
        limit = params.int(f"activation.registration.{sex}_age_limit")
        births = [date(2000, 2, 29), date(1988, 2, 29), date(2012, 2, 29), date(2010, 3, 1)]
        for age in (16, limit):
            edge = duty_sql.born_by(age, on)
            births += [edge - timedelta(days=1), edge, edge + timedelta(days=1)]
        for birth in births:
            people.append(dataclasses.replace(BASE, sex=sex, birth_date=birth))
    middle = duty_sql.born_by(20, on)  # of working age and under either limit
    for capacity in ("full", "partial", "none"):
        people.append(dataclasses.replace(BASE, birth_date=middle, work_capacity=capacity))
    for disability in ("none", "mild", "severe"):
        people.append(dataclasses.replace(BASE, birth_date=middle, disability=disability))
    for flag in ("serious_illness", "carer", "pregnant", "student", "three_nos"):
        people.append(dataclasses.replace(BASE, birth_date=middle, sex="female", **{flag: True}))
    return people


def _random_people(rng: random.Random, on: date) -> list[rules.PersonFacts]:
    return [
        rules.PersonFacts(
            sex=rng.choice(("male", "female")),
            birth_date=on - timedelta(days=rng.randint(0, 70 * 366)),
            work_capacity=rng.choice(("full", "full", "partial", "none")),
            disability=rng.choice(("none", "none", "mild", "severe")),
            serious_illness=rng.random() < 0.1,
            carer=rng.random() < 0.1,
            pregnant=rng.random() < 0.1,
            student=rng.random() < 0.1,
            three_nos=rng.random() < 0.05,
        )
        for _ in range(300)
    ]


def _sql_answers(
    engine: Engine, people: list[rules.PersonFacts], on: date, params: ParameterSet
) -> list[bool]:
    rows = union_all(
        *(
            select(
                literal(index).label("i"),
                literal(p.sex, String).label("sex"),
                literal(p.birth_date, Date).label("birth_date"),
                literal(p.work_capacity, String).label("work_capacity"),
                literal(p.disability, String).label("disability"),
                literal(p.serious_illness, Boolean).label("serious_illness"),
                literal(p.carer, Boolean).label("carer"),
                literal(p.pregnant, Boolean).label("pregnant"),
                literal(p.student, Boolean).label("student"),
                literal(p.three_nos, Boolean).label("three_nos"),
            )
            for index, p in enumerate(people)
        )
    ).subquery()
    condition = duty_sql.obliged(params, on, rows)
    assert condition is not None
    with engine.connect() as conn:
        found = {row[0]: row[1] for row in conn.execute(select(rows.c.i, condition))}
    return [bool(found[index]) for index in range(len(people))]


@pytest.mark.parametrize("profile", ["county-pilot", "national-2014"])
def test_the_condition_is_the_rule_on_every_side_of_each_threshold(engine, profile) -> None:
    book = load_profile(profile)
    rng = random.Random(profile)
    checked = obliged = 0
    for on in DAYS:
        params = book.at(on)
        people = _boundary_people(on, params) + _random_people(rng, on)
        expected = [rules.registration_duty(p, on, params).obligated for p in people]
        assert _sql_answers(engine, people, on, params) == expected, on
        checked += len(people)
        obliged += sum(expected)
    assert checked > 2_000 and 0 < obliged < checked  # both answers were put to the test


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (day, age)
        for day, age in product(
            [*DAYS, date(2029, 2, 28), date(2029, 3, 1), date(2024, 2, 29)], (0, 1, 4, 16, 38, 48)
        )
    ],
)
def test_born_by_is_the_last_birth_date_of_that_age(on: date, age: int) -> None:
    edge = duty_sql.born_by(age, on)
    assert age_on(edge, on) >= age
    assert age_on(edge + timedelta(days=1), on) < age


def test_an_exemption_sql_cannot_say_leaves_every_member_to_the_rule() -> None:
    params = load_profile("county-pilot").at(date(2026, 12, 4))
    unknown = dict(params.params)
    exemptions = unknown["activation.registration.exemptions"]
    unknown["activation.registration.exemptions"] = dataclasses.replace(
        exemptions, value=[*exemptions.value, "astronaut"]
    )
    assert duty_sql.obliged(dataclasses.replace(params, params=unknown), date(2026, 12, 4)) is None
