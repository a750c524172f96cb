"""What a second officer checks before signing a payment run off: the run explained.

Officers found "259/259 households" on a run whose ledger had 242 lines and whose bank file had
218 rows, with no word of why (issue 12). Here every step from the cases in the run's range to
the bank file is a count with its reasons, so that the figures add up where the officer reads
them:

    cases in the range = lines written + cases with no line
    lines written      = lines of zero + paid lines
    paid lines         = rows in the bank file + paid lines without a bank account

and the month is set beside the month before it: new, stopped, amount changed, unchanged.

A county holds some 20,000 households (POLICY.md "Scale"), so the database counts: a handful of
grouped queries, none per case or line. Only the zero lines' inputs are read back, in one query,
because why a line paid nothing is written in its inputs (``payment_rules.line_inputs``), not
in a column.

Why a case in the range has no line follows ``payment_rules.in_ledger``: a case is in the month's
ledger if it was live on some day of the month or money was owed either way, so a case without a
line had closed before the month began, had not started by its end, or had a history recorded
after the run reached it (which the next run's look-back settles).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlmodel import Session

from benefits.models import (
    BenefitCase,
    CaseStatusPeriod,
    Member,
    PaymentLine,
    PaymentLinePeriod,
    PaymentRun,
)
from benefits.payment_rules import TERMINATED, Month
from benefits.views import mask_account
from kernel.errors import InvalidInput, Problem
from kernel.messages import N_, name_codes, say
from kernel.money import from_fen

CASES = BenefitCase.__table__  # type: ignore[attr-defined]
LINES = PaymentLine.__table__  # type: ignore[attr-defined]
PERIODS = CaseStatusPeriod.__table__  # type: ignore[attr-defined]
LINE_PERIODS = PaymentLinePeriod.__table__  # type: ignore[attr-defined]
MEMBERS = Member.__table__  # type: ignore[attr-defined]
RUNS = PaymentRun.__table__  # type: ignore[attr-defined]
THIS = LINES.alias("this_line")  # the run's month
LAST = LINES.alias("last_line")  # the month before

# Why a case in the run's range has no line (in_ledger said no).
NO_LINE_CLOSED = "no_line:closed"
NO_LINE_NOT_STARTED = "no_line:not_started"
NO_LINE_OTHER = "no_line:other"
# Why a line paid nothing: what stood in the month, as its inputs recorded.
ZERO_RECOVERY = "zero:recovery"
ZERO_SANCTION = "zero:sanction"
ZERO_SANCTION_SHARE = "zero:sanction_share"
ZERO_CONTINUATION_ENDED = "zero:continuation_ended"
ZERO_SUSPENDED = "zero:suspended"
ZERO_CLOSED = "zero:closed"
ZERO_NOTHING_ASSESSED = "zero:nothing_assessed"
ZERO_OTHER = "zero:other"
# How a case's payment moved from the month before.
NEW, STOPPED, CHANGED, UNCHANGED = "change:new", "change:stopped", "change:changed", "change:same"
UNPAID = "change:unpaid"  # paid nothing either month

name_codes(
    {
        NO_LINE_CLOSED: N_("closed before the month began"),
        NO_LINE_NOT_STARTED: N_("not started by the end of the month"),
        NO_LINE_OTHER: N_("no day of the month payable when the run reached the case"),
        ZERO_RECOVERY: N_("a recovery took the whole amount"),
        ZERO_SANCTION: N_("suspended by a sanction"),
        ZERO_SANCTION_SHARE: N_("a sanction took the whole amount"),
        ZERO_CONTINUATION_ENDED: N_("continuation ended and the case closed"),
        ZERO_SUSPENDED: N_("suspended by an officer"),
        ZERO_CLOSED: N_("case closed; money is still owed either way"),
        ZERO_NOTHING_ASSESSED: N_("assessed at nothing for the month"),
        ZERO_OTHER: N_("nothing payable on record"),
        NEW: N_("new this month"),
        STOPPED: N_("stopped"),
        CHANGED: N_("amount changed"),
        UNCHANGED: N_("unchanged"),
        UNPAID: N_("not paid either month"),
    }
)

# The filters of the ledger list (``show=``).
SHOWS = ("all", "zero", "no_account", "new", "stopped", "changed", "no_line")


@dataclass(frozen=True)
class Reason:
    """A reason code (named with ``name_codes``) and how many it accounts for."""

    code: str
    count: int


@dataclass(frozen=True)
class RunExplanation:
    """A finished run from the cases in its range to the rows of its bank file, and beside the
    month before; every count comes from the ledger as it stands."""

    period: str
    previous_period: str
    previous_run: bool  # the month before was run: without it every paid line is new
    cases_total: int  # cases whose ID is in the run's range
    unused_ids: int  # numbers in the range that belong to no case
    lines: int
    no_line: int
    no_line_reasons: tuple[Reason, ...]
    zero_lines: int
    zero_reasons: tuple[Reason, ...]
    paid_lines: int
    amount: Decimal  # paid on all lines
    without_account: int  # paid lines whose household had no bank account: not in the file
    without_account_amount: Decimal
    bank_rows: int
    bank_amount: Decimal
    new: int
    new_amount: Decimal
    stopped: int
    stopped_amount: Decimal  # what those cases were paid the month before
    changed: int
    changed_by: Decimal  # this month less the month before, summed over the changed lines
    unchanged: int
    paid_last_month: int
    agrees_with_run: bool  # the run's own counters say the same as its ledger

    def count_of(self, show: str) -> int:
        """How many rows the ledger list holds for a filter (``SHOWS``)."""
        return {
            "all": self.lines,
            "zero": self.zero_lines,
            "no_account": self.without_account,
            "new": self.new,
            "stopped": self.stopped,
            "changed": self.changed,
            "no_line": self.no_line,
        }[show]

    @property
    def adds_up(self) -> bool:
        """Whether each step's figures add up (they are counted separately)."""
        return (
            self.cases_total == self.lines + self.no_line
            and self.lines == self.zero_lines + self.paid_lines
            and self.paid_lines == self.bank_rows + self.without_account
            and self.amount == self.bank_amount + self.without_account_amount
            and self.no_line == sum(r.count for r in self.no_line_reasons)
            and self.zero_lines == sum(r.count for r in self.zero_reasons)
            and self.paid_lines == self.new + self.changed + self.unchanged
            and self.paid_last_month == self.stopped + self.changed + self.unchanged
        )


