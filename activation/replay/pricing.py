"""The pricing of a replay: each case of a range of the caseload, as recorded and under every
reform, with the gate's checks of that case (``engine`` runs it on the whole caseload, in this
process or in parts on worker processes).

For each chunk of cases (a keyset over ``benefit_case.id``) a fixed number of set-based reads
fetch what the rules need (``reads``); the rest is the pure rules, case by case.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine

from activation.replay.backpay import BackPayFacts, recorded_split, repaid
from activation.replay.continuation import (
    START,
    ContinuationFacts,
    Reassess,
    Rebuilt,
    rebuild,
    same_history,
)
from activation.replay.figures import Figures, Gate, add_change, add_recorded, fold, plus
from activation.replay.groups import group_key
from activation.replay.money import due_by_month, months_between, roundings
from activation.replay.reads import Chunk, read_ahead
from activation.replay.reassessment import reassessor
from activation.replay.reentry import CaseOrigin, Reentered, reentries
from activation.replay.reform import Reform, ReformedBook
from activation.replay.refusals import CountFacts, SanctionFacts, lift, newly_proposed
from activation.replay.scope import rescope
from activation.replay.standards import NO_BASE, Restated, rebased, restate
from benefits.assessments import assess_again, outcome_fen
from benefits.payment_rules import Month, StatusSlice
from kernel.db import make_engine
from kernel.memory import peak_memory_mib, reset_peak_memory
from kernel.money import fen_text
from kernel.policy import ParameterSet, PolicyBook, PolicyError


class Stopped(Exception):
    """The service is stopping: a replay in a thread of it gives up between chunks."""


@dataclass
class Pricing:
    """One replay's rules: the range's months, the book, each reform with its figures."""

    book: PolicyBook
    first: Month
    last: Month
    reforms: Sequence[Reform]
    today: date
    months: list[Month] = field(init=False)
    actual_steps: list[Any] = field(init=False)
    evaluated: list[tuple[ReformedBook, Figures]] = field(init=False)
    unique_steps: list[list[Any]] = field(init=False)
    step_keys: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.months = months_between(self.first, self.last)
        self.actual_steps = roundings(self.months, self.book.at)
        self.evaluated = [
            (ReformedBook(self.book, reform), Figures(self.months)) for reform in self.reforms
        ]
        # Each reform's rounding of each month; reforms that round alike share one entry, so
        # a case's history that several grid points give alike is priced once (``price``).
        self.unique_steps = []
        self.step_keys = []
        for reformed, _ in self.evaluated:
            steps = roundings(self.months, reformed.at)
            if steps not in self.unique_steps:
                self.unique_steps.append(steps)
            self.step_keys.append(self.unique_steps.index(steps))

    @property
    def refusals(self) -> bool:
        return any(r.touches_refusals or r.touches_scope for r in self.reforms)

    @property
    def standards(self) -> bool:
        return any(r.touches_standards for r in self.reforms)

    @property
    def reentry(self) -> bool:
        return any(r.touches_reentry for r in self.reforms)

    @property
    def continuation(self) -> bool:
        return self.standards or any(r.touches_continuation for r in self.reforms)

    @property
    def figures(self) -> list[Figures]:
        return [figures for _, figures in self.evaluated]


@dataclass(frozen=True)
class Part:
    """A range of the caseload (case ids ``low``..``high``, both included; None: no bound)."""

    low: int | None = None
    high: int | None = None


def price(
    engine: Engine,
    pricing: Pricing,
    gate: Gate,
    paid: set[str],
    *,
    chunk: int,
    office: str | None,
    part: Part = Part(),
    stop: threading.Event | None = None,
) -> None:
    """Price every case of ``part``, checking each against the ledger and its rebuild."""
    months, book, today = pricing.months, pricing.book, pricing.today
    first, last = pricing.first, pricing.last
    standards, reentry = pricing.standards, pricing.reentry
    chunks = read_ahead(
        engine,
        months,
        chunk,
        office,
        refusals=pricing.refusals,
        incomes=pricing.continuation,
        assessments=standards,
        reentries=reentry,
        low=part.low,
        high=part.high,
    )
    base = Figures(months)  # every case as recorded, given to each reform at the end (``fold``)
    with closing(chunks):
        for ids, facts in chunks:
            if stop is not None and stop.is_set():
                raise Stopped
            for case_id in ids:
                slices = facts.slices.get(case_id, [])
                continuations = facts.continuations.get(case_id, [])
                actual_due = due_by_month(slices, months, pricing.actual_steps)
                _check_ledger(gate, case_id, months, paid, actual_due, facts)
                back_pays = facts.back_pays.get(case_id, [])
                actual_repaid = _recorded_back_pay(gate, case_id, back_pays, months, book)
                actual_money = plus(actual_due, actual_repaid)
                same = rebuild(slices, continuations, book.at, today)
                if same.unresolved or not same_history(same.slices, slices):
                    gate.rebuild += 1
                    gate.differs(
                        {"check": "rebuild", "case_id": case_id, "why": same.unresolved or ""}
                    )
                if standards:
                    _check_assessments(gate, case_id, slices, facts, book, first.first)
                household = facts.households[case_id]
                groups = group_key(household, last.last)
                add_recorded(base, groups, actual_money, actual_repaid)
                sanctions = facts.sanctions.get(case_id, [])
                counts = facts.counts.get(case_id, [])
                reassess = _reassessor(facts, case_id, household.persons) if continuations else None
                restater = _restater(facts, case_id, first.first) if standards else None
                reenterer = _reenterer(facts, case_id, first.first, last.last) if reentry else None
                rebuilt: dict[Any, Rebuilt] = {}
                priced: dict[tuple[tuple[StatusSlice, ...], int], list[int]] = {}
                for (reformed, figures), steps_key in zip(
                    pricing.evaluated, pricing.step_keys, strict=True
                ):
                    history = _reformed_history(
                        figures,
                        slices,
                        continuations,
                        sanctions,
                        counts,
                        reformed,
                        today,
                        reassess,
                        restater,
                        reenterer,
                        rebuilt,
                    )
                    if history is None:
                        continue
                    key = (tuple(history), steps_key)
                    reform_due = priced.get(key)
                    if reform_due is None:
                        reform_due = priced[key] = due_by_month(
                            history, months, pricing.unique_steps[steps_key]
                        )
                    repaid = None
                    if back_pays and actual_repaid is not None:
                        reform_repaid = _reformed_back_pay(
                            slices, history, back_pays, months, book, actual_repaid
                        )
                        reform_due = plus(reform_due, reform_repaid)
                        repaid = (actual_repaid, reform_repaid)
                    add_change(figures, groups, household.persons, actual_money, reform_due, repaid)
    for _, figures in pricing.evaluated:
        fold(base, figures)


@dataclass
class Priced:
    """What a worker hands back: its part's gate and figures, and its peak memory."""

    gate: Gate
    figures: list[Figures]
    peak_memory_mib: float


