"""The replay over the stored caseload: chunks of cases, the no-change gate, the figures.

For each chunk of cases (a keyset over ``benefit_case.id``) a fixed number of set-based reads
fetch the status periods, continuations, the decisions that started them, the wages, the
ledger lines and rule-4 corrections of the range; everything else is the pure rules. Memory is
bounded by the chunk, and the number of statements does not grow with a case's history.

The gate (issue 16: "replaying with no change must reproduce the payment ledger to the fen and
every recorded activation decision; the replay refuses to report while that gate fails"):

1. **ledger**: for every month of the range with a finished payment run, each case's regular
   amount priced from its status history equals its ledger line plus the rule-4 corrections
   recorded for that month since (``recompute:YYYY-MM``);
2. **decisions**: every decision of the range whose kind has a replayer gives its recorded
   outcome again under its recorded parameter version;
3. **rebuild**: rebuilding each case's history with no change gives it back exactly.

Only when all three hold are the reform's figures reported.

The pricing (``pricing``) can run on worker processes, each a contiguous part of the caseload
on its own connection, while this process replays the decisions: on PostgreSQL the rules'
share of a replay is Python's, one core, and the database's another process, so a second
Python process uses what the first leaves. Every figure is a sum, so the parts add up to one
pass (``figures``); the service itself replays in one thread and leaves the cores to requests.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlmodel import Session, col

from activation.models import ActivationDecision
from activation.replay.figures import Figures, Gate
from activation.replay.pricing import Part, Priced, Pricing, Stopped, price, price_part
from activation.replay.reads import paid_months, parts_of
from activation.replay.reform import Reform
from activation.rules import REPLAYERS, replay
from benefits.models import Household, Member
from benefits.payment_rules import Month
from kernel.db import reader
from kernel.money import fen_text
from kernel.policy import PolicyBook, PolicyError

__all__ = ["CHUNK", "Stopped", "run_replay", "run_replays"]

CHUNK = 5_000


def run_replay(
    engine: Engine,
    book: PolicyBook,
    *,
    first: Month,
    last: Month,
    reform: Reform,
    today: date,
    chunk: int = CHUNK,
    office: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Replay ``first``..``last`` under ``reform``; only ``office``'s cases (a township or a
    community) when given — the gate's decisions too: those about that office's people."""
    (report,) = run_replays(
        engine,
        book,
        first=first,
        last=last,
        reforms=[reform],
        today=today,
        chunk=chunk,
        office=office,
        workers=workers,
    )
    return report


def run_replays(
    engine: Engine,
    book: PolicyBook,
    *,
    first: Month,
    last: Month,
    reforms: Sequence[Reform],
    today: date,
    chunk: int = CHUNK,
    office: str | None = None,
    stop: threading.Event | None = None,
    workers: int = 1,
    peaks: list[float] | None = None,
) -> list[dict[str, Any]]:
    """Several reforms in one pass over the caseload (a grid, a solver's probes): each chunk is
    read, priced as it is and checked by the gate once, then priced under every reform.

    ``workers`` > 1 prices that many parts of the caseload on worker processes (a command's
    choice; ``stop`` is not watched then); their peak memory is added to ``peaks``."""
    pricing = Pricing(book, first, last, reforms, today)
    gate = Gate()
    with Session(reader(engine)) as session:
        paid = paid_months(session, pricing.months)
        gate.months_checked = [m.label for m in pricing.months if m.label in paid]
        if workers > 1:
            _price_in_parts(engine, session, pricing, gate, paid, chunk, office, workers, peaks)
        else:
            price(engine, pricing, gate, paid, chunk=chunk, office=office, stop=stop)
            _check_decisions(session, book, gate, first.first, last.last, chunk, office)
    return [
        _report(first, last, office, reformed.reform, gate, figures, paid)
        for reformed, figures in pricing.evaluated
    ]


