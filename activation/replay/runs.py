"""Replay runs asked for through the API: checked, recorded, carried on in the service, kept.

A run over a county takes tens of seconds, longer than a request may hold a connection, so
``start`` checks the request (every problem at once, nothing written on a 422), records the run
as ``running`` and hands it to a thread of this process (``kernel.background``); the caller
follows it with GET. The thread writes the gate and the aggregates when it is done, or
``failed`` if the replay broke; a run left ``running`` by a process that stopped is asked for
again with a re-run, which records a new run pointing at the old one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from activation.replay.engine import Stopped, run_replays
from activation.replay.grid import budget_problems, parse_grid
from activation.replay.models import PolicyReplay
from activation.replay.reads import office_problems
from activation.replay.reform import parse_range
from activation.replay.stacking import stacking, with_steps
from kernel.background import background_work
from kernel.errors import Conflict, InvalidInput, NotFound, Problem, missing
from kernel.messages import say
from kernel.policy import PolicyBook

log = logging.getLogger(__name__)
# A replay reads the whole caseload and keeps both cores busy for as long as it runs: one at a
# time per process, and a second asked for meanwhile is told to ask again (409), rather than
# several starving the requests the service is there for.
RUNNING_AT_ONCE = 1
_slots = threading.BoundedSemaphore(RUNNING_AT_ONCE)


@dataclass(frozen=True)
class ReplayAsk:
    first_month: str
    last_month: str
    changes: list[str]
    grid: list[str]
    budget: str | None
    office: str | None
    # A reform of several changes priced once, without the steps that show each change's own
    # effect (n changes are otherwise priced n times). A grid is priced point by point anyway.
    whole: bool = False


def check(engine: Engine, book: PolicyBook, ask: ReplayAsk) -> None:
    """Every problem of the request at once (422), before anything is written."""
    _, problems = parse_grid(ask.grid, ask.changes, book)
    _, more = parse_range(ask.first_month, ask.last_month)
    problems += more
    problems += budget_problems(ask.budget)[1]
    problems += office_problems(engine, ask.office)
    if problems:
        raise InvalidInput(problems)


def start(
    engine: Engine,
    book: PolicyBook,
    ask: ReplayAsk,
    *,
    actor: str,
    now: datetime,
    today: date,
    rerun_of: int | None = None,
) -> PolicyReplay:
    check(engine, book, ask)
    if not _slots.acquire(blocking=False):
        raise Conflict(
            Problem(
                None,
                "replay-running",
                say("a replay is running; ask again when it has finished"),
            )
        )
    try:
        run = _record(engine, ask, actor=actor, now=now, rerun_of=rerun_of)
        run_id = run.id or 0
        background_work.start(
            lambda: _carry_on(engine, book, run_id, ask, today), name=f"policy-replay-{run_id}"
        )
    except BaseException:
        _slots.release()
        raise
    return run


def _record(
    engine: Engine, ask: ReplayAsk, *, actor: str, now: datetime, rerun_of: int | None
) -> PolicyReplay:
    with Session(engine) as session:
        run = PolicyReplay(
            requested_at=now,
            requested_by=actor,
            first_month=ask.first_month,
            last_month=ask.last_month,
            office=ask.office,
            changes=ask.changes,
            grid=ask.grid,
            budget=ask.budget,
            whole=ask.whole,
            rerun_of=rerun_of,
            state="running",
        )
        session.add(run)
        session.commit()
        session.refresh(run)
    return run


def rerun(
    engine: Engine, book: PolicyBook, run_id: int, *, actor: str, now: datetime, today: date
) -> PolicyReplay:
    with Session(engine) as session:
        old = get(session, run_id)
        ask = ReplayAsk(
            old.first_month,
            old.last_month,
            old.changes,
            old.grid,
            old.budget,
            old.office,
            whole=old.whole,
        )
    return start(engine, book, ask, actor=actor, now=now, today=today, rerun_of=run_id)


def get(session: Session, run_id: int) -> PolicyReplay:
    run = session.get(PolicyReplay, run_id)
    if run is None:
        raise NotFound(missing("replay_id", run_id))
    return run


def latest(session: Session, limit: int, offset: int) -> list[PolicyReplay]:
    return list(
        session.exec(
            select(PolicyReplay).order_by(col(PolicyReplay.id).desc()).limit(limit).offset(offset)
        )
    )


def report_of(ask: ReplayAsk, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One reform's report, or a grid's: the same shapes as ``workbridge replay`` prints."""
    from activation.replay.grid import within_budget

    if not ask.grid and ask.budget is None:
        if len(reports) > 1 and reports[0]["gate"]["passed"]:  # priced ``with_steps``
            return {**reports[0], "stacking": stacking(reports)}
        return reports[0]
    first = reports[0]
    out: dict[str, Any] = {key: first[key] for key in ("from", "to", "office", "gate")}
    if not first["gate"]["passed"]:
        return out
    out["cost_actual"] = first["cost_actual"]
    out["points"] = [{key: r[key] for key in POINT_KEYS} for r in reports]
    if ask.budget is not None:
        budget, _ = budget_problems(ask.budget)
        assert budget is not None
        best = within_budget(reports, budget)
        out["budget"] = f"{budget:.2f}"
        out["within_budget"] = best["reform"] if best else None
    return out


POINT_KEYS = (
    "reform",
    "cost_reform",
    "difference",
    "households_gain",
    "households_lose",
    "persons_gain",
    "persons_lose",
    "sanctions_lifted",
    "sanctions_rescoped",
    "households_exited",
    "households_kept",
    "reentries_refused",
    "reentries_offered",
    "persons_newly_proposed",
    "unresolved",
)


def _carry_on(engine: Engine, book: PolicyBook, run_id: int, ask: ReplayAsk, today: date) -> None:
    from benefits.payment_rules import Month

    state, report, passed = "failed", None, None
    try:
        reforms, _ = parse_grid(ask.grid, ask.changes, book)
        if not ask.grid and ask.budget is None and not ask.whole:
            reforms = with_steps(reforms)
        reports = run_replays(
            engine,
            book,
            first=Month.parse(ask.first_month),
            last=Month.parse(ask.last_month),
            reforms=reforms,
            today=today,
            office=ask.office,
            stop=background_work.stop,
        )
        report = report_of(ask, reports)
        state, passed = "finished", bool(report["gate"]["passed"])
    except Stopped:
        log.warning("policy replay %s stopped with the service; ask for it again", run_id)
    except Exception:
        log.exception("policy replay %s failed; ask for it again with a re-run", run_id)
    try:
        with Session(engine) as session:
            run = get(session, run_id)
            run.state, run.report, run.gate_passed = state, report, passed
            run.finished_at = datetime.now(UTC)
            session.commit()
    finally:
        _slots.release()