def price_part(
    url: str,
    pricing: Pricing,
    paid: set[str],
    chunk: int,
    office: str | None,
    part: Part,
) -> Priced:
    """A worker process's share: ``part`` of the caseload read on its own connection."""
    measured = reset_peak_memory()
    engine = make_engine(url)
    try:
        gate = Gate()
        price(engine, pricing, gate, paid, chunk=chunk, office=office, part=part)
        return Priced(gate, pricing.figures, peak_memory_mib(measured))
    finally:
        engine.dispose()


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
    rebuilt: dict[Any, Rebuilt] | None = None,
) -> Sequence[StatusSlice] | None:
    """The case's history under the reform, or None when it stays as it was.

    ``rebuilt`` keeps this case's continuation rebuilds for the other reforms of the pass: the
    points of a grid that differ only in refusals or re-entry rebuild the same history alike
    (``Reform.rebuild_key``). Points that differ in the line or the months often give a case the
    same history too (a wage far from every line); ``price`` then prices it once."""
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
        if counts:
            figures.persons_newly_proposed += len(newly_proposed(counts, reformed.at))
        if sanctions:
            lifted = lift(history, sanctions, reformed.at)
            figures.sanctions_lifted += lifted.lifted
            history = lifted.slices
    if continuations and (reform.touches_continuation or restated):
        key = (tuple(history), reform.rebuild_key)
        outcome = rebuilt.get(key) if rebuilt is not None else None
        if outcome is None:
            outcome = rebuild(history, continuations, reformed.at, today, reassess)
            if rebuilt is not None:
                rebuilt[key] = outcome
        if outcome.unresolved:
            figures.unresolved[outcome.unresolved] += 1
            return None
        figures.approximated += outcome.approximated
        figures.reassessed += outcome.reassessed
        history = outcome.slices
    if history is slices:
        return None
    return history


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
