"""The payment run's set-based part: every case with nothing to recover paid by statements.

``benefits.payment_rules.plain_fen`` says which cases are plain and what they are paid; the
first statement here is that rule written as SQL, so that the database writes those lines itself
(no row travels to Python and back). The next three pay the other cases with nothing to recover
— part months, several periods, back pay — by rules 1 and 2 in whole fen: the periods each line
counts go into ``payment_line_period`` with their days; each line is Σ(monthly amount × days) /
days in the month, rounded once by the policy's mode in integer arithmetic (``rounded_fen``),
which is the exact fraction ``benefits.rules.amount_between`` rounds, plus every unsettled back
pay, which the last statement marks settled. Cases with a recovery owed (rule 3: deducted oldest
first down to zero, a rest carried forward) are left to the Python rules, which then read only
the cases that have no line yet. The tests run a mixed county through both paths and compare
every line, every settlement and every explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql import ColumnElement

from benefits.models import (
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    PaymentAdjustment,
    PaymentLine,
    PaymentLinePeriod,
)
from benefits.payment_rules import PAYMENT_RULE, TERMINATED, Month, Rounding
from kernel.db import UTCDateTime

PERIOD = CaseStatusPeriod.__table__  # type: ignore[attr-defined]
ADJUSTMENT = PaymentAdjustment.__table__  # type: ignore[attr-defined]
LINE = PaymentLine.__table__  # type: ignore[attr-defined]
CASE = BenefitCase.__table__  # type: ignore[attr-defined]
HOUSEHOLD = Household.__table__  # type: ignore[attr-defined]
MEMBER = Member.__table__  # type: ignore[attr-defined]
LINE_PERIOD = PaymentLinePeriod.__table__  # type: ignore[attr-defined]
LINE_COLUMNS = [
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
]


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
    """The case has a line for the month, as membership of the batch's lines: one read of the
    ledger's unique index over the batch's range, kept as a hash (PostgreSQL's hashed subplan,
    SQLite's ephemeral index) and probed per row, however stale the planner's statistics are.

    Written as a correlated EXISTS, PostgreSQL chose by its statistics: with the ledger counted
    as large, a hash join over every line the run had written so far (a scan that grew with
    each batch); with the range repeated inside and the ledger counted as empty (a first run,
    before autovacuum's analyse), the batch's range scanned again for every case — 3.6 s a
    batch, 114.6 s for a million households instead of about 60. Negated it reads ``NOT IN``;
    ``case_id`` is never NULL, so that means what NOT EXISTS would."""
    return case_id.in_(
        select(LINE.c.case_id).where(
            LINE.c.period == month.label, LINE.c.case_id.between(low, high)
        )
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
    conn.execute(LINE.insert().from_select(LINE_COLUMNS, source))


# Whether the integer quotient q = S div D moves up one step, given the remainder r = S mod D
# (S ≥ 0, D > 0), for each of Decimal's rounding modes: what ``Decimal.quantize`` does to S / D.
def _round_up(mode: str, q: Any, r: Any, d: int) -> ColumnElement[Any] | None:
    if mode in ("ROUND_DOWN", "ROUND_FLOOR"):
        return literal(False)
    if mode in ("ROUND_UP", "ROUND_CEILING"):
        return r > 0
    if mode == "ROUND_HALF_UP":
        return 2 * r >= d
    if mode == "ROUND_HALF_DOWN":
        return 2 * r > d
    if mode == "ROUND_HALF_EVEN":
        return or_(2 * r > d, and_(2 * r == d, q % 2 == 1))
    if mode == "ROUND_05UP":
        return and_(r > 0, or_(q % 10 == 0, q % 10 == 5))
    return None


def rounded_fen(day_fen: Any, days_in_month: int, rounding: Rounding) -> ColumnElement[Any] | None:
    """Rule 1's rounding in SQL: ``day_fen`` (Σ monthly amount in fen × days, ≥ 0) divided by
    the month's days and rounded to the policy's step by its mode, in whole fen — or None when
    the step is not whole fen or the mode is unknown (the Python rules pay those)."""
    step = rounding.quantum_fen
    if step is None:
        return None
    divisor = days_in_month * step
    quotient, remainder = day_fen // divisor, day_fen % divisor
    up = _round_up(rounding.mode, quotient, remainder, divisor)
    if up is None:
        return None
    return (quotient + case((up, 1), else_=0)) * step


def _days(starts_on: Any, ends_on: Any) -> ColumnElement[Any]:
    """Days from ``starts_on`` to ``ends_on`` inclusive, both in the same month."""
    return cast(extract("day", ends_on), Integer) - cast(extract("day", starts_on), Integer) + 1


def insert_period_lines(
    conn: Connection,
    run_id: int,
    month: Month,
    rounding: Rounding,
    low: int,
    high: int,
    now: datetime,
) -> None:
    """Write the lines of cases ``low``..``high`` that have none yet and owe nothing back
    (rules 1 and 2), with the periods each counted, and settle the back pay they add: three
    statements.

    A case is paid here when some period overlapping the month is not a termination
    (``payment_rules.in_ledger``), no period's amount is negative, and every adjustment it has
    unsettled is back pay (a positive amount): rule 2 then adds them all and rule 3 has nothing
    to deduct, so nothing is carried. Run after ``insert_plain_lines``, these are the part
    months, the months of several periods and the months with back pay. A recovery (or an
    adjustment of nothing) leaves the case to the Python rules, which settle oldest first.
    """
    if rounded_fen(literal(0), month.days, rounding) is None:
        return  # a step finer than a fen or a mode SQL does not know: the Python rules pay
    overlapping = and_(
        PERIOD.c.case_id.between(low, high),
        PERIOD.c.effective_from <= month.last,
        or_(PERIOD.c.effective_to.is_(None), PERIOD.c.effective_to >= month.first),
    )
    counted = (
        select(PERIOD.c.case_id)
        .where(overlapping)
        .group_by(PERIOD.c.case_id)
        .having(
            func.sum(case((PERIOD.c.status != TERMINATED, 1), else_=0)) > 0,
            func.min(PERIOD.c.monthly_amount_fen) >= 0,
        )
    )
    first, last = literal(month.first), literal(month.last)
    conn.execute(
        LINE_PERIOD.insert().from_select(
            ["period", "case_id", "status_period_id", "starts_on", "ends_on"],
            select(
                literal(month.label),
                PERIOD.c.case_id,
                PERIOD.c.id,
                case((PERIOD.c.effective_from < first, first), else_=PERIOD.c.effective_from),
                case(
                    (
                        or_(PERIOD.c.effective_to.is_(None), PERIOD.c.effective_to > last),
                        last,
                    ),
                    else_=PERIOD.c.effective_to,
                ),
            ).where(
                overlapping,
                PERIOD.c.case_id.in_(counted),
                ~has_line(month, PERIOD.c.case_id, low, high),
                ~exists().where(
                    ADJUSTMENT.c.case_id == PERIOD.c.case_id,
                    ADJUSTMENT.c.settled_period.is_(None),
                    ADJUSTMENT.c.amount_fen <= 0,
                ),
            ),
        )
    )
    # The back pay a line adds, looked up per case through the unsettled-adjustment index.
    # Joined instead to the range's adjustments summed, it was planned — the batch's periods
    # just written, their count unknown to the planner — as a nested loop that read every
    # owed case of the range again for each line: 1,901 lines × 382 cases, 105 ms a batch,
    # 19 s of a million households' 44 s run (auto_explain).
    owed = (
        select(func.sum(cast(ADJUSTMENT.c.amount_fen, BigInteger)))
        .where(ADJUSTMENT.c.case_id == LINE_PERIOD.c.case_id, ADJUSTMENT.c.settled_period.is_(None))
        .scalar_subquery()
    )
    sums = (
        select(
            LINE_PERIOD.c.case_id,
            func.sum(
                cast(PERIOD.c.monthly_amount_fen, BigInteger)
                * _days(LINE_PERIOD.c.starts_on, LINE_PERIOD.c.ends_on)
            ).label("day_fen"),
            owed.label("back_pay_fen"),
        )
        .select_from(LINE_PERIOD.join(PERIOD, PERIOD.c.id == LINE_PERIOD.c.status_period_id))
        .where(
            LINE_PERIOD.c.period == month.label,
            LINE_PERIOD.c.case_id.between(low, high),
            ~has_line(month, LINE_PERIOD.c.case_id, low, high),
        )
        .group_by(LINE_PERIOD.c.case_id)
        .subquery()
    )
    regular = rounded_fen(cast(sums.c.day_fen, BigInteger), month.days, rounding)
    assert regular is not None
    back_pay = func.coalesce(sums.c.back_pay_fen, 0)
    source = select(
        literal(run_id),
        literal(month.label),
        sums.c.case_id,
        func.coalesce(payee_name(HOUSEHOLD.c.id), ""),
        HOUSEHOLD.c.bank_account,
        regular,
        back_pay,
        regular + back_pay,
        literal(0),
        literal(PAYMENT_RULE),
        literal(rounding.parameter_version),
        literal(None, Integer),
        literal(now, UTCDateTime()),
    ).select_from(
        sums.join(CASE, CASE.c.id == sums.c.case_id).join(
            HOUSEHOLD, HOUSEHOLD.c.id == CASE.c.household_id
        )
    )
    conn.execute(LINE.insert().from_select(LINE_COLUMNS, source))
    # Every line of the range is this batch's statements' (the caller found none before), and
    # no case with a recovery has one yet: what is unsettled under a line is back pay it added.
    conn.execute(
        update(ADJUSTMENT)
        .where(
            ADJUSTMENT.c.case_id.between(low, high),
            ADJUSTMENT.c.settled_period.is_(None),
            has_line(month, ADJUSTMENT.c.case_id, low, high),
        )
        .values(settled_period=month.label)
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
