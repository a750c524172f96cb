"""Monthly payment runs: the ledger of what each case is paid, once, and the bank file.

A run for a period (``YYYY-MM``) walks the cases in ID ranges (``batch_size`` cases, 5,000 by
default). Each batch is one transaction. First the plain cases — one status period all month,
nothing owed, most of a month's cases — are paid by one ``INSERT … SELECT``
(``benefits.payment_sql``; their explanation is derived from the period when read). Then the
rest: one query for their status periods overlapping the month, one for the unsettled
adjustments, one for the payees; the amounts are computed in Python with Decimal by
``benefits.payment_rules``; the lines go in with one bulk (executemany) ``INSERT … ON CONFLICT
(period, case_id) DO NOTHING``, and the run's progress and totals (one aggregate over the
range's lines) are updated in the same transaction. So:

- nobody is paid twice: the database holds one line per case and period, and a batch tried
  again inserts nothing it already has (adjustments are settled only for lines it inserted);
- a run stopped half-way (a crash, ``kill -9``) resumes at the first batch not committed;
- one run at a time: the run holds a lock that dies with its process (``kernel.locks``), so a
  second start while one is going is refused (409) and a dead run's lock is free at once.

Before paying the month, the run looks back (rule 4 of ``benefits.payment_rules``): months
already paid whose status history changed after they were paid are recomputed, and the
difference is recorded as a ``recovery`` or ``back_pay`` adjustment that this run then settles.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, func, or_, select, update
from sqlmodel import Session, col

from benefits.models import (
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    PaymentAdjustment,
    PaymentLine,
    PaymentRun,
)
from benefits.payment_rules import (
    CARRIED_SOURCE,
    PAYMENT_RULE,
    Month,
    Owed,
    Rounding,
    Settlement,
    StatusSlice,
    carried_reason,
    correction,
    correction_reason,
    in_ledger,
    line_inputs,
    overlaps,
    period_problems,
    plain_inputs,
    recompute_source,
    regular_fen,
    settle,
)
from benefits.payment_sql import (
    LINE_PERIOD,
    has_line,
    insert_period_lines,
    insert_plain_lines,
    payee_name,
    range_totals,
)
from kernel import audit
from kernel.auth import Principal
from kernel.background import background_work
from kernel.claims import claim
from kernel.clock import Clock, office_today
from kernel.context import ServiceContext
from kernel.db import insert_ignoring_conflicts, session_scope
from kernel.errors import Conflict, InvalidInput, NotFound, Problem, missing
from kernel.four_eyes import second_person
from kernel.locks import HeldLock, take_within
from kernel.messages import N_, say
from kernel.money import from_fen, yuan_text
from kernel.policy import PolicyBook, PolicyError

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5_000
PAYEE_IDS = 10_000  # case ids per payee query
RUN_LOCK = "payment-run"  # one payment run at a time per database
CLAIM_JOB = "payment-run"  # the scheduler's claim, written when a run finishes
RUNNING, FINISHED = "running", "finished"
# A change recorded within this margin before a line was written may not have been visible to
# the batch that wrote it (its transaction had not committed); such months are looked at again.
# Looking again is harmless: corrections already recorded count as paid.
LATE_MARGIN = timedelta(minutes=10)
# Each run looks for late changes recorded since the previous look, with this overlap.
LOOKBACK_OVERLAP = timedelta(days=1)

PERIOD = CaseStatusPeriod.__table__  # type: ignore[attr-defined]
ADJUSTMENT = PaymentAdjustment.__table__  # type: ignore[attr-defined]
LINE = PaymentLine.__table__  # type: ignore[attr-defined]
RUN = PaymentRun.__table__  # type: ignore[attr-defined]
CASE = BenefitCase.__table__  # type: ignore[attr-defined]
HOUSEHOLD = Household.__table__  # type: ignore[attr-defined]
MEMBER = Member.__table__  # type: ignore[attr-defined]

Progress = Callable[[int, int], None]  # (case IDs done, case IDs in the run)


@dataclass(frozen=True)
class Runner:
    """What a run needs besides its period: it outlives any one request or session.

    ``pause_after_batch`` makes each batch wait, inside its transaction, before committing: an
    operator never sets it; the crash test uses it to kill a run in the middle of a batch.
    """

    engine: Engine
    policy: PolicyBook
    clock: Clock
    zone: ZoneInfo
    actor: Principal
    batch_size: int = DEFAULT_BATCH_SIZE
    pause_after_batch: float = 0.0
    set_based: bool = True  # False: every case through the Python rules (the tests compare)


@dataclass
class Started:
    run: PaymentRun
    lock: HeldLock | None  # None when the period had already finished: nothing to do
    created: bool


# --- starting ---------------------------------------------------------------------------------


def valid_month(policy: PolicyBook, text: str, today: date) -> Month:
    """The period asked for, or every reason it cannot be run (422)."""
    if problems := period_problems(text, today):
        raise InvalidInput(problems)
    month = Month.parse(text)
    try:
        policy.at(month.first)
    except PolicyError as exc:
        raise InvalidInput(Problem("period", "policy-in-force", str(exc))) from exc
    return month


def begin(runner: Runner, period: str) -> Started:
    """Validate the period, take the run lock and open (or find) the period's run.

    The caller must pass ``Started.lock`` to ``execute``, which releases it. A finished
    period is returned as it is, with no lock: running it again writes nothing.
    """
    if runner.batch_size < 1:
        raise InvalidInput(Problem("batch_size", "positive", "the batch size must be at least 1"))
    month = valid_month(runner.policy, period, office_today(runner.clock, runner.zone))
    lock = take_within(runner.engine, RUN_LOCK)
    if lock is None:
        raise Conflict(
            Problem(
                "period",
                "one-run-at-a-time",
                "a payment run is in progress in another process; wait for it to finish",
            )
        )
    try:
        run, created = _open_run(runner, month)
    except BaseException:
        lock.release()
        raise
    if run.state == FINISHED:
        lock.release()
        return Started(run, None, created)
    return Started(run, lock, created)


def _open_run(runner: Runner, month: Month) -> tuple[PaymentRun, bool]:
    with session_scope(runner.engine) as session:
        run = session.scalars(select(PaymentRun).where(PaymentRun.period == month.label)).first()
        if run is not None:
            return run, False
        unfinished = session.scalars(select(PaymentRun).where(PaymentRun.state == RUNNING)).first()
        if unfinished is not None:
            raise Conflict(
                Problem(
                    "period",
                    "finish-earlier-run",
                    say(
                        "the run for %(period)s stopped before it finished; run %(period)s "
                        "again to complete it first",
                        period=unfinished.period,
                    ),
                )
            )
        low, high = session.exec(select(func.min(BenefitCase.id), func.max(BenefitCase.id))).one()
        rounding = Rounding.from_policy(runner.policy.at(month.first))
        now = runner.clock.now()
        first = low or 1
        run = PaymentRun(
            period=month.label,
            state=RUNNING,
            month_first=month.first,
            month_last=month.last,
            parameter_version=rounding.parameter_version,
            batch_size=runner.batch_size,
            first_case_id=first,
            last_case_id=high or 0,
            done_through_case_id=first - 1,
            started_by=runner.actor.label,
            started_at=now,
            updated_at=now,
        )
        session.add(run)
        session.flush()
        audit.record(
            session,
            actor=runner.actor,
            at=now,
            entity="payment_run",
            entity_id=run.id or 0,
            action="started",
            parameter_version=rounding.parameter_version,
            details={"period": month.label, "cases": [first, high or 0]},
        )
        return run, True


# --- running ----------------------------------------------------------------------------------


def execute(
    runner: Runner,
    run_id: int,
    lock: HeldLock,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> PaymentRun:
    """Look back at months already paid, pay the month batch by batch, finish. Releases the
    lock whatever happens; an error leaves the run resumable.

    ``stop``, when set, ends the run after the batch in hand, unfinished: every batch commits
    on its own, so starting the period again resumes where it stopped.
    """
    try:
        run = _load_run(runner.engine, run_id)
        month = Month.parse(run.period)
        if run.reconciled_at is None:
            look_back(runner, run, month)
        params = runner.policy.version(run.parameter_version)
        rounding = Rounding.from_policy(params)
        low = run.done_through_case_id + 1
        span = max(run.last_case_id - run.first_case_id + 1, 0)
        if progress:
            progress(low - run.first_case_id, span)
        while low <= run.last_case_id:
            if stop is not None and stop.is_set():
                log.warning(
                    "payment run %s paused before case %s; start %s again to resume",
                    run_id,
                    low,
                    run.period,
                )
                return _load_run(runner.engine, run_id)
            high = min(low + run.batch_size - 1, run.last_case_id)
            _pay_batch(runner, run_id, month, rounding, low, high)
            if progress:
                progress(high - run.first_case_id + 1, span)
            low = high + 1
        return _finish(runner, run_id)
    finally:
        lock.release()


# Runs share the service's background work with roll imports: stopping pauses them all.
background_runs = background_work


def run_in_background(runner: Runner, started: Started) -> threading.Thread:
    """Carry a started run on in a thread of this process (the API answers 202 at once)."""
    assert started.lock is not None and started.run.id is not None
    run_id, lock = started.run.id, started.lock

    def work() -> None:
        try:
            execute(runner, run_id, lock, stop=background_runs.stop)
        except Exception:
            log.exception("payment run %s stopped; start it again to resume", run_id)

    return background_runs.start(work, name=f"payment-run-{started.run.period}")


def _load_run(engine: Engine, run_id: int) -> PaymentRun:
    with session_scope(engine) as session:
        run = session.get(PaymentRun, run_id)
        if run is None:
            raise NotFound(missing("run_id", run_id))
        return run


def _slices(rows: Sequence[Any]) -> dict[int, list[StatusSlice]]:
    by_case: dict[int, list[StatusSlice]] = defaultdict(list)
    for row in rows:
        by_case[row.case_id].append(
            StatusSlice(
                period_id=row.id,
                status=row.status,
                starts_on=row.effective_from,
                ends_on=row.effective_to,
                monthly_amount_fen=row.monthly_amount_fen,
                rule=row.rule,
                parameter_version=row.parameter_version,
            )
        )
    return by_case


PERIOD_COLUMNS = (
    PERIOD.c.id,
    PERIOD.c.case_id,
    PERIOD.c.status,
    PERIOD.c.effective_from,
    PERIOD.c.effective_to,
    PERIOD.c.monthly_amount_fen,
    PERIOD.c.rule,
    PERIOD.c.parameter_version,
)


def _month_periods(conn: Connection, low: int, high: int, month: Month) -> Any:
    """The periods overlapping the month of the range's cases that have no line for it yet
    (the plain cases' lines are written first, by one statement)."""
    return conn.execute(
        select(*PERIOD_COLUMNS)
        .where(
            PERIOD.c.case_id.between(low, high),
            PERIOD.c.effective_from <= month.last,
            or_(PERIOD.c.effective_to.is_(None), PERIOD.c.effective_to >= month.first),
            ~has_line(month, PERIOD.c.case_id, low, high),
        )
        .order_by(PERIOD.c.case_id, PERIOD.c.effective_from, PERIOD.c.id)
    ).all()


OWED_COLUMNS = (
    ADJUSTMENT.c.id,
    ADJUSTMENT.c.case_id,
    ADJUSTMENT.c.kind,
    ADJUSTMENT.c.amount_fen,
    ADJUSTMENT.c.source,
    ADJUSTMENT.c.reason,
    ADJUSTMENT.c.parameter_version,
)


def _owed(row: Any) -> Owed:
    return Owed(row.id, row.kind, row.amount_fen, row.source, row.reason, row.parameter_version)


def _unsettled(conn: Connection, low: int, high: int) -> dict[int, list[Owed]]:
    rows = conn.execute(
        select(*OWED_COLUMNS)
        .where(ADJUSTMENT.c.case_id.between(low, high), ADJUSTMENT.c.settled_period.is_(None))
        .order_by(ADJUSTMENT.c.case_id, ADJUSTMENT.c.created_at, ADJUSTMENT.c.id)
    ).all()
    owed: dict[int, list[Owed]] = defaultdict(list)
    for row in rows:
        owed[row.case_id].append(_owed(row))
    return owed


def _payees(conn: Connection, case_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    """Case → (household head's name, bank account), for the cases the rules pay. By their
    IDs (at most a batch), so each household is found through its index."""
    payees: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(case_ids), PAYEE_IDS):  # a large --batch-size stays under
        rows = conn.execute(  # SQLite's limit of bound parameters per statement
            select(CASE.c.id, payee_name(HOUSEHOLD.c.id).label("name"), HOUSEHOLD.c.bank_account)
            .select_from(CASE.join(HOUSEHOLD, CASE.c.household_id == HOUSEHOLD.c.id))
            .where(CASE.c.id.in_(list(case_ids[start : start + PAYEE_IDS])))
        ).all()
        payees.update({row.id: (row.name or "", row.bank_account) for row in rows})
    return payees


def _pay_batch(
    runner: Runner, run_id: int, month: Month, rounding: Rounding, low: int, high: int
) -> None:
    """Pay cases ``low``..``high`` in one transaction: the plain ones by one statement, the
    others with nothing to recover by three (``benefits.payment_sql``), the rest by the Python
    rules, then the run's counters from one aggregate over the range's lines."""
    now = runner.clock.now()
    dialect = runner.engine.dialect.name
    with runner.engine.begin() as conn:
        # A batch tried again after a crash finds its lines either all committed (then its
        # progress was committed too and it is not tried again) or none; the run lock keeps
        # other writers out. Lines already there are counted before, so the counters take
        # only what this batch wrote, and the unique rule (period, case_id) stands behind it.
        before = range_totals(conn, month, low, high)
        if runner.set_based and before.lines == 0:
            insert_plain_lines(conn, run_id, month, rounding, low, high, now)
            insert_period_lines(conn, run_id, month, rounding, low, high, now)
        slices = _slices(_month_periods(conn, low, high, month))
        owed = _unsettled(conn, low, high)
        due = [
            case_id
            for case_id in sorted(slices.keys() | owed.keys())
            if in_ledger(slices.get(case_id, []), owed.get(case_id, []))
        ]
        if before.lines:  # a batch tried again: the cases it paid already are left alone
            lined = set(
                conn.execute(
                    select(LINE.c.case_id).where(
                        LINE.c.period == month.label, LINE.c.case_id.between(low, high)
                    )
                ).scalars()
            )
            due = [case_id for case_id in due if case_id not in lined]
        payees = _payees(conn, due)
        rows: list[dict[str, Any]] = []
        settlements: dict[int, Settlement] = {}
        for case_id in due:
            case_slices, case_owed = slices.get(case_id, []), owed.get(case_id, [])
            settlement = settle(regular_fen(case_slices, month, rounding), case_owed)
            settlements[case_id] = settlement
            name, account = payees[case_id]
            rows.append(
                {
                    "run_id": run_id,
                    "period": month.label,
                    "case_id": case_id,
                    "payee_name": name,
                    "bank_account": account,
                    "regular_fen": settlement.regular_fen,
                    "adjustments_fen": settlement.adjustments_fen,
                    "amount_fen": settlement.amount_fen,
                    "carried_fen": settlement.carried_fen,
                    "rule": PAYMENT_RULE,
                    "parameter_version": rounding.parameter_version,
                    "inputs": line_inputs(month, case_slices, case_owed, settlement, rounding),
                    "paid_from_period_id": None,
                    "created_at": now,
                }
            )
        if rows:
            conn.execute(insert_ignoring_conflicts(dialect, LINE, ["period", "case_id"]), rows)
        _settle_adjustments(
            conn, month, now, [(row["case_id"], settlements[row["case_id"]], owed) for row in rows]
        )
        added = range_totals(conn, month, low, high) - before
        conn.execute(
            update(RUN)
            .where(RUN.c.id == run_id)
            .values(
                done_through_case_id=high,
                batches_done=RUN.c.batches_done + 1,
                lines=RUN.c.lines + added.lines,
                paid_lines=RUN.c.paid_lines + added.paid_lines,
                zero_lines=RUN.c.zero_lines + added.lines - added.paid_lines,
                without_account=RUN.c.without_account + added.without_account,
                regular_fen=RUN.c.regular_fen + added.regular_fen,
                adjustments_fen=RUN.c.adjustments_fen + added.adjustments_fen,
                total_fen=RUN.c.total_fen + added.total_fen,
                carried_fen=RUN.c.carried_fen + added.carried_fen,
                updated_at=now,
            )
        )
        if runner.pause_after_batch:
            time.sleep(runner.pause_after_batch)


def _settle_adjustments(
    conn: Connection,
    month: Month,
    now: datetime,
    paid: Sequence[tuple[int, Settlement, dict[int, list[Owed]]]],
) -> None:
    """Mark what the new lines settled, and carry the rest of a part-deducted recovery
    forward as a new recovery row (the original keeps its amount, for the record)."""
    settled_ids: list[int] = []
    carried_rows: list[dict[str, Any]] = []
    for case_id, settlement, owed in paid:
        settled_ids.extend(settlement.settled_ids)
        partial = settlement.carry_rest_of
        if partial is None:
            continue
        original = next(o for o in owed[case_id] if o.adjustment_id == partial.adjustment_id)
        rest = partial.owed_fen - partial.applied_fen  # negative: still to recover
        carried_rows.append(
            {
                "case_id": case_id,
                "kind": "recovery",
                "amount_fen": rest,
                "covers_from": month.first,
                "covers_to": month.last,
                "reason": carried_reason(original, month, -rest),
                "source": f"{CARRIED_SOURCE}:{original.adjustment_id}",
                "parameter_version": original.parameter_version,
                "created_at": now,
            }
        )
    if settled_ids:
        conn.execute(
            update(ADJUSTMENT)
            .where(ADJUSTMENT.c.id.in_(settled_ids), ADJUSTMENT.c.settled_period.is_(None))
            .values(settled_period=month.label)
        )
    if carried_rows:
        conn.execute(ADJUSTMENT.insert(), carried_rows)


def _finish(runner: Runner, run_id: int) -> PaymentRun:
    with session_scope(runner.engine) as session:
        run = session.get(PaymentRun, run_id)
        assert run is not None
        now = runner.clock.now()
        run.state, run.finished_at, run.updated_at = FINISHED, now, now
        claim(session, CLAIM_JOB, run.period, at=now, by=runner.actor.label)
        audit.record(
            session,
            actor=runner.actor,
            at=now,
            entity="payment_run",
            entity_id=run_id,
            action="finished",
            parameter_version=run.parameter_version,
            details={
                "period": run.period,
                "lines": run.lines,
                "paid_lines": run.paid_lines,
                "total": yuan_text(from_fen(run.total_fen)),
                "carried": yuan_text(from_fen(run.carried_fen)),
            },
        )
        return run


# --- looking back (rule 4) ------------------------------------------------------------------


@dataclass
class _Late:
    """A month already paid (or run without a line for the case) that a later change reaches."""

    case_id: int
    month: Month
    rounding_version: str
    changes: list[StatusSlice]


def look_back(runner: Runner, run: PaymentRun, month: Month) -> None:
    """Recompute earlier months reached by status changes recorded after they were paid, and
    record each difference as an adjustment (rule 4), in chunks of ``batch_size`` cases."""
    assert run.id is not None
    late = _late_months(runner.engine, run, month)
    cases = sorted({item.case_id for item in late})
    for start in range(0, len(cases), run.batch_size):
        chunk = set(cases[start : start + run.batch_size])
        _correct_chunk(runner, run.id, [item for item in late if item.case_id in chunk])
    now = runner.clock.now()
    with runner.engine.begin() as conn:
        conn.execute(
            update(RUN).where(RUN.c.id == run.id).values(reconciled_at=now, updated_at=now)
        )
    run.reconciled_at = now


def _late_months(engine: Engine, run: PaymentRun, month: Month) -> list[_Late]:
    """One query: status periods recorded since the last look, joined to the earlier finished
    runs whose months they overlap and to the case's line for that month, if any."""
    earlier = RUN.alias("earlier")
    line = LINE.alias("line")
    with engine.connect() as conn:
        since = conn.execute(
            select(func.max(RUN.c.reconciled_at)).where(RUN.c.id != run.id)
        ).scalar()
        query = (
            select(
                *PERIOD_COLUMNS,
                PERIOD.c.recorded_at,
                earlier.c.period.label("paid_period"),
                earlier.c.parameter_version.label("rounding_version"),
                earlier.c.started_at,
                line.c.created_at.label("line_created_at"),
            )
            .select_from(
                PERIOD.join(
                    earlier,
                    and_(
                        earlier.c.state == FINISHED,
                        earlier.c.period < month.label,
                        PERIOD.c.effective_from <= earlier.c.month_last,
                        or_(
                            PERIOD.c.effective_to.is_(None),
                            PERIOD.c.effective_to >= earlier.c.month_first,
                        ),
                    ),
                ).outerjoin(
                    line,
                    and_(line.c.period == earlier.c.period, line.c.case_id == PERIOD.c.case_id),
                )
            )
            .order_by(PERIOD.c.case_id, earlier.c.period, PERIOD.c.effective_from)
        )
        if since is not None:
            query = query.where(PERIOD.c.recorded_at > since - LOOKBACK_OVERLAP)
        rows = conn.execute(query).all()
    found: dict[tuple[int, str], _Late] = {}
    for row in rows:
        paid_at = row.line_created_at or row.started_at
        if row.recorded_at <= paid_at - LATE_MARGIN:
            continue
        key = (row.case_id, row.paid_period)
        item = found.setdefault(
            key, _Late(row.case_id, Month.parse(row.paid_period), row.rounding_version, [])
        )
        item.changes.extend(_slices([row])[row.case_id])
    return list(found.values())


def _correct_chunk(runner: Runner, run_id: int, late: list[_Late]) -> None:
    now = runner.clock.now()
    case_ids = sorted({item.case_id for item in late})
    labels = sorted({item.month.label for item in late})
    with runner.engine.begin() as conn:
        history = _slices(
            conn.execute(
                select(*PERIOD_COLUMNS)
                .where(PERIOD.c.case_id.in_(case_ids))
                .order_by(PERIOD.c.case_id, PERIOD.c.effective_from, PERIOD.c.id)
            ).all()
        )
        paid = {
            (row.case_id, row.period): row.regular_fen
            for row in conn.execute(
                select(LINE.c.case_id, LINE.c.period, LINE.c.regular_fen).where(
                    LINE.c.case_id.in_(case_ids), LINE.c.period.in_(labels)
                )
            )
        }
        corrected = {
            (row.case_id, row.source): row.total
            for row in conn.execute(
                select(
                    ADJUSTMENT.c.case_id,
                    ADJUSTMENT.c.source,
                    func.sum(ADJUSTMENT.c.amount_fen).label("total"),
                )
                .where(
                    ADJUSTMENT.c.case_id.in_(case_ids),
                    ADJUSTMENT.c.source.in_([recompute_source(Month.parse(m)) for m in labels]),
                )
                .group_by(ADJUSTMENT.c.case_id, ADJUSTMENT.c.source)
            )
        }
        rows: list[dict[str, Any]] = []
        for item in late:
            rounding = Rounding.from_policy(runner.policy.version(item.rounding_version))
            slices = [s for s in history.get(item.case_id, []) if overlaps(s, item.month)]
            source = recompute_source(item.month)
            fix = correction(
                item.month,
                regular_fen(slices, item.month, rounding),
                paid.get((item.case_id, item.month.label), 0),
                int(corrected.get((item.case_id, source), 0) or 0),
            )
            if fix.difference_fen == 0:
                continue
            rows.append(
                {
                    "case_id": item.case_id,
                    "kind": fix.kind,
                    "amount_fen": fix.difference_fen,
                    "covers_from": item.month.first,
                    "covers_to": item.month.last,
                    "reason": correction_reason(fix, item.changes),
                    "source": source,
                    "parameter_version": rounding.parameter_version,
                    "created_at": now,
                }
            )
        if rows:
            conn.execute(ADJUSTMENT.insert(), rows)
        recovered = sum(r["amount_fen"] for r in rows if r["amount_fen"] < 0)
        conn.execute(
            update(RUN)
            .where(RUN.c.id == run_id)
            .values(
                recomputed_months=RUN.c.recomputed_months + len(rows),
                recoveries_found_fen=RUN.c.recoveries_found_fen + recovered,
                back_pay_found_fen=RUN.c.back_pay_found_fen
                + sum(r["amount_fen"] for r in rows if r["amount_fen"] > 0),
                updated_at=now,
            )
        )


# --- reading ----------------------------------------------------------------------------------


def get_run(session: Session, run_id: int) -> PaymentRun:
    run = session.get(PaymentRun, run_id)
    if run is None:
        raise NotFound(missing("run_id", run_id))
    return run


def list_runs(session: Session, limit: int, offset: int) -> list[PaymentRun]:
    return list(
        session.scalars(
            select(PaymentRun).order_by(col(PaymentRun.period).desc()).limit(limit).offset(offset)
        )
    )


def lines_of_case(
    session: Session, policy: PolicyBook, case_id: int, period: str | None = None
) -> list[PaymentLine]:
    """A case's lines, each with its explanation (derived for plain lines, see ``explained``)."""
    if session.get(BenefitCase, case_id) is None:
        raise NotFound(missing("case_id", case_id))
    query = select(PaymentLine).where(PaymentLine.case_id == case_id)
    if period:
        query = query.where(PaymentLine.period == period)
    lines = list(session.scalars(query.order_by(col(PaymentLine.period))))
    return explained(session.connection(), policy, lines)


def explained(conn: Connection, policy: PolicyBook, lines: list[PaymentLine]) -> list[PaymentLine]:
    """Fill in the explanation of the lines the run wrote by statement (three queries at most),
    so every line read carries the same ``inputs`` whichever way the run wrote it: a plain line
    from the period it was paid from, any other from the periods and days it counted
    (``payment_line_period``) and the back pay it settled. The lines are detached from the
    session first: the derived explanation is never written back."""
    plain = [line for line in lines if line.inputs is None and line.paid_from_period_id]
    part = [line for line in lines if line.inputs is None and not line.paid_from_period_id]
    if plain:
        periods = _slices(
            conn.execute(
                select(*PERIOD_COLUMNS).where(
                    PERIOD.c.id.in_({line.paid_from_period_id for line in plain})
                )
            ).all()
        )
        by_id = {s.period_id: s for found in periods.values() for s in found}
        for line in plain:
            source = by_id.get(line.paid_from_period_id or 0)
            if source is not None:
                month = Month.parse(line.period)
                _explain(line, plain_inputs(month, source, _rounding(policy, line)))
    if part:
        counted = _counted_periods(conn, part)
        added = _back_pay_settled(conn, [line for line in part if line.adjustments_fen])
        for line in part:
            slices = counted.get((line.period, line.case_id))
            if slices:
                month = Month.parse(line.period)
                owed = added.get((line.period, line.case_id), [])
                settlement = settle(line.regular_fen, owed)
                rounding = _rounding(policy, line)
                _explain(line, line_inputs(month, slices, owed, settlement, rounding))
    return lines


def _back_pay_settled(
    conn: Connection, lines: Sequence[PaymentLine]
) -> dict[tuple[str, int], list[Owed]]:
    """(period, case) → the back pay a line written by statement added: the adjustments the
    line's month settled for its case, oldest first (the order the rules settle them in). Only
    back pay is ever settled by statement, and a month's line is the only thing that settles
    adjustments in that month's name."""
    added: dict[tuple[str, int], list[Owed]] = defaultdict(list)
    for label, cases in _cases_by_period(lines):
        rows = conn.execute(
            select(*OWED_COLUMNS)
            .where(ADJUSTMENT.c.settled_period == label, ADJUSTMENT.c.case_id.in_(cases))
            .order_by(ADJUSTMENT.c.case_id, ADJUSTMENT.c.created_at, ADJUSTMENT.c.id)
        ).all()
        for row in rows:
            added[(label, row.case_id)].append(_owed(row))
    return added


def _cases_by_period(lines: Sequence[PaymentLine]) -> Iterator[tuple[str, list[int]]]:
    """The lines' cases, month by month, in lists short enough for one ``IN (…)`` on SQLite."""
    for label in sorted({line.period for line in lines}):
        cases = sorted({line.case_id for line in lines if line.period == label})
        for start in range(0, len(cases), PAYEE_IDS):
            yield label, cases[start : start + PAYEE_IDS]


def _rounding(policy: PolicyBook, line: PaymentLine) -> Rounding:
    return Rounding.from_policy(policy.version(line.parameter_version))


def _explain(line: PaymentLine, inputs: dict[str, Any]) -> None:
    session = Session.object_session(line)
    if session is not None:
        session.expunge(line)
    line.inputs = inputs


def _counted_periods(
    conn: Connection, lines: Sequence[PaymentLine]
) -> dict[tuple[str, int], list[StatusSlice]]:
    """(period, case) → the status periods the line counted, cut to the days it counted, in
    the order the Python rules list them (by start, then id)."""
    counted: dict[tuple[str, int], list[StatusSlice]] = {}
    for label, cases in _cases_by_period(lines):
        rows = conn.execute(
            select(
                LINE_PERIOD.c.case_id,
                PERIOD.c.id,
                PERIOD.c.status,
                LINE_PERIOD.c.starts_on.label("effective_from"),  # the days it counted
                LINE_PERIOD.c.ends_on.label("effective_to"),
                PERIOD.c.monthly_amount_fen,
                PERIOD.c.rule,
                PERIOD.c.parameter_version,
            )
            .select_from(LINE_PERIOD.join(PERIOD, PERIOD.c.id == LINE_PERIOD.c.status_period_id))
            .where(LINE_PERIOD.c.period == label, LINE_PERIOD.c.case_id.in_(cases))
            .order_by(LINE_PERIOD.c.case_id, PERIOD.c.effective_from, PERIOD.c.id)
        ).all()
        for case_id, slices in _slices(rows).items():
            counted[(label, case_id)] = slices
    return counted


def run_progress(run: PaymentRun) -> float:
    """Share of the run's case-ID range done (1.0 when finished)."""
    if run.state == FINISHED:
        return 1.0
    span = run.last_case_id - run.first_case_id + 1
    if span <= 0:
        return 0.0
    return round((run.done_through_case_id - run.first_case_id + 1) / span, 4)


# --- releasing a run -------------------------------------------------------------------------


def sign_off(ctx: ServiceContext, run_id: int) -> PaymentRun:
    """A second benefit officer signs a finished run off, and only then may its bank file go to
    the bank (POLICY.md "Safeguards": four eyes on every decision that moves money). The officer
    who started the run cannot sign it; a run is signed once."""
    run = ctx.session.get(PaymentRun, run_id, with_for_update=True)
    if run is None:
        raise NotFound(missing("run_id", run_id))
    require_finished(run)
    if run.signed_off_by is not None:
        raise Conflict(
            Problem(
                "run_id",
                "run-signed-off",
                say("the run for %(period)s has been signed off already", period=run.period),
            )
        )
    second_person(ctx, run.started_by, N_("signing off a payment run"))
    run.signed_off_by, run.signed_off_at = ctx.actor.label, ctx.now
    audit.note(
        ctx,
        entity="payment_run",
        entity_id=run_id,
        action="signed-off",
        details={
            "period": run.period,
            "total": yuan_text(from_fen(run.total_fen)),
            "paid_lines": run.paid_lines,
            "without_account": run.without_account,
        },
    )
    ctx.session.commit()
    return run


def require_released(run: PaymentRun) -> None:
    """The bank file is made from a finished run that a second officer has signed off."""
    require_finished(run)
    if run.signed_off_by is None:
        raise Conflict(
            Problem(
                "run_id",
                "run-signed-off",
                say(
                    "the bank file for %(period)s is released once a second benefit officer "
                    "has signed the run off",
                    period=run.period,
                ),
            )
        )


def require_finished(run: PaymentRun) -> None:
    if run.state != FINISHED:
        raise Conflict(
            Problem(
                "run_id",
                "run-finished",
                say(
                    "the run for %(period)s has not finished (%(run_progress)s done); the "
                    "bank file is made from a finished run only",
                    period=run.period,
                    run_progress=format(run_progress(run), ".0%"),
                ),
            )
        )
