"""The registration duty's outcome as SQL: which members the daily sweep must look at.

``activation.rules.registration_duty`` decides whether a person must register on a day; the
daily sweep used to run it for every member of the county every day (about 35 µs each), though
on most days almost nobody's duty changes. Here the same decision — obliged or not, without the
explanation — is written as a condition over the member row, so the sweep reads only the members
whose open duty disagrees with it (a duty to open, or one to end) and runs the rule itself on
those to decide and explain. Ages become dates: "aged at least A on day D" is "born on or before
``born_by(A, D)``", the latest birth date ``kernel.dates.age_on`` gives A for (29 February
included). The tests hold this condition to the rule on a boundary table of birthdays and on
random people.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true

from benefits.models import Member
from kernel.dates import age_on
from kernel.policy import ParameterSet

MEMBER = Member.__table__  # type: ignore[attr-defined]
WORKING_AGE = 16  # activation.rules.registration_duty: below 16 nobody must register

# Each exemption of ``activation.rules.EXEMPTION_TESTS`` as a condition on the member row.
EXEMPT_WHEN: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "serious_illness": lambda m: m.c.serious_illness == true(),
    "disability": lambda m: m.c.disability == "severe",
    "carer": lambda m: m.c.carer == true(),
    "pregnant": lambda m: m.c.pregnant == true(),
    "student": lambda m: m.c.student == true(),
    "three_nos": lambda m: m.c.three_nos == true(),
}


def born_by(age: int, on: date) -> date:
    """The latest birth date of a person aged at least ``age`` on ``on``.

    ``age_on`` falls as the birth date moves later, so the answer is the last day before it
    drops below ``age``: found from the same day ``age`` years earlier (the 28th when that day
    does not exist) by the rule itself, never by separate calendar arithmetic.
    """
    year = on.year - age
    day = date(year, on.month, 28) if (on.month, on.day) == (2, 29) else on.replace(year=year)
    while age_on(day, on) < age:
        day -= timedelta(days=1)
    while age_on(day + timedelta(days=1), on) >= age:
        day += timedelta(days=1)
    return day


def obliged(params: ParameterSet, on: date, member: Any = MEMBER) -> ColumnElement[bool] | None:
    """``registration_duty(facts, on, params).obligated`` as a condition on ``member``'s row,
    or None when the parameters name an exemption this module cannot say in SQL (the sweep
    then runs the rule for every member, as before)."""
    names = list(params.raw("activation.registration.exemptions"))
    if any(name not in EXEMPT_WHEN for name in names):
        return None
    male_limit = params.int("activation.registration.male_age_limit")
    female_limit = params.int("activation.registration.female_age_limit")
    under_limit = or_(
        and_(member.c.sex == "male", member.c.birth_date > born_by(male_limit, on)),
        and_(
            or_(member.c.sex != "male", member.c.sex.is_(None)),
            member.c.birth_date > born_by(female_limit, on),
        ),
    )
    exempt = or_(false(), *(EXEMPT_WHEN[name](member) for name in names))
    return and_(
        func.coalesce(member.c.work_capacity, "") != "none",
        member.c.birth_date <= born_by(WORKING_AGE, on),
        under_limit,
        not_(exempt),
    )
