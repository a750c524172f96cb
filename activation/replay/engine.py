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

import queue
import threading
from collections import defaultdict
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, String, and_, cast, literal, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from activation.models import ActivationDecision, Continuation, Sanction
from activation.replay.continuation import ContinuationFacts, Reassess, rebuild, same_history
from activation.replay.groups import DIMENSIONS, MemberFacts, groups_of
from activation.replay.money import due_by_month, months_between, roundings
from activation.replay.reassessment import IncomeFacts, reassessor
from activation.replay.reform import Reform, ReformedBook
from activation.replay.refusals import (
    CountFacts,
    SanctionFacts,
    TermsFacts,
    lift,
    newly_proposed,
    outcomes_of,
)
from activation.replay.scope import rescope
from activation.rules import REPLAYERS, replay
from benefits.models import (
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    MemberIncome,
    PaymentAdjustment,
    PaymentLine,
    PaymentRun,
)
from benefits.payment_rules import RECOMPUTE_SOURCE, Month, StatusSlice
from kernel.db import reader
from kernel.errors import Problem
from kernel.messages import say
from kernel.money import fen_text, from_fen
from kernel.policy import PolicyBook, PolicyError

CHUNK = 5_000


class Stopped(Exception):
    """The service is stopping: a replay in a thread of it gives up between chunks."""


EXAMPLES = 20  # differences shown by the gate; all are counted


