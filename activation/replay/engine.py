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
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlmodel import Session, col

from activation.models import ActivationDecision
from activation.replay.backpay import BackPayFacts, recorded_split, repaid
from activation.replay.continuation import (
    START,
    ContinuationFacts,
    Reassess,
    rebuild,
    same_history,
)
from activation.replay.groups import DIMENSIONS, household_groups
from activation.replay.money import due_by_month, months_between, roundings
from activation.replay.reads import Chunk, paid_months, read_ahead
from activation.replay.reassessment import reassessor
from activation.replay.reentry import CaseOrigin, Reentered, reentries
from activation.replay.reform import Reform, ReformedBook
from activation.replay.refusals import (
    CountFacts,
    SanctionFacts,
    lift,
    newly_proposed,
)
from activation.replay.scope import rescope
from activation.replay.standards import NO_BASE, Restated, rebased, restate
from activation.rules import REPLAYERS, replay
from benefits.assessments import assess_again, outcome_fen
from benefits.models import (
    Household,
    Member,
)
from benefits.payment_rules import Month, StatusSlice
from kernel.db import reader
from kernel.money import fen_text
from kernel.policy import ParameterSet, PolicyBook, PolicyError

CHUNK = 5_000


class Stopped(Exception):
    """The service is stopping: a replay in a thread of it gives up between chunks."""


EXAMPLES = 20  # differences shown by the gate; all are counted


@dataclass
class Gate:
    ledger: int = 0
    decisions: int = 0
    rebuild: int = 0
    assessments: int = 0
    decisions_checked: int = 0
    assessments_checked: int = 0
    months_checked: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (self.ledger or self.decisions or self.rebuild or self.assessments)

    def differs(self, example: dict[str, Any]) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "months_checked": self.months_checked,
            "decisions_checked": self.decisions_checked,
            "assessments_checked": self.assessments_checked,
            "differences": {
                "ledger": self.ledger,
                "decisions": self.decisions,
                "rebuild": self.rebuild,
                "assessments": self.assessments,
            },
            "examples": self.examples,
        }


@dataclass
class Figures:
    months: list[Month]
    actual: list[int] = field(default_factory=list)
    reform: list[int] = field(default_factory=list)
    cases: int = 0
    gain: int = 0
    lose: int = 0
    approximated: int = 0
    persons_gain: int = 0
    persons_lose: int = 0
    sanctions_lifted: int = 0
    sanctions_rescoped: int = 0
    persons_newly_proposed: int = 0
    reassessed: int = 0
    exited: int = 0
    kept: int = 0
    reentries_offered: int = 0
    reentries_refused: int = 0
    back_pay_actual: int = 0
    back_pay_reform: int = 0
    unresolved: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    groups: dict[tuple[str, str], GroupFigure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.actual = [0] * len(self.months)
        self.reform = [0] * len(self.months)

    def by_group(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {dimension: [] for dimension in DIMENSIONS}
        for (dimension, value), figure in sorted(self.groups.items()):
            found[dimension].append({"group": value, **figure.as_dict()})
        return found


@dataclass
class GroupFigure:
    cases: int = 0
    actual: int = 0
    reform: int = 0
    gain: int = 0
    lose: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "cost_actual": fen_text(self.actual),
            "cost_reform": fen_text(self.reform),
            "households_gain": self.gain,
            "households_lose": self.lose,
        }


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
) -> list[dict[str, Any]]:
    """Several reforms in one pass over the caseload (a grid, a solver's probes): each chunk is
    read, priced as it is and checked by the gate once, then priced under every reform."""
    months = months_between(first, last)
    actual_steps = roundings(months, book.at)
    evaluated = [(ReformedBook(book, reform), Figures(months)) for reform in reforms]
    steps = [roundings(months, reformed.at) for reformed, _ in evaluated]
    refusals = any(reform.touches_refusals or reform.touches_scope for reform in reforms)
    standards = any(reform.touches_standards for reform in reforms)
    reentry = any(reform.touches_reentry for reform in reforms)
    continuation_reform = standards or any(reform.touches_continuation for reform in reforms)
    gate = Gate()
    chunks = read_ahead(
        engine,
        months,
        chunk,
        office,
        refusals=refusals,
        incomes=continuation_reform,
        assessments=standards,
        reentries=reentry,
    )
    with Session(reader(engine)) as session, closing(chunks):
        paid = paid_months(session, months)
        gate.months_checked = [m.label for m in months if m.label in paid]
        for ids, facts in chunks:
            if stop is not None and stop.is_set():
                raise Stopped
            for case_id in ids:
                slices = facts.slices.get(case_id, [])
                continuations = facts.continuations.get(case_id, [])
                actual_due = due_by_month(slices, months, actual_steps)
                _check_ledger(gate, case_id, months, paid, actual_due, facts)
                back_pays = facts.back_pays.get(case_id, [])
                actual_repaid = _recorded_back_pay(gate, case_id, back_pays, months, book)
                actual_money = _plus(actual_due, actual_repaid)
                same = rebuild(slices, continuations, book.at, today)
                if same.unresolved or not same_history(same.slices, slices):
                    gate.rebuild += 1
                    gate.differs(
                        {"check": "rebuild", "case_id": case_id, "why": same.unresolved or ""}
                    )
                if standards:
                    _check_assessments(gate, case_id, slices, facts, book, first.first)
                household = facts.households[case_id]
                groups = household_groups(household, last.last)
                for (reformed, figures), reform_steps in zip(evaluated, steps, strict=True):
                    history = _reformed_history(
                        figures,
                        slices,
                        continuations,
                        facts.sanctions.get(case_id, []),
                        facts.counts.get(case_id, []),
                        reformed,
                        today,
                        _reassessor(facts, case_id, household.persons) if continuations else None,
                        _restater(facts, case_id, first.first),
                        _reenterer(facts, case_id, first.first, last.last) if reentry else None,
                    )
                    reform_due, reform_repaid = None, actual_repaid
                    if history is not None:
                        reform_due = due_by_month(history, months, reform_steps)
                        if back_pays and actual_repaid is not None:
                            reform_repaid = _reformed_back_pay(
                                slices, history, back_pays, months, book, actual_repaid
                            )
                        reform_due = _plus(reform_due, reform_repaid)
                    _add_back_pay(figures, actual_repaid, reform_repaid)
                    _add(figures, groups, household.persons, actual_money, reform_due)
        _check_decisions(session, book, gate, first.first, last.last, chunk, office)
    return [
        _report(first, last, office, reformed.reform, gate, figures, paid)
        for reformed, figures in evaluated
    ]


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


