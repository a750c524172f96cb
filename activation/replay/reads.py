"""The replay's reads: a fixed number of set-based statements per chunk of cases (a keyset over
``benefit_case.id``), whatever the length of a case's history, read on a thread of their own one
chunk ahead of the pricing (``engine``). Each returns plain facts for the pure rules; nothing
here decides anything.
"""

from __future__ import annotations

import queue
import threading
from collections import defaultdict
from collections.abc import Generator, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, String, and_, case, cast, func, literal, or_, select, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from activation.models import ActivationDecision, Appeal, Continuation, Sanction
from activation.replay.backpay import BackPayFacts
from activation.replay.continuation import ContinuationFacts
from activation.replay.groups import HouseholdFacts
from activation.replay.reassessment import IncomeFacts
from activation.replay.reentry import CaseOrigin, ReentryFacts
from activation.replay.refusals import CountFacts, SanctionFacts, TermsFacts, outcomes_of
from benefits.models import (
    Application,
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
from kernel.money import from_fen


@dataclass
class Chunk:
    slices: dict[int, list[StatusSlice]]
    continuations: dict[int, list[ContinuationFacts]]
    lines: dict[tuple[int, str], int]
    corrections: dict[tuple[int, str], int]
    households: dict[int, HouseholdFacts]
    sanctions: dict[int, list[SanctionFacts]] = field(default_factory=dict)
    counts: dict[int, list[CountFacts]] = field(default_factory=dict)
    incomes: dict[int, list[IncomeFacts]] = field(default_factory=dict)
    assessments: dict[int, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)
    next_cases: dict[int, date] = field(default_factory=dict)
    reentries: dict[int, list[ReentryFacts]] = field(default_factory=dict)
    origins: dict[int, CaseOrigin] = field(default_factory=dict)
    back_pays: dict[int, list[BackPayFacts]] = field(default_factory=dict)


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


def paid_months(session: Session, months: Sequence[Month]) -> set[str]:
    labels = [m.label for m in months]
    return set(
        session.execute(
            select(PaymentRun.period).where(
                col(PaymentRun.period).in_(labels), PaymentRun.state == "finished"
            )
        ).scalars()
    )


_DONE = object()

# The planner's cost of a page read at random, for the replay's reads (PostgreSQL's default is 4).
INDEX_PAGE_COST = "1.1"


def plan_for_chunks(session: Session) -> None:
    """Let PostgreSQL plan the chunk reads as what they are: a few thousand cases looked up by
    key, on pages a county's database holds in memory or on SSD.

    With the default cost of a random page (4, a spinning disk's), the planner joined a chunk's
    5,000 cases to their households by scanning the whole household table, in parallel, for
    every chunk: at a million households that was about 200 ms a chunk and half of the read
    floor, on a machine whose two cores the pricing needs. Costed at 1.1 it walks the keys
    (about 15 ms). ``SET LOCAL`` keeps it to the replay's own transaction, which also holds
    behind a transaction-pooling PgBouncer (docs/DEPLOYMENT.md); SQLite has no such setting.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL random_page_cost = {INDEX_PAGE_COST}"))
        # psycopg prepares a statement after a few uses, and PostgreSQL then settles on a
        # generic plan, blind to the chunk's bounds: the ledger read went from 9 ms to 215 ms a
        # chunk from the eighteenth chunk on (a scan of the whole month's partition). Each
        # chunk's read is planned for its own bounds instead.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        # A chunk's read is a few milliseconds of index walks; a parallel plan for it starts
        # helper processes that take the cores the replay's own workers are pricing on.
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def read_ahead(
    engine: Engine,
    months: Sequence[Month],
    size: int,
    office: str | None,
    *,
    refusals: bool,
    incomes: bool,
    assessments: bool = False,
    reentries: bool = False,
    low: int | None = None,
    high: int | None = None,
) -> Generator[tuple[list[int], Chunk], None, None]:
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
                plan_for_chunks(session)
                for ids in case_chunks(session, size, office, low=low, high=high):
                    if ending.is_set():
                        return
                    facts = load_chunk(
                        session,
                        ids,
                        months,
                        refusals=refusals,
                        incomes=incomes,
                        assessments=assessments,
                        reentries=reentries,
                    )
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


def parts_of(session: Session, parts: int, office: str | None = None) -> list[tuple[int, int]]:
    """The caseload cut into ``parts`` ranges of case ids with as many cases each (as near as
    whole cases allow): the first id of each and the last, in order; fewer when there are
    fewer cases than parts, none when there are none."""
    query = select(BenefitCase.id)
    if office:
        query = query.join(Household, col(Household.id) == BenefitCase.household_id).where(
            or_(Household.township == office, Household.community == office)
        )
    ranked = query.add_columns(
        func.ntile(parts).over(order_by=col(BenefitCase.id)).label("part")
    ).subquery()
    rows = session.execute(
        select(func.min(ranked.c.id), func.max(ranked.c.id))
        .group_by(ranked.c.part)
        .order_by(ranked.c.part)
    ).all()
    return [(int(low), int(high)) for low, high in rows]


def case_chunks(
    session: Session,
    size: int,
    office: str | None = None,
    *,
    low: int | None = None,
    high: int | None = None,
) -> Iterator[list[int]]:
    """The ids of the cases, ``size`` at a time, from ``low`` to ``high`` (both included)."""
    after = (low - 1) if low is not None else 0
    while True:
        query = select(BenefitCase.id).where(col(BenefitCase.id) > after)
        if high is not None:
            query = query.where(col(BenefitCase.id) <= high)
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
    assessments: bool = False,
    reentries: bool = False,
) -> Chunk:
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
    households, members = _households(session, low, high)
    return Chunk(
        slices=slices,
        continuations=_continuations(session, low, high),
        lines=_lines(session, low, high, months),
        corrections=_corrections(session, low, high, months),
        households=households,
        sanctions=_sanctions(session, low, high) if refusals else {},
        counts=_counts(session, low, high, members) if refusals else {},
        incomes=_incomes(session, low, high) if incomes else {},
        assessments=_assessments(session, low, high) if assessments else {},
        next_cases=_next_cases(session, low, high) if assessments else {},
        reentries=_reentries(session, low, high, members) if reentries else {},
        origins=_origins(session, low, high) if reentries else {},
        back_pays=_back_pays(session, low, high),
    )


def _reentries(
    session: Session, low: int, high: int, members: tuple[int, int] | None = None
) -> dict[int, list[ReentryFacts]]:
    """The ``reentry-right`` decisions about the members of each case's household."""
    found: dict[int, list[ReentryFacts]] = defaultdict(list)
    for case_id, _member_id, inputs, outcome in _household_decisions(
        session, low, high, "reentry-right", members
    ):
        found[case_id].append(ReentryFacts(inputs, bool(outcome["eligible"])))
    return found


def _household_decisions(
    session: Session, low: int, high: int, kind: str, members: tuple[int, int] | None = None
) -> Any:
    """Each decision of ``kind`` about a member of a chunk's case's household: the case, the
    member, the decision's inputs and outcome (a household's refusals and re-entry rights are
    the case's, whoever of its members they were about).

    Given the ids of the chunk's members as one close range (``_households``), the decisions
    are read by that range of their member index and joined to their cases: a few hundred
    rows. Without it, each member of the chunk looks up its decisions in every month's
    partition: 61 ms a chunk of 5,000 on the bench's million against 5 ms by the range. The
    range is only a bound: the join to the chunk's cases decides which decisions belong."""
    query = select(
        BenefitCase.id,
        ActivationDecision.member_id,
        ActivationDecision.inputs,
        ActivationDecision.outcome,
    )
    if members is None:
        query = query.join(Member, col(Member.household_id) == BenefitCase.household_id).join(
            ActivationDecision, col(ActivationDecision.member_id) == Member.id
        )
    else:
        query = (
            query.select_from(ActivationDecision)
            .join(Member, col(Member.id) == ActivationDecision.member_id)
            .join(BenefitCase, col(BenefitCase.household_id) == Member.household_id)
            .where(col(ActivationDecision.member_id).between(*members))
        )
    return session.execute(
        query.where(col(BenefitCase.id).between(low, high), ActivationDecision.kind == kind)
    )


def _origins(session: Session, low: int, high: int) -> dict[int, CaseOrigin]:
    """Whether a fast re-entry opened each case (its application's day), and when it closed."""
    return {
        case_id: CaseOrigin(applied_on if kind == "reentry" else None, closed_on)
        for case_id, kind, applied_on, closed_on in session.execute(
            select(BenefitCase.id, Application.kind, Application.applied_on, BenefitCase.closed_on)
            .outerjoin(Application, col(Application.id) == BenefitCase.application_id)
            .where(col(BenefitCase.id).between(low, high))
        )
    }


def _assessments(session: Session, low: int, high: int) -> dict[int, dict[int, list[dict]]]:
    """The assessments recorded on the chunk's periods, by case and period."""
    found: dict[int, dict[int, list[dict]]] = defaultdict(dict)
    for case_id, period_id, records in session.execute(
        select(CaseStatusPeriod.case_id, CaseStatusPeriod.id, CaseStatusPeriod.assessments).where(
            col(CaseStatusPeriod.case_id).between(low, high)
        )
    ):
        if records:
            found[case_id][period_id] = records
    return found


def _next_cases(session: Session, low: int, high: int) -> dict[int, date]:
    """For each case of the chunk, the first day of its household's next case, if any."""
    later = aliased(BenefitCase)
    return {
        case_id: day
        for case_id, day in session.execute(
            select(BenefitCase.id, func.min(CaseStatusPeriod.effective_from))
            .join(
                later,
                and_(later.household_id == BenefitCase.household_id, later.id > BenefitCase.id),
            )
            .join(CaseStatusPeriod, col(CaseStatusPeriod.case_id) == later.id)
            .where(col(BenefitCase.id).between(low, high))
            .group_by(col(BenefitCase.id))
        )
    }


def _incomes(session: Session, low: int, high: int) -> dict[int, list[IncomeFacts]]:
    """Every income of every member of the chunk's households that have a continuation, with
    the days it held: only a continuation's reassessment reads them (``pricing._reassessor``),
    and a county's households with one are a few in ten — the rest were read for nothing."""
    continued = select(Continuation.case_id).where(col(Continuation.case_id).between(low, high))
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
        .where(col(BenefitCase.id).between(low, high), col(BenefitCase.id).in_(continued))
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


def _counts(
    session: Session, low: int, high: int, members: tuple[int, int] | None = None
) -> dict[int, list[CountFacts]]:
    found: dict[int, list[CountFacts]] = defaultdict(list)
    for case_id, member_id, inputs, outcome in _household_decisions(
        session, low, high, "refusal-count", members
    ):
        found[case_id].append(_count_facts(member_id, inputs, outcome))
    return found


PACKED = 4  # a chunk's households read as one range when it spans at most 4 ids a case


def packed_range(
    lows: Sequence[int], highs: Sequence[int], items: int, packed: int = PACKED
) -> tuple[int, int] | None:
    """The ids a chunk's rows lie in (from the least of ``lows`` to the greatest of ``highs``)
    as one range to scan, when they lie close together: under ``packed`` ids an item.

    Cases and their households are mostly created together (an application makes both; the
    roll import and the bench write them in order), and a household's members with it, so a
    chunk's households and their members usually fill short runs of ids, read as one range of
    their index instead of an index probe per household — half the time on PostgreSQL. A
    household with a case opened long after it (a re-application) stretches the range; past
    ``packed`` ids an item they are read household by household as before."""
    if not lows:
        return None
    low, high = min(lows), max(highs)
    return (low, high) if high - low < packed * items else None


def _households(
    session: Session, low: int, high: int
) -> tuple[dict[int, HouseholdFacts], tuple[int, int] | None]:
    """Each case's household and its members summed in one row: the head (or, with none, the
    first member) picked, the members counted, the youngest and any disability taken by the
    database. A row per case instead of one per member is most of what the replay's reads cost
    (``groups.summary`` is the same sum; the tests hold them equal on both databases).

    The members are aggregated by household and the first joined back by id: no window
    function (SQLite materialises one through a temporary B-tree, at twice the time), and with
    the households' ids in one range (``packed_range``) a range scan of the members' index
    on both databases (on PostgreSQL 39 ms a chunk of 5,000 against 80 ms ranked by a window,
    one probe a household)."""
    inside = col(BenefitCase.id).between(low, high)
    ids = list(session.execute(select(BenefitCase.household_id).where(inside)).scalars())
    span = packed_range(ids, ids, len(ids), PACKED)
    if span is None:
        which = col(Member.household_id).in_(select(BenefitCase.household_id).where(inside))
        households = inside
    else:
        which = col(Member.household_id).between(*span)
        households = and_(inside, col(Household.id).between(*span))
    members = (
        select(
            col(Member.household_id).label("household_id"),
            func.count().label("members"),
            func.max(Member.birth_date).label("youngest"),
            func.max(case((col(Member.disability) != "none", 1), else_=0)).label("disabled"),
            func.coalesce(
                func.min(case((col(Member.relation) == "head", col(Member.id)))),
                func.min(Member.id),
            ).label("first_id"),
            func.min(Member.id).label("low_id"),
            func.max(Member.id).label("high_id"),
        )
        .where(which)
        .group_by(col(Member.household_id))
        .subquery()
    )
    first = aliased(Member)
    rows = session.execute(
        select(
            BenefitCase.id,
            Household.township,
            Household.community,
            Household.scheme,
            BenefitCase.category,
            func.coalesce(members.c.members, 0),
            first.sex,
            first.birth_date,
            members.c.youngest,
            func.coalesce(members.c.disabled, 0),
            members.c.low_id,
            members.c.high_id,
        )
        .join(Household, col(Household.id) == BenefitCase.household_id)
        .outerjoin(members, members.c.household_id == BenefitCase.household_id)
        .outerjoin(first, col(first.id) == members.c.first_id)
        .where(households)
    )
    found, lows, highs = {}, [], []
    for row in rows:
        found[row[0]] = HouseholdFacts(*row[1:6], *row[6:9], disabled=bool(row[9]))
        if row[10] is not None:
            lows.append(row[10])
            highs.append(row[11])
    persons = sum(facts.persons for facts in found.values())
    return found, packed_range(lows, highs, persons, PACKED)


def _continuations(session: Session, low: int, high: int) -> dict[int, list[ContinuationFacts]]:
    """Each case's continuations with the wage they began on (taken out of the decision's
    inputs by the database, not the whole inputs parsed here) and the member's later wages
    (read by the continuations' own range, not a list of members sent back)."""
    inside = col(Continuation.case_id).between(low, high)
    rows = session.execute(
        select(
            Continuation.id,
            Continuation.case_id,
            Continuation.member_id,
            Continuation.starts_on,
            Continuation.base_amount_fen,
            col(ActivationDecision.inputs)["monthly_income"].as_string(),
        )
        .join(ActivationDecision, col(ActivationDecision.id) == Continuation.decision_id)
        .where(inside)
    ).all()
    if not rows:
        return {}
    wages: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for member_id, day, amount in session.execute(
        select(MemberIncome.member_id, MemberIncome.effective_from, MemberIncome.monthly_amount_fen)
        .where(
            col(MemberIncome.member_id).in_(select(Continuation.member_id).where(inside)),
            MemberIncome.source == "wages",
        )
        .order_by(col(MemberIncome.member_id), col(MemberIncome.effective_from))
    ):
        wages[member_id].append((day, from_fen(amount)))
    found: dict[int, list[ContinuationFacts]] = defaultdict(list)
    for continuation_id, case_id, member_id, starts_on, base_fen, income in rows:
        found[case_id].append(
            ContinuationFacts(
                continuation_id=continuation_id,
                job_start=starts_on,
                previous_amount=from_fen(base_fen),
                start_income=Decimal(income),
                wage_changes=tuple((d, a) for d, a in wages.get(member_id, ()) if d > starts_on),
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


APPEAL_SOURCE = "appeal:"


def _back_pays(session: Session, low: int, high: int) -> dict[int, list[BackPayFacts]]:
    """The back pay upheld appeals owed the chunk's cases, with the sanction each repaid.

    Read for every replay: it is money paid, so the actual cost counts it whatever the reform.
    The adjustments come through their indexed ``case_id``; the appeals and sanctions behind
    them, when there are any, in a second statement by their keys. A back pay whose appeal is
    not on record (one brought in with a roll, say "appeal:bench") repaid a stop the history
    does not show, and is left out of both costs alike."""
    rows = session.execute(
        select(
            PaymentAdjustment.case_id,
            PaymentAdjustment.source,
            PaymentAdjustment.amount_fen,
            PaymentAdjustment.covers_from,
            PaymentAdjustment.covers_to,
        ).where(
            col(PaymentAdjustment.case_id).between(low, high),
            PaymentAdjustment.kind == "back_pay",
            col(PaymentAdjustment.source).startswith(APPEAL_SOURCE),
        )
    ).all()
    appeal_ids = {_appeal_id(source) for _, source, *_ in rows} - {None}
    if not appeal_ids:
        return {}
    sanctions = {
        appeal_id: (sanction_id, started_on, terms)
        for appeal_id, sanction_id, started_on, terms in session.execute(
            select(Appeal.id, Sanction.id, Sanction.started_on, Sanction.terms)
            .join(Sanction, col(Sanction.id) == Appeal.sanction_id)
            .where(col(Appeal.id).in_(sorted(appeal_ids)))
        )
    }
    found: dict[int, list[BackPayFacts]] = defaultdict(list)
    for case_id, source, amount, covers_from, covers_to in rows:
        behind = sanctions.get(_appeal_id(source))
        if behind is None or behind[1] is None or not behind[2]:
            continue
        sanction_id, started_on, terms = behind
        found[case_id].append(
            BackPayFacts(
                sanction_id=sanction_id,
                started_on=started_on,
                covers_from=covers_from,
                covers_to=covers_to,
                amount_fen=amount,
                monthly_reduction=Decimal(terms["monthly_reduction"]),
                parameter_version=terms["parameter_version"],
            )
        )
    return found


def _appeal_id(source: str) -> int | None:
    tail = source.removeprefix(APPEAL_SOURCE)
    return int(tail) if tail.isdigit() else None


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
