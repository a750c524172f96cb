"""The payment run's set-based part: plain cases paid with one statement per batch.

``benefits.payment_rules.plain_fen`` says which cases are plain and what they are paid; this
module is the same rule written as SQL, so that the database writes those lines itself (no row
travels to Python and back). Everything else in a batch — part months, several periods, back
pay, recovery, carried amounts — is left to the Python rules, which then read only the cases
that have no line yet. The tests run a mixed county through both paths and compare every line
to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.sql import ColumnElement

from benefits.models import (
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    PaymentAdjustment,
    PaymentLine,
)
from benefits.payment_rules import PAYMENT_RULE, TERMINATED, Month, Rounding
from kernel.db import UTCDateTime

PERIOD = CaseStatusPeriod.__table__  # type: ignore[attr-defined]
ADJUSTMENT = PaymentAdjustment.__table__  # type: ignore[attr-defined]
LINE = PaymentLine.__table__  # type: ignore[attr-defined]
CASE = BenefitCase.__table__  # type: ignore[attr-defined]
HOUSEHOLD = Household.__table__  # type: ignore[attr-defined]
MEMBER = Member.__table__  # type: ignore[attr-defined]


def payee_name(household_id: Any) -> ColumnElement[Any]:
    """The household head's name, or the first member's if no head is on record."""
    return (
        select(MEMBER.c.name)
        .where(MEMBER.c.household_id == household_id)
        .order_by(MEMBER.c.relation != "head", MEMBER.c.id)
        .limit(1)
        .scalar_subquery()
    )


def has_line(month: Month, case_id: Any, low: int, high: int) -> ColumnElement[bool]:
    """The case has a line for the month. The range of the batch is repeated inside, so the
    database reads the ledger's unique index for the batch's cases only, not every line the run
    has written so far (a scan that grew with each batch on PostgreSQL)."""
    return exists().where(
        LINE.c.period == month.label,
        LINE.c.case_id.between(low, high),
        LINE.c.case_id == case_id,
    )


def insert_plain_lines(
    conn: Connection,
    run_id: int,
    month: Month,
    rounding: Rounding,
    low: int,
    high: int,
    now: datetime,
) -> None:
    """Write the lines of the plain cases with IDs ``low``..``high`` (``plain_fen`` in SQL).

    The caller has checked that the range has no line for the month yet; the unique rule on
    (period, case_id) would refuse a second one anyway.
    """
    step = rounding.quantum_fen
    if step is None:
        return  # rounding finer than a fen: every case goes through the Python rules
    other = PERIOD.alias("other")
    overlaps_month = and_(
        other.c.case_id == PERIOD.c.case_id,
        other.c.id != PERIOD.c.id,
        other.c.effective_from <= month.last,
        or_(other.c.effective_to.is_(None), other.c.effective_to >= month.first),
    )
    source = (
        select(
            literal(run_id),
            literal(month.label),
            PERIOD.c.case_id,
            func.coalesce(payee_name(HOUSEHOLD.c.id), ""),
            HOUSEHOLD.c.bank_account,
            PERIOD.c.monthly_amount_fen,
            literal(0),
            PERIOD.c.monthly_amount_fen,
            literal(0),
            literal(PAYMENT_RULE),
            literal(rounding.parameter_version),
            PERIOD.c.id,
            literal(now, UTCDateTime()),
        )
        .select_from(
            PERIOD.join(CASE, CASE.c.id == PERIOD.c.case_id).join(
                HOUSEHOLD, HOUSEHOLD.c.id == CASE.c.household_id
            )
        )
        .where(
            PERIOD.c.case_id.between(low, high),
            PERIOD.c.effective_from <= month.first,
            or_(PERIOD.c.effective_to.is_(None), PERIOD.c.effective_to >= month.last),
            PERIOD.c.status != TERMINATED,
            PERIOD.c.monthly_amount_fen > 0,
            PERIOD.c.monthly_amount_fen % step == 0,
            ~exists().where(overlaps_month),
            ~exists().where(
                ADJUSTMENT.c.case_id == PERIOD.c.case_id, ADJUSTMENT.c.settled_period.is_(None)
            ),
        )
    )
    conn.execute(
        LINE.insert().from_select(
            [
                "run_id",
                "period",
                "case_id",
                "payee_name",
                "bank_account",
                "regular_fen",
                "adjustments_fen",
                "amount_fen",
                "carried_fen",
                "rule",
                "parameter_version",
                "paid_from_period_id",
                "created_at",
            ],
            source,
        )
    )


@dataclass(frozen=True)
class Totals:
    """What the lines of a range of cases add up to, for the run's counters."""

    lines: int = 0
    paid_lines: int = 0
    without_account: int = 0
    regular_fen: int = 0
    adjustments_fen: int = 0
    total_fen: int = 0
    carried_fen: int = 0

    def __sub__(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, f) - getattr(other, f) for f in self.__dataclass_fields__))


def range_totals(conn: Connection, month: Month, low: int, high: int) -> Totals:
    """One aggregate over the month's lines of cases ``low``..``high``."""
    paid = LINE.c.amount_fen > 0
    no_account = or_(LINE.c.bank_account.is_(None), LINE.c.bank_account == "")
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((paid, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(paid, no_account), 1), else_=0)), 0),
            func.coalesce(func.sum(LINE.c.regular_fen), 0),
            func.coalesce(func.sum(LINE.c.adjustments_fen), 0),
            func.coalesce(func.sum(LINE.c.amount_fen), 0),
            func.coalesce(func.sum(LINE.c.carried_fen), 0),
        ).where(LINE.c.period == month.label, LINE.c.case_id.between(low, high))
    ).one()
    return Totals(*(int(value) for value in row))