def _reformed_history(
    figures: Figures,
    slices: Sequence[StatusSlice],
    continuations: Sequence[ContinuationFacts],
    sanctions: Sequence[SanctionFacts],
    counts: Sequence[CountFacts],
    reformed: ReformedBook,
    today: date,
    reassess: Reassess | None = None,
    restater: Restater | None = None,
    reenterer: Reenterer | None = None,
) -> Sequence[StatusSlice] | None:
    """The case's history under the reform, or None when it stays as it was."""
    reform = reformed.reform
    history: Sequence[StatusSlice] = slices
    if reform.touches_reentry and reenterer is not None:
        reentered = reenterer(reformed.at)
        figures.reentries_offered += reentered.offered
        figures.reentries_refused += reentered.refused
        if reentered.unresolved:
            figures.unresolved[reentered.unresolved] += 1
            return None
    restated = reform.touches_standards and restater is not None
    if restated:
        assert restater is not None
        outcome = restater(slices, reformed.at)
        if outcome.unresolved:
            figures.unresolved[outcome.unresolved] += 1
            return None
        figures.exited += outcome.exited
        figures.kept += outcome.kept
        history = outcome.slices
        if continuations:
            based = rebased(continuations, slices, history)
            if based is None:
                figures.unresolved[NO_BASE] += 1
                return None
            continuations = [c for c in based if _started(history, c)]
    if reform.touches_scope and sanctions:
        rescoped = rescope(history, sanctions, reformed.at)
        if rescoped.unresolved:
            figures.unresolved[rescoped.unresolved] += 1
            return None
        figures.sanctions_rescoped += rescoped.changed
        if rescoped.changed:
            history = rescoped.slices
    if reform.touches_refusals:
        figures.persons_newly_proposed += len(newly_proposed(counts, reformed.at))
        if sanctions:
            lifted = lift(history, sanctions, reformed.at)
            figures.sanctions_lifted += lifted.lifted
            history = lifted.slices
    if continuations and (reform.touches_continuation or restated):
        outcome = rebuild(history, continuations, reformed.at, today, reassess)
        if outcome.unresolved:
            figures.unresolved[outcome.unresolved] += 1
            return None
        figures.approximated += outcome.approximated
        figures.reassessed += outcome.reassessed
        history = outcome.slices
    if history is slices:
        return None
    return history


def _plus(due: list[int], repaid_: list[int] | None) -> list[int]:
    """A case's months with what appeals repaid of them (``backpay``)."""
    if repaid_ is None:
        return due
    return [a + b for a, b in zip(due, repaid_, strict=True)]


def _add_back_pay(figures: Figures, actual: list[int] | None, reform: list[int] | None) -> None:
    if actual is not None:
        figures.back_pay_actual += sum(actual)
        figures.back_pay_reform += sum(reform or [])


def _reformed_back_pay(
    slices: Sequence[StatusSlice],
    history: Sequence[StatusSlice],
    back_pays: Sequence[BackPayFacts],
    months: Sequence[Month],
    book: PolicyBook,
    recorded: list[int],
) -> list[int]:
    """``backpay.repaid``; a back pay whose version is unknown has failed the gate already
    (nothing is reported), so it is kept as recorded rather than stopping the replay."""
    try:
        return repaid(slices, history, back_pays, months, book.version)
    except (PolicyError, KeyError, ValueError):
        return recorded


