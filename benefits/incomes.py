"""A member's incomes through time, and what an assessment on a given day can rely on.

Offices record much of their work days after it happened: an application is taken in on the
day the household came, its approval dated after the public notice ended, and all of it keyed in
later. Each assessment uses the incomes in force on its own day (the household's income test,
POLICY.md *Eligibility*), so an income carries the day it began. A member whose recorded
incomes all begin after the day assessed had no recorded income then — which is not the same
as no income. That is a problem for the officer to resolve (record what was earned then, 0.00
if nothing), never a silent zero that raises the household's amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from benefits.models import Member, MemberIncome
from benefits.schemas import IncomeIn
from kernel.errors import Problem
from kernel.messages import say


def incomes_on(session: Session, household_id: int, day: date) -> list[MemberIncome]:
    """Income rows of the household's members in force on ``day``."""
    return list(
        session.exec(
            select(MemberIncome)
            .join(Member, col(Member.id) == MemberIncome.member_id)
            .where(
                Member.household_id == household_id,
                MemberIncome.effective_from <= day,
                or_(col(MemberIncome.effective_to).is_(None), MemberIncome.effective_to >= day),
            )
            .order_by(col(MemberIncome.member_id), col(MemberIncome.source))
        )
    )


def unrecorded_incomes(session: Session, household_id: int, day: date) -> list[Problem]:
    """A problem for each member whose incomes are all recorded as beginning after ``day``:
    an assessment on ``day`` would count them as earning nothing."""
    first = func.min(MemberIncome.effective_from)
    rows = session.exec(
        select(Member.name, first)
        .join(MemberIncome, col(MemberIncome.member_id) == Member.id)
        .where(Member.household_id == household_id)
        .group_by(col(Member.id), col(Member.name))
        .having(first > day)
        .order_by(col(Member.id))
    ).all()
    return [
        Problem(
            "incomes",
            "income-in-force",
            say(
                "the incomes of %(name)s are recorded from %(first)s, after %(day)s: record the "
                "income in force on %(day)s (0.00 if there was none)",
                name=name,
                first=begins.isoformat() if isinstance(begins, date) else str(begins),
                day=day.isoformat(),
            ),
        )
        for name, begins in rows
    ]


def declared_income_problems(incomes: Sequence[IncomeIn], today: date, field: str) -> list[Problem]:
    """Incomes declared with a new member begin on a day of their own, never after today (a
    household declares what it earns, not what it expects)."""
    return [
        Problem(
            f"{field}.{index}.effective_from",
            "not-in-future",
            say(
                "%(field)s %(day)s is after today",
                field="effective_from",
                day=income.effective_from.isoformat(),
            ),
        )
        for index, income in enumerate(incomes)
        if income.effective_from is not None and income.effective_from > today
    ]