@dataclass
class Gate:
    ledger: int = 0
    decisions: int = 0
    rebuild: int = 0
    decisions_checked: int = 0
    months_checked: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (self.ledger or self.decisions or self.rebuild)

    def differs(self, example: dict[str, Any]) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "months_checked": self.months_checked,
            "decisions_checked": self.decisions_checked,
            "differences": {
                "ledger": self.ledger,
                "decisions": self.decisions,
                "rebuild": self.rebuild,
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
    continuation_reform = any(reform.touches_continuation for reform in reforms)
    gate = Gate()
    chunks = read_ahead(
        engine, months, chunk, office, refusals=refusals, incomes=continuation_reform
    )
    with Session(reader(engine)) as session, closing(chunks):
        paid = _paid_months(session, months)
        gate.months_checked = [m.label for m in months if m.label in paid]
        for ids, facts in chunks:
            if stop is not None and stop.is_set():
                raise Stopped
            for case_id in ids:
                slices = facts.slices.get(case_id, [])
                continuations = facts.continuations.get(case_id, [])
                members = facts.members.get(case_id, [])
                actual_due = due_by_month(slices, months, actual_steps)
                _check_ledger(gate, case_id, months, paid, actual_due, facts)
                same = rebuild(slices, continuations, book.at, today)
                if same.unresolved or not same_history(same.slices, slices):
                    gate.rebuild += 1
                    gate.differs(
                        {"check": "rebuild", "case_id": case_id, "why": same.unresolved or ""}
                    )
                groups = groups_of(*facts.households[case_id], members, last.last)
                for (reformed, figures), reform_steps in zip(evaluated, steps, strict=True):
                    reform_due = _reformed_due(
                        figures,
                        slices,
                        continuations,
                        facts.sanctions.get(case_id, []),
                        facts.counts.get(case_id, []),
                        reformed,
                        reform_steps,
                        today,
                        _reassessor(facts, case_id, len(members)) if continuations else None,
                    )
                    _add(figures, groups, len(members), actual_due, reform_due)
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
            "sanctions_lifted": figures.sanctions_lifted,
            "sanctions_rescoped": figures.sanctions_rescoped,
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


def _reformed_due(
    figures: Figures,
    slices: Sequence[StatusSlice],
    continuations: Sequence[ContinuationFacts],
    sanctions: Sequence[SanctionFacts],
    counts: Sequence[CountFacts],
    reformed: ReformedBook,
    reform_steps: Sequence[Any],
    today: date,
    reassess: Reassess | None = None,
) -> list[int] | None:
    """The case's months under the reform, or None when its history stays as it was."""
    reform = reformed.reform
    history: Sequence[StatusSlice] = slices
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
    if continuations and reform.touches_continuation:
        outcome = rebuild(history, continuations, reformed.at, today, reassess)
        if outcome.unresolved:
            figures.unresolved[outcome.unresolved] += 1
            return None
        figures.approximated += outcome.approximated
        figures.reassessed += outcome.reassessed
        history = outcome.slices
    if history is slices:
        return None
    return due_by_month(history, figures.months, reform_steps)


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


# --- the gate's checks ------------------------------------------------------------------------


def _check_ledger(
    gate: Gate,
    case_id: int,
    months: Sequence[Month],
    paid: set[str],
    due: Sequence[int],
    facts: _Chunk,
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


# --- reads ------------------------------------------------------------------------------------


@dataclass
class _Chunk:
    slices: dict[int, list[StatusSlice]]
    continuations: dict[int, list[ContinuationFacts]]
    lines: dict[tuple[int, str], int]
    corrections: dict[tuple[int, str], int]
    households: dict[int, tuple[str, str, str, str]]  # township, community, scheme, category
    members: dict[int, list[MemberFacts]]
    sanctions: dict[int, list[SanctionFacts]] = field(default_factory=dict)
    counts: dict[int, list[CountFacts]] = field(default_factory=dict)
    incomes: dict[int, list[IncomeFacts]] = field(default_factory=dict)


def _reassessor(facts: _Chunk, case_id: int, members: int) -> Reassess:
    _, _, scheme, category = facts.households[case_id]
    return reassessor(scheme, category, members, facts.incomes.get(case_id, []))


def office_problems(engine: Engine, office: str | None) -> list[Problem]:
    """An office the replay is asked for must be a township or community with households."""
    if office is None:
        return []
    with Session(reader(engine)) as session:
        found = session.execute(
            select(Household.id)
            .where(or_(Household.township == office, Household.community == office))
            .limit(1)
        ).first()
    if found is None:
        return [Problem("office", "office-unknown", say("no office %(office)s", office=office))]
    return []


def _paid_months(session: Session, months: Sequence[Month]) -> set[str]:
    labels = [m.label for m in months]
    return set(
        session.execute(
            select(PaymentRun.period).where(
                col(PaymentRun.period).in_(labels), PaymentRun.state == "finished"
            )
        ).scalars()
    )


_DONE = object()


def read_ahead(
    engine: Engine,
    months: Sequence[Month],
    size: int,
    office: str | None,
    *,
    refusals: bool,
    incomes: bool,
) -> Generator[tuple[list[int], _Chunk], None, None]:
    """The chunks, read on a thread of their own one chunk ahead of the pricing.

    The database's share of a read (PostgreSQL's process, SQLite's C code) runs while the rules
    price the chunk before, instead of after it. One session reads every chunk in order, so
    they come from one transaction as before; at most two chunks wait beside the one priced,
    so memory stays bounded by the chunk. Closing the generator (an error, a stop) ends the
    thread after the read in hand.
    """
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    ending = threading.Event()

    def read() -> None:
        try:
            with Session(reader(engine)) as session:
                for ids in case_chunks(session, size, office):
                    if ending.is_set():
                        return
                    facts = load_chunk(session, ids, months, refusals=refusals, incomes=incomes)
                    ready.put((ids, facts))
            ready.put(_DONE)
        except BaseException as exc:  # handed to the pricing thread, which raises it
            ready.put(exc)

    thread = threading.Thread(target=read, name="replay-reads", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        ending.set()
        while thread.is_alive():  # let a read waiting to hand over a chunk finish
            with suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()


def case_chunks(session: Session, size: int, office: str | None = None) -> Iterator[list[int]]:
    after = 0
    while True:
        query = select(BenefitCase.id).where(col(BenefitCase.id) > after)
        if office:
            query = query.join(Household, col(Household.id) == BenefitCase.household_id).where(
                or_(Household.township == office, Household.community == office)
            )
        ids = list(session.execute(query.order_by(col(BenefitCase.id)).limit(size)).scalars())
        if not ids:
            return
        yield ids
        after = ids[-1]


def load_chunk(
    session: Session,
    ids: list[int],
    months: Sequence[Month],
    *,
    refusals: bool = False,
    incomes: bool = False,
) -> _Chunk:
    low, high = ids[0], ids[-1]
    slices: dict[int, list[StatusSlice]] = defaultdict(list)
    for row in session.execute(
        select(
            CaseStatusPeriod.case_id,
            CaseStatusPeriod.id,
            CaseStatusPeriod.status,
            CaseStatusPeriod.effective_from,
            CaseStatusPeriod.effective_to,
            CaseStatusPeriod.monthly_amount_fen,
            CaseStatusPeriod.rule,
            CaseStatusPeriod.parameter_version,
        )
        .where(col(CaseStatusPeriod.case_id).between(low, high))
        .order_by(
            col(CaseStatusPeriod.case_id),
            col(CaseStatusPeriod.effective_from),
            col(CaseStatusPeriod.id),
        )
    ):
        slices[row[0]].append(StatusSlice(*row[1:]))
    return _Chunk(
        slices=slices,
        continuations=_continuations(session, low, high),
        lines=_lines(session, low, high, months),
        corrections=_corrections(session, low, high, months),
        households=_households(session, low, high),
        members=_members(session, low, high),
        sanctions=_sanctions(session, low, high) if refusals else {},
        counts=_counts(session, low, high) if refusals else {},
        incomes=_incomes(session, low, high) if incomes else {},
    )


def _incomes(session: Session, low: int, high: int) -> dict[int, list[IncomeFacts]]:
    """Every income of every member of the chunk's households, with the days it held."""
    found: dict[int, list[IncomeFacts]] = defaultdict(list)
    for case_id, amount, starts_on, ends_on in session.execute(
        select(
            BenefitCase.id,
            MemberIncome.monthly_amount_fen,
            MemberIncome.effective_from,
            MemberIncome.effective_to,
        )
        .join(Member, col(Member.household_id) == BenefitCase.household_id)
        .join(MemberIncome, col(MemberIncome.member_id) == Member.id)
        .where(col(BenefitCase.id).between(low, high))
    ):
        found[case_id].append(IncomeFacts(from_fen(amount), starts_on, ends_on))
    return found


def _count_facts(member_id: int, inputs: dict[str, Any], outcome: dict[str, Any]) -> CountFacts:
    return CountFacts(
        member_id=member_id,
        on=date.fromisoformat(inputs["on"]),
        outcomes=outcomes_of(inputs["outcomes"]),
        consequence=str(outcome.get("consequence", "")),
    )


def _sanctions(session: Session, low: int, high: int) -> dict[int, list[SanctionFacts]]:
    """Each sanction of the chunk with the count that proposed it and, once confirmed, what
    its terms were worked out from (its ``sanction-terms`` decision)."""
    terms = aliased(ActivationDecision)
    found: dict[int, list[SanctionFacts]] = defaultdict(list)
    for sanction_id, case_id, member_id, started_on, inputs, outcome, given in session.execute(
        select(
            Sanction.id,
            Sanction.case_id,
            Sanction.member_id,
            Sanction.started_on,
            ActivationDecision.inputs,
            ActivationDecision.outcome,
            terms.inputs,
        )
        .join(ActivationDecision, col(ActivationDecision.id) == Sanction.count_decision_id)
        .outerjoin(
            terms,
            and_(  # the member's decisions (indexed), then the one about this sanction
                terms.member_id == Sanction.member_id,
                terms.kind == "sanction-terms",
                terms.ref == literal("sanction:") + cast(Sanction.id, String),
            ),
        )
        .where(col(Sanction.case_id).between(low, high))
    ):
        found[case_id].append(
            SanctionFacts(
                sanction_id,
                _count_facts(member_id, inputs, outcome),
                started_on,
                _terms_facts(given) if given else None,
            )
        )
    return found


def _terms_facts(inputs: dict[str, Any]) -> TermsFacts:
    return TermsFacts(
        confirmed_on=date.fromisoformat(inputs["confirmed_on"]),
        household_amount=Decimal(inputs["household_amount"]),
        member_count=int(inputs["member_count"]),
    )


def _counts(session: Session, low: int, high: int) -> dict[int, list[CountFacts]]:
    found: dict[int, list[CountFacts]] = defaultdict(list)
    for case_id, member_id, inputs, outcome in session.execute(
        select(
            BenefitCase.id,
            ActivationDecision.member_id,
            ActivationDecision.inputs,
            ActivationDecision.outcome,
        )
        .join(Member, col(Member.household_id) == BenefitCase.household_id)
        .join(ActivationDecision, col(ActivationDecision.member_id) == Member.id)
        .where(
            col(BenefitCase.id).between(low, high),
            ActivationDecision.kind == "refusal-count",
        )
    ):
        found[case_id].append(_count_facts(member_id, inputs, outcome))
    return found


def _households(session: Session, low: int, high: int) -> dict[int, tuple[str, str, str, str]]:
    return {
        case_id: (township, community, scheme, category)
        for case_id, township, community, scheme, category in session.execute(
            select(
                BenefitCase.id,
                Household.township,
                Household.community,
                Household.scheme,
                BenefitCase.category,
            )
            .join(Household, col(Household.id) == BenefitCase.household_id)
            .where(col(BenefitCase.id).between(low, high))
        )
    }


def _members(session: Session, low: int, high: int) -> dict[int, list[MemberFacts]]:
    found: dict[int, list[MemberFacts]] = defaultdict(list)
    for case_id, relation, sex, birth, disability in session.execute(
        select(BenefitCase.id, Member.relation, Member.sex, Member.birth_date, Member.disability)
        .join(Member, col(Member.household_id) == BenefitCase.household_id)
        .where(col(BenefitCase.id).between(low, high))
        .order_by(col(BenefitCase.id), col(Member.id))
    ):
        found[case_id].append(MemberFacts(relation, sex, birth, disability))
    return found


def _continuations(session: Session, low: int, high: int) -> dict[int, list[ContinuationFacts]]:
    rows = session.execute(
        select(
            Continuation.id,
            Continuation.case_id,
            Continuation.member_id,
            Continuation.starts_on,
            Continuation.base_amount_fen,
            ActivationDecision.inputs,
        )
        .join(ActivationDecision, col(ActivationDecision.id) == Continuation.decision_id)
        .where(col(Continuation.case_id).between(low, high))
    ).all()
    if not rows:
        return {}
    wages: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for member_id, day, amount in session.execute(
        select(MemberIncome.member_id, MemberIncome.effective_from, MemberIncome.monthly_amount_fen)
        .where(
            col(MemberIncome.member_id).in_(sorted({r[2] for r in rows})),
            MemberIncome.source == "wages",
        )
        .order_by(col(MemberIncome.member_id), col(MemberIncome.effective_from))
    ):
        wages[member_id].append((day, from_fen(amount)))
    found: dict[int, list[ContinuationFacts]] = defaultdict(list)
    for continuation_id, case_id, member_id, starts_on, base_fen, inputs in rows:
        found[case_id].append(
            ContinuationFacts(
                continuation_id=continuation_id,
                job_start=starts_on,
                previous_amount=from_fen(base_fen),
                start_income=Decimal(inputs["monthly_income"]),
                wage_changes=tuple((d, a) for d, a in wages[member_id] if d > starts_on),
            )
        )
    return found


def _lines(
    session: Session, low: int, high: int, months: Sequence[Month]
) -> dict[tuple[int, str], int]:
    return {
        (case_id, period): regular
        for case_id, period, regular in session.execute(
            select(PaymentLine.case_id, PaymentLine.period, PaymentLine.regular_fen).where(
                col(PaymentLine.case_id).between(low, high),
                col(PaymentLine.period).between(months[0].label, months[-1].label),
            )
        )
    }


def _corrections(
    session: Session, low: int, high: int, months: Sequence[Month]
) -> dict[tuple[int, str], int]:
    sources = {f"{RECOMPUTE_SOURCE}:{m.label}": m.label for m in months}
    found: dict[tuple[int, str], int] = defaultdict(int)
    for case_id, source, amount in session.execute(
        select(
            PaymentAdjustment.case_id, PaymentAdjustment.source, PaymentAdjustment.amount_fen
        ).where(
            and_(
                col(PaymentAdjustment.case_id).between(low, high),
                col(PaymentAdjustment.source).in_(list(sources)),
            )
        )
    ):
        found[(case_id, sources[source])] += amount
    return found