@dataclass(frozen=True)
class LedgerRow:
    """One case of the ledger list: this month's line beside last month's. The bank account
    is masked here, so the full number never reaches a page or an export."""

    case_id: int
    payee_name: str
    account: str | None  # only the last four digits
    amount: Decimal | None  # None: no line this month
    previous: Decimal | None  # None: no line the month before
    change: str
    why: str | None  # for a line of zero or a case without a line

    @property
    def difference(self) -> Decimal:
        return (self.amount or Decimal(0)) - (self.previous or Decimal(0))

    @property
    def in_bank_file(self) -> bool:
        return bool(self.amount) and self.account is not None


# --- reasons ----------------------------------------------------------------------------------

_SANCTIONS = {
    "refusal-sanction-household": ZERO_SANCTION,
    "refusal-sanction-member-share": ZERO_SANCTION_SHARE,
}


def zero_reason(
    inputs: Mapping[str, Any] | None,
    regular_fen: int,
    last_counted: tuple[str | None, str | None] | None = None,
) -> str:
    """Why a line of zero paid nothing, from what it recorded.

    A month with a regular amount that paid nothing had it all taken by recoveries (rule 3).
    Otherwise the status in force at the month's end says why (the last period the line
    counted days of): a sanction, an officer's suspension, a closure, or nothing assessed.
    A line the run wrote by statement has no stored inputs; ``last_counted`` is then that
    period's (rule, status), read from ``payment_line_period`` (``last_counted_period``).
    """
    if regular_fen > 0:
        return ZERO_RECOVERY
    if inputs is not None:
        periods = [p for p in inputs.get("periods", []) if int(p.get("days") or 0) > 0]
        last_counted = (periods[-1].get("rule"), periods[-1].get("status")) if periods else None
    if last_counted is None:
        return ZERO_OTHER
    rule, status = str(last_counted[0] or ""), str(last_counted[1] or "")
    if rule in _SANCTIONS:
        return _SANCTIONS[rule]
    if rule.startswith("continuation-ended") and status == TERMINATED:
        return ZERO_CONTINUATION_ENDED
    if status == "suspended":
        return ZERO_SUSPENDED
    if status == TERMINATED:
        return ZERO_CLOSED
    return ZERO_NOTHING_ASSESSED