def _price_in_parts(
    engine: Engine,
    session: Session,
    pricing: Pricing,
    gate: Gate,
    paid: set[str],
    chunk: int,
    office: str | None,
    workers: int,
    peaks: list[float] | None,
) -> None:
    """The parts priced by worker processes (started afresh: a fork would copy this process's
    threads and connections), the decisions replayed here meanwhile, then all added up in
    the parts' order — the gate's examples come out as one pass would list them."""
    parts = parts_of(session, workers, office)
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(parts) or 1) as pool:
        pending = [
            pool.apply_async(price_part, (url, pricing, paid, chunk, office, Part(low, high)))
            for low, high in parts
        ]
        decisions = Gate()
        _check_decisions(
            session, pricing.book, decisions, pricing.first.first, pricing.last.last, chunk, office
        )
        priced: list[Priced] = [result.get() for result in pending]
    for part in priced:
        gate.merge(part.gate)
        for mine, theirs in zip(pricing.figures, part.figures, strict=True):
            mine.merge(theirs)
        if peaks is not None:
            peaks.append(part.peak_memory_mib)
    gate.merge(decisions)


def _report(
    first: Month,
    last: Month,
    office: str | None,
    reform: Reform,
    gate: Gate,
    figures: Figures,
    paid: set[str],
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "from": first.label,
        "to": last.label,
        "office": office,
        "reform": reform.as_dict(),
        "gate": gate.as_dict(),
    }
    if not gate.passed:
        return report
    cost_actual, cost_reform = sum(figures.actual), sum(figures.reform)
    report.update(
        {
            "cost_actual": fen_text(cost_actual),
            "cost_reform": fen_text(cost_reform),
            "difference": fen_text(cost_reform - cost_actual),
            "cases": figures.cases,
            "households_affected": figures.gain + figures.lose,
            "households_gain": figures.gain,
            "households_lose": figures.lose,
            "persons_gain": figures.persons_gain,
            "persons_lose": figures.persons_lose,
            "approximated": figures.approximated,
            "reassessed": figures.reassessed,
            "households_exited": figures.exited,
            "households_kept": figures.kept,
            "reentries_offered": figures.reentries_offered,
            "reentries_refused": figures.reentries_refused,
            "sanctions_lifted": figures.sanctions_lifted,
            "sanctions_rescoped": figures.sanctions_rescoped,
            "back_pay_actual": fen_text(figures.back_pay_actual),
            "back_pay_reform": fen_text(figures.back_pay_reform),
            "persons_newly_proposed": figures.persons_newly_proposed,
            "unresolved": dict(sorted(figures.unresolved.items())),
            "by_month": [
                {
                    "month": month.label,
                    "paid": month.label in paid,
                    "cost_actual": fen_text(a),
                    "cost_reform": fen_text(r),
                }
                for month, a, r in zip(figures.months, figures.actual, figures.reform, strict=True)
            ],
            "by_group": figures.by_group(),
        }
    )
    return report


def _check_decisions(
    session: Session,
    book: PolicyBook,
    gate: Gate,
    first: date,
    last: date,
    chunk: int,
    office: str | None = None,
) -> None:
    after = 0
    while True:
        query = select(
            ActivationDecision.id,
            ActivationDecision.kind,
            ActivationDecision.inputs,
            ActivationDecision.outcome,
            ActivationDecision.parameter_version,
        ).where(
            col(ActivationDecision.id) > after,
            col(ActivationDecision.decided_on).between(first, last),
            col(ActivationDecision.kind).in_(list(REPLAYERS)),
        )
        if office:
            query = (
                query.join(Member, col(Member.id) == ActivationDecision.member_id)
                .join(Household, col(Household.id) == Member.household_id)
                .where(or_(Household.township == office, Household.community == office))
            )
        rows = session.execute(query.order_by(col(ActivationDecision.id)).limit(chunk)).all()
        if not rows:
            return
        for decision_id, kind, inputs, outcome, version in rows:
            gate.decisions_checked += 1
            try:
                again = replay(kind, inputs, book.version(version))
            except (PolicyError, KeyError, TypeError, ValueError) as exc:
                again = {"error": type(exc).__name__}
            if again != outcome:
                gate.decisions += 1
                gate.differs({"check": "decision", "decision_id": decision_id, "kind": kind})
        after = rows[-1][0]