def _recorded_back_pay(
    gate: Gate,
    case_id: int,
    back_pays: Sequence[BackPayFacts],
    months: Sequence[Month],
    book: PolicyBook,
) -> list[int] | None:
    """What upheld appeals repaid of each month of the range as recorded (None: nothing), each
    checked against its ledger row: split by the months it repaid, its whole period must give
    back the amount recorded, or the ledger is not reproduced."""
    if not back_pays:
        return None
    total = [0] * len(months)
    for facts in back_pays:
        try:
            by_month, whole = recorded_split(facts, months, book.version)
        except (PolicyError, KeyError, ValueError):
            by_month, whole = [0] * len(months), False
        if not whole:
            gate.ledger += 1
            gate.differs(
                {"check": "back-pay", "case_id": case_id, "sanction_id": facts.sanction_id}
            )
        total = [a + b for a, b in zip(total, by_month, strict=True)]
    return total


def _add(
    figures: Figures,
    groups: dict[str, str],
    persons: int,
    actual_due: list[int],
    reform_due: list[int] | None,
) -> None:
    figures.cases += 1
    reform_due = actual_due if reform_due is None else reform_due
    for i, (a, r) in enumerate(zip(actual_due, reform_due, strict=True)):
        figures.actual[i] += a
        figures.reform[i] += r
    actual_total, reform_total = sum(actual_due), sum(reform_due)
    if reform_total > actual_total:
        figures.gain += 1
        figures.persons_gain += persons
    elif reform_total < actual_total:
        figures.lose += 1
        figures.persons_lose += persons
    for dimension, value in groups.items():
        group = figures.groups.setdefault((dimension, value), GroupFigure())
        group.cases += 1
        group.actual += actual_total
        group.reform += reform_total
        group.gain += reform_total > actual_total
        group.lose += reform_total < actual_total


def _started(history: Sequence[StatusSlice], facts: ContinuationFacts) -> bool:
    """Whether the continuation's start is still in the history (a reform that refused or
    exited the household before the job leaves no continuation to rebuild)."""
    return any(s.rule == START and s.starts_on >= facts.job_start for s in history)


# --- the gate's checks ------------------------------------------------------------------------


def _check_assessments(
    gate: Gate,
    case_id: int,
    slices: Sequence[StatusSlice],
    facts: Chunk,
    book: PolicyBook,
    from_day: date,
) -> None:
    """Every recorded assessment gives its recorded outcome again under its recorded version,
    and the restatement with no change gives the history back."""
    records = facts.assessments.get(case_id, {})
    for period_id, recorded in records.items():
        for record in recorded:
            gate.assessments_checked += 1
            try:
                params = book.version(record["parameter_version"])
                again = assess_again(record, params)
                same = again.eligible == record["eligible"] and (
                    not again.eligible or outcome_fen(again) == record["monthly_amount_fen"]
                )
            except (PolicyError, KeyError, TypeError, ValueError):
                same = False
            if not same:
                gate.assessments += 1
                gate.differs({"check": "assessment", "case_id": case_id, "period_id": period_id})
    outcome = _restater(facts, case_id, from_day)(slices, book.at)
    if outcome.unresolved is None and not same_history(outcome.slices, slices):
        gate.rebuild += 1
        gate.differs({"check": "rebuild", "case_id": case_id, "why": "standards"})


def _check_ledger(
    gate: Gate,
    case_id: int,
    months: Sequence[Month],
    paid: set[str],
    due: Sequence[int],
    facts: Chunk,
) -> None:
    for month, owed in zip(months, due, strict=True):
        if month.label not in paid:
            continue
        line = facts.lines.get((case_id, month.label))
        paid_fen = (line or 0) + facts.corrections.get((case_id, month.label), 0)
        if paid_fen != owed and not (line is None and owed == 0):
            gate.ledger += 1
            gate.differs(
                {
                    "check": "ledger",
                    "case_id": case_id,
                    "month": month.label,
                    "ledger": fen_text(paid_fen),
                    "replayed": fen_text(owed),
                }
            )


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


Restater = Callable[[Sequence[StatusSlice], Callable[[date], ParameterSet]], Restated]


def _restater(facts: Chunk, case_id: int, from_day: date) -> Restater:
    def restated(
        slices: Sequence[StatusSlice], book_at: Callable[[date], ParameterSet]
    ) -> Restated:
        return restate(
            slices,
            facts.assessments.get(case_id, {}),
            book_at,
            from_day=from_day,
            next_case=facts.next_cases.get(case_id),
        )

    return restated


Reenterer = Callable[[Callable[[date], ParameterSet]], Reentered]


def _reenterer(facts: Chunk, case_id: int, first: date, last: date) -> Reenterer:
    origin = facts.origins.get(case_id, CaseOrigin(None, None))
    decisions = facts.reentries.get(case_id, [])
    return lambda book_at: reentries(origin, decisions, book_at, first, last)


def _reassessor(facts: Chunk, case_id: int, members: int) -> Reassess:
    household = facts.households[case_id]
    return reassessor(household.scheme, household.category, members, facts.incomes.get(case_id, []))