def last_counted_period(line: Any, column: Any) -> ColumnElement[Any]:
    """``column`` of the last status period a statement-written line counted days of (the
    status in force at the month's end), as a scalar subquery over the line row."""
    return (
        select(column)
        .select_from(LINE_PERIODS.join(PERIODS, PERIODS.c.id == LINE_PERIODS.c.status_period_id))
        .where(LINE_PERIODS.c.period == line.c.period, LINE_PERIODS.c.case_id == line.c.case_id)
        .order_by(PERIODS.c.effective_from.desc(), PERIODS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _no_line_reason(month: Month) -> ColumnElement[Any]:
    """Why a case without a line has none, as an SQL expression over the case row."""
    first_day = (
        select(func.min(PERIODS.c.effective_from))
        .where(PERIODS.c.case_id == CASES.c.id)
        .scalar_subquery()
    )
    return case(
        (CASES.c.closed_on <= month.first, NO_LINE_CLOSED),
        (first_day > month.last, NO_LINE_NOT_STARTED),
        else_=NO_LINE_OTHER,
    )


# --- expressions the summary and the list share ----------------------------------------------

NOW_FEN = func.coalesce(THIS.c.amount_fen, 0)
THEN_FEN = func.coalesce(LAST.c.amount_fen, 0)
DIFFERENCE_FEN = NOW_FEN - THEN_FEN
CHANGE = case(
    (and_(NOW_FEN > 0, THEN_FEN == 0), NEW),
    (and_(NOW_FEN == 0, THEN_FEN > 0), STOPPED),
    (and_(NOW_FEN > 0, NOW_FEN != THEN_FEN), CHANGED),
    (NOW_FEN > 0, UNCHANGED),
    else_=UNPAID,
)
_HEAD_NAME = (
    select(MEMBERS.c.name)
    .where(MEMBERS.c.household_id == CASES.c.household_id)
    .order_by(MEMBERS.c.relation != "head", MEMBERS.c.id)
    .limit(1)
    .scalar_subquery()
)
# The payee as written on the line; a case with no line either month is named by its head.
PAYEE = func.coalesce(THIS.c.payee_name, LAST.c.payee_name, _HEAD_NAME)
_NO_ACCOUNT = or_(THIS.c.bank_account.is_(None), THIS.c.bank_account == "")
_SHOW: dict[str, ColumnElement[bool]] = {
    "all": THIS.c.id.is_not(None),
    "zero": THIS.c.amount_fen == 0,
    "no_account": and_(THIS.c.amount_fen > 0, _NO_ACCOUNT),
    "new": CHANGE == NEW,
    "stopped": CHANGE == STOPPED,
    "changed": CHANGE == CHANGED,
    "no_line": THIS.c.id.is_(None),
}
# Sortable columns of the ledger list, by the list's column keys.
ORDER: dict[str, ColumnElement[Any]] = {
    "case_id": CASES.c.id,
    "payee": PAYEE,
    "previous": THEN_FEN,
    "amount": NOW_FEN,
    "difference": DIFFERENCE_FEN,
}


def _cases_with_lines(run: PaymentRun, month: Month) -> Any:
    """Every case in the run's range beside its line this month and last month, if any."""
    return CASES.outerjoin(
        THIS, and_(THIS.c.case_id == CASES.c.id, THIS.c.period == run.period)
    ).outerjoin(LAST, and_(LAST.c.case_id == CASES.c.id, LAST.c.period == month.plus(-1).label))


def _in_range(run: PaymentRun) -> ColumnElement[bool]:
    return CASES.c.id.between(run.first_case_id, run.last_case_id)


# --- the summary -------------------------------------------------------------------------------


def explain(session: Session, run: PaymentRun) -> RunExplanation:
    """The run's figures from its ledger: six grouped queries whatever the county's size."""
    month = Month.parse(run.period)
    previous = month.plus(-1)
    conn = session.connection()
    cases_total = int(
        conn.execute(select(func.count()).select_from(CASES).where(_in_range(run))).scalar_one()
    )
    paid = LINES.c.amount_fen > 0
    held = and_(paid, or_(LINES.c.bank_account.is_(None), LINES.c.bank_account == ""))
    totals = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((paid, 1), else_=0)), 0),
            func.coalesce(func.sum(LINES.c.amount_fen), 0),
            func.coalesce(func.sum(case((held, 1), else_=0)), 0),
            func.coalesce(func.sum(case((held, LINES.c.amount_fen), else_=0)), 0),
        ).where(LINES.c.period == run.period)
    ).one()
    lines, paid_lines, amount_fen, held_lines, held_fen = (int(v) for v in totals)

    this_month = CASES.outerjoin(
        THIS, and_(THIS.c.case_id == CASES.c.id, THIS.c.period == run.period)
    )
    why = (
        select(_no_line_reason(month).label("why"))
        .select_from(this_month)
        .where(_in_range(run), THIS.c.id.is_(None))
        .subquery()
    )
    no_line = _reasons(conn.execute(select(why.c.why, func.count()).group_by(why.c.why)).all())

    zero = Counter(
        zero_reason(
            row.inputs,
            row.regular_fen,
            None if row.last_rule is None else (row.last_rule, row.last_status),
        )
        for row in conn.execute(
            select(
                LINES.c.regular_fen,
                LINES.c.inputs,
                last_counted_period(LINES, PERIODS.c.rule).label("last_rule"),
                last_counted_period(LINES, PERIODS.c.status).label("last_status"),
            ).where(LINES.c.period == run.period, LINES.c.amount_fen == 0)
        )
    )

    moves = (
        select(
            CHANGE.label("change"),
            DIFFERENCE_FEN.label("difference"),
        )
        .select_from(_cases_with_lines(run, month))
        .where(_in_range(run), or_(THIS.c.id.is_not(None), LAST.c.id.is_not(None)))
        .subquery()
    )
    by_change = {
        row.change: (int(row.n), int(row.difference or 0))
        for row in conn.execute(
            select(
                moves.c.change,
                func.count().label("n"),
                func.sum(moves.c.difference).label("difference"),
            ).group_by(moves.c.change)
        )
    }
    previous_run = (
        conn.execute(select(RUNS.c.id).where(RUNS.c.period == previous.label)).first() is not None
    )

    def count(code: str) -> int:
        return by_change.get(code, (0, 0))[0]

    def moved(code: str) -> Decimal:
        """The month's payments less the month before's, summed over one kind of change."""
        return from_fen(by_change.get(code, (0, 0))[1])

    agrees = (lines, paid_lines, lines - paid_lines, held_lines, amount_fen) == (
        run.lines,
        run.paid_lines,
        run.zero_lines,
        run.without_account,
        run.total_fen,
    )
    return RunExplanation(
        period=run.period,
        previous_period=previous.label,
        previous_run=previous_run,
        cases_total=cases_total,
        unused_ids=max(run.last_case_id - run.first_case_id + 1 - cases_total, 0),
        lines=lines,
        no_line=sum(r.count for r in no_line),
        no_line_reasons=no_line,
        zero_lines=lines - paid_lines,
        zero_reasons=_reasons(zero.items()),
        paid_lines=paid_lines,
        amount=from_fen(amount_fen),
        without_account=held_lines,
        without_account_amount=from_fen(held_fen),
        bank_rows=paid_lines - held_lines,
        bank_amount=from_fen(amount_fen - held_fen),
        new=count(NEW),
        new_amount=moved(NEW),
        stopped=count(STOPPED),
        stopped_amount=-moved(STOPPED),
        changed=count(CHANGED),
        changed_by=moved(CHANGED),
        unchanged=count(UNCHANGED),
        paid_last_month=count(STOPPED) + count(CHANGED) + count(UNCHANGED),
        agrees_with_run=agrees,
    )


def _reasons(rows: Any) -> tuple[Reason, ...]:
    """Reasons with their counts, the most frequent first (then by code, for a stable page)."""
    found = [Reason(str(code), int(n)) for code, n in rows if n]
    return tuple(sorted(found, key=lambda r: (-r.count, r.code)))


# --- the list ----------------------------------------------------------------------------------


def ledger_query(run: PaymentRun, show: str) -> Select[Any]:
    """The cases of the run's range that ``show`` asks for, each beside its line this month
    and last month, for ``kernel.listing`` to count, page, sort and export."""
    if show not in _SHOW:
        raise InvalidInput(Problem("show", "filter-choice", say("not one of the choices")))
    month = Month.parse(run.period)
    return (
        select(
            CASES.c.id.label("case_id"),
            THIS.c.id.label("line_id"),
            PAYEE.label("payee_name"),
            THIS.c.bank_account,
            THIS.c.amount_fen,
            THIS.c.regular_fen,
            LAST.c.amount_fen.label("last_amount_fen"),
            CHANGE.label("change"),
            # only a line of zero needs its inputs read back (to say why it paid nothing)
            case((THIS.c.amount_fen == 0, THIS.c.inputs)).label("zero_inputs"),
            case(
                (
                    and_(THIS.c.amount_fen == 0, THIS.c.inputs.is_(None)),
                    last_counted_period(THIS, PERIODS.c.rule),
                )
            ).label("zero_rule"),
            case(
                (
                    and_(THIS.c.amount_fen == 0, THIS.c.inputs.is_(None)),
                    last_counted_period(THIS, PERIODS.c.status),
                )
            ).label("zero_status"),
            case((THIS.c.id.is_(None), _no_line_reason(month))).label("no_line_reason"),
        )
        .select_from(_cases_with_lines(run, month))
        .where(_in_range(run), _SHOW[show])
    )


def ledger_row(row: Any) -> LedgerRow:
    """A row of ``ledger_query`` as the list shows it."""
    if row.line_id is None:
        why: str | None = row.no_line_reason
    elif row.amount_fen == 0:
        last = None if row.zero_rule is None else (row.zero_rule, row.zero_status)
        why = zero_reason(row.zero_inputs, row.regular_fen, last)
    else:
        why = None
    return LedgerRow(
        case_id=row.case_id,
        payee_name=row.payee_name or "",
        account=mask_account(row.bank_account),
        amount=None if row.amount_fen is None else from_fen(row.amount_fen),
        previous=None if row.last_amount_fen is None else from_fen(row.last_amount_fen),
        change=row.change,
        why=why,
    )
