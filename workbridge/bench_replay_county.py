"""The jobs and refusals behind the synthetic county's continuations and sanctions, for
``workbridge bench replay``.

``benefits.bench`` writes the payment run's county: its continuation scenarios are status
periods only, since the benefits layer knows nothing of jobs. A replay reforming the
continuation rebuilds a case's history from the facts the service records when a person takes
a job (``activation.work``): the job, its wage as the member's income from the first day, the
``continuation-terms`` decision and the continuation itself, and a ``continuation-start``
period. ``add_continuations`` writes those facts for every synthetic continuation, in bulk,
with the terms worked out by the service's own rule (``activation.rules.continuation_terms``,
POLICY.md rule 4) on a wage drawn for the period's status, so the no-change replay must still
pass its gate and a reform of the line or the months changes these households as it would a
real county's.

The wages straddle the line on purpose: a half continuation's wage is drawn from the line to
half as much again above it, so a higher line (the bench's reform) turns some of them full.
And the starts spread over the year: the generator begins every continuation in the last weeks,
where no reform of the months could change it; one in two of those is moved back up to eleven
months, and one whose term has run out is ended with the household reassessed, as the service
does, so a shorter continuation hands over to that reassessment earlier and a longer one runs
on.

``add_sanctions`` does the same for the refusal rule (POLICY.md rule 3): every synthetic
sanction scenario becomes a sanction proposed by a ``refusal-count`` decision on exactly the
threshold's number of refusals, confirmed by a second officer (its ``sanction-terms`` decision)
and cut from the day after the notice, as ``activation.sanctions`` does; and one household in
twenty of the others has a member with one counted refusal, a count that warns. A higher threshold
lifts those sanctions; a threshold of one would newly propose the warned, each counted as
needing a person.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Date, Engine, bindparam, text

from activation.replay.continuation import START
from activation.replay.reassessment import IncomeFacts, reassessor
from activation.rules import Outcome, continuation_terms, count_refusals, sanction_terms
from benefits.bench import PERIOD_COLUMNS, settle_generated, stamp_text, write_rows
from benefits.payment_rules import Month
from kernel.db import make_engine
from kernel.elsewhere import run_elsewhere
from kernel.money import from_fen, to_fen
from kernel.policy import ParameterSet, PolicyBook

SYNTHETIC_RULES = ("bench-continuation_full", "bench-continuation_half")
ACTOR = "workbridge bench"
JOB_COLUMNS = (
    "id",
    "member_id",
    "household_id",
    "employer",
    "occupation",
    "starts_on",
    "monthly_income_fen",
    "hours_per_week",
    "source",
    "recorded_by",
    "created_at",
)
INCOME_COLUMNS = ("member_id", "source", "monthly_amount_fen", "effective_from", "recorded_at")
DECISION_COLUMNS = (
    "id",
    "member_id",
    "kind",
    "ref",
    "decided_on",
    "decided_at",
    "actor",
    "inputs",
    "rule_path",
    "outcome",
    "parameter_version",
)
CONTINUATION_COLUMNS = (
    "job_id",
    "case_id",
    "member_id",
    "starts_on",
    "ends_on",
    "base_amount_fen",
    "status",
    "fraction",
    "state",
    "decision_id",
    "ended_on",
)
EARLIER_ONE_IN = 2  # continuations begun before this month moved back into the year
EARLIEST_DAYS = 330  # how far back a moved job start may go
ENDED_REASON = "continuation ended; reassessed on current incomes (synthetic)"


SANCTION_SCENARIO = "member-share sanction"  # benefits.bench's scenario of a cut mid-month
SANCTION_COLUMNS = (
    "id",
    "member_id",
    "household_id",
    "case_id",
    "state",
    "proposed_on",
    "proposed_by",
    "referral_ids",
    "count_decision_id",
    "confirmed_by",
    "confirmed_on",
    "terms",
    "started_on",
)
WARNED_ONE_IN = 20  # households of the other scenarios with one counted refusal


@dataclass(frozen=True)
class SyntheticContinuation:
    period_id: int
    case_id: int
    household_id: int
    member_id: int  # the household's first member, who took the job
    status: str
    starts_on: date
    previous_fen: int  # the case's amount before the job (its entitled amount)
    amount_fen: int  # the period's amount as generated
    current: bool  # the case's open period: its amount is the case's amount too
    before_id: int  # the period before it (the approval's), which ends the day before
    opened: date  # the case's first day
    scheme: str
    category: str
    members: int


def synthetic_continuations(engine: Engine) -> list[SyntheticContinuation]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.id, c.id, c.household_id, m.member_id, p.status, p.effective_from,"
                " c.entitled_amount_fen, p.monthly_amount_fen, p.effective_to IS NULL,"
                " b.id, b.effective_from, h.scheme, c.category, m.members"
                " FROM case_status_period p JOIN benefit_case c ON c.id = p.case_id"
                " JOIN household h ON h.id = c.household_id"
                " JOIN case_status_period b ON b.case_id = c.id"
                "  AND b.rule = 'application-approved'"
                " JOIN (SELECT household_id, MIN(id) AS member_id, COUNT(*) AS members"
                "       FROM member GROUP BY household_id) m ON m.household_id = c.household_id"
                " WHERE p.rule IN :rules ORDER BY p.id"
            ).bindparams(bindparam("rules", list(SYNTHETIC_RULES), expanding=True))
        )
        return [
            SyntheticContinuation(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                _day(r[5]),
                r[6],
                r[7],
                bool(r[8]),
                r[9],
                _day(r[10]),
                r[11],
                r[12],
                r[13],
            )
            for r in rows
        ]


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _highest_ids(conn: Connection, *tables: str) -> list[int]:
    """The highest id in each table: the rows written here are numbered after them."""
    return [
        int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one())
        for table in tables
    ]


def drawn_wage(rng: random.Random, status: str, line: Decimal) -> Decimal:
    """A monthly wage that gives ``status`` under ``line``: below it for a full continuation,
    from the line to half as much again above it for a half one."""
    fen = to_fen(line)
    if status == "continuation_full":
        return from_fen(rng.randrange(fen // 3, fen))
    return from_fen(rng.randrange(fen, fen * 3 // 2))


def earlier_start(rng: random.Random, item: SyntheticContinuation, today: date) -> date:
    """A job start drawn from the year before the generated one, a fortnight after the case
    opened at the earliest; the generated start when there is no room."""
    earliest = max(item.opened + timedelta(days=14), today - timedelta(days=EARLIEST_DAYS))
    if earliest >= item.starts_on:
        return item.starts_on
    return earliest + timedelta(days=rng.randrange((item.starts_on - earliest).days))


def add_continuations(engine: Engine, policy: PolicyBook, today: date, *, seed: int = 7) -> int:
    """Write the job, wage, decision and continuation behind every synthetic continuation
    period, and mark the period as the service does; returns how many.

    One in ``EARLIER_ONE_IN`` of those that began before this month is moved back into the
    year (``earlier_start``), so a reform of the months has continuations to shorten and
    lengthen: one whose term ended before ``today`` ends as the service ends it, with the
    household reassessed the next day on its wage (the service's rule, through the replay's
    ``reassessor``) in a ``continuation-ended-*`` period."""
    found = synthetic_continuations(engine)
    if not found:
        return 0
    rng = random.Random(seed)
    stamp = stamp_text(engine.dialect.name, datetime.now(UTC))
    this_month = Month.of(today).first
    with engine.begin() as conn:
        job_id, decision_id = _highest_ids(conn, "job", "activation_decision_key")
        jobs, incomes, decisions, keys, continuations, periods, cases = ([] for _ in range(7))
        befores: list[dict[str, Any]] = []
        ended: list[tuple[Any, ...]] = []
        for item in found:
            job_id += 1
            decision_id += 1
            starts_on = item.starts_on
            if starts_on < this_month and not rng.randrange(EARLIER_ONE_IN):
                starts_on = earlier_start(rng, item, today)
            params = policy.at(starts_on)
            wage = drawn_wage(rng, item.status, params.decimal("continuation.income_threshold"))
            previous = from_fen(item.previous_fen)
            terms = continuation_terms(
                job_start=starts_on,
                monthly_income=wage,
                previous_amount=previous,
                params=params,
            )
            amount = to_fen(terms.monthly_amount)
            start = starts_on.isoformat()
            after = None
            if terms.ends_on < today:  # reassessed the day after its last day
                day = terms.ends_on + timedelta(days=1)
                reassess = reassessor(
                    item.scheme, item.category, item.members, [IncomeFacts(wage, starts_on, None)]
                )
                after = (day, *reassess(day, policy.at(day)), policy.at(day).version_id)
            jobs.append(
                (
                    job_id,
                    item.member_id,
                    item.household_id,
                    "合成用人单位",
                    "普工",
                    start,
                    to_fen(wage),
                    40,
                    "counsellor",
                    ACTOR,
                    stamp,
                )
            )
            incomes.append((item.member_id, "wages", to_fen(wage), start, stamp))
            inputs = {
                "job_start": start,
                "monthly_income": str(wage),
                "previous_amount": str(previous),
            }
            decisions.append(
                (
                    decision_id,
                    item.member_id,
                    "continuation-terms",
                    f"job:{job_id}",
                    start,
                    stamp,
                    ACTOR,
                    json.dumps(inputs),
                    json.dumps(list(terms.rule_path)),
                    json.dumps(terms.as_dict(), ensure_ascii=False),
                    params.version_id,
                )
            )
            keys.append((decision_id, stamp))
            continuations.append(
                (
                    job_id,
                    item.case_id,
                    item.member_id,
                    start,
                    terms.ends_on.isoformat(),
                    item.previous_fen,
                    terms.status,
                    str(terms.fraction),
                    "running" if after is None else "reassessed",
                    decision_id,
                    None if after is None else after[0].isoformat(),
                )
            )
            moved = starts_on != item.starts_on
            if moved or after or (terms.status, amount) != (item.status, item.amount_fen):
                periods.append(
                    {
                        "id": item.period_id,
                        "status": terms.status,
                        "amount": amount,
                        "starts": starts_on,
                        "ends": None if after is None else terms.ends_on,
                    }
                )
            if moved:
                befores.append({"id": item.before_id, "ends": starts_on - timedelta(days=1)})
            if after is not None:
                day, status, after_fen, rule, version = after
                period = (item.case_id, status, day.isoformat(), None, after_fen, ENDED_REASON)
                ended.append((*period, rule, version, ACTOR, stamp))  # PERIOD_COLUMNS, recorded_at
                if item.current:
                    cases.append({"id": item.case_id, "status": status, "amount": after_fen})
            elif item.current and amount != item.amount_fen:
                cases.append({"id": item.case_id, "status": terms.status, "amount": amount})
        write_rows(conn, "job", JOB_COLUMNS, jobs)
        write_rows(conn, "member_income", INCOME_COLUMNS, incomes)
        write_rows(conn, "activation_decision", DECISION_COLUMNS, decisions)
        write_rows(conn, "activation_decision_key", ("id", "decided_at"), keys)
        write_rows(conn, "continuation", CONTINUATION_COLUMNS, continuations)
        conn.execute(
            text("UPDATE case_status_period SET rule = :start WHERE rule IN :rules").bindparams(
                bindparam("rules", list(SYNTHETIC_RULES), expanding=True), start=START
            )
        )
        if periods:  # moved, ended, or the generator's rounding of a half is not the rule's
            conn.execute(
                text(
                    "UPDATE case_status_period SET status = :status, monthly_amount_fen = :amount,"
                    " effective_from = :starts, effective_to = :ends WHERE id = :id"
                ).bindparams(bindparam("starts", type_=Date), bindparam("ends", type_=Date)),
                periods,
            )
        if befores:
            conn.execute(
                text(
                    "UPDATE case_status_period SET effective_to = :ends WHERE id = :id"
                ).bindparams(bindparam("ends", type_=Date)),
                befores,
            )
        write_rows(conn, "case_status_period", (*PERIOD_COLUMNS, "recorded_at"), ended)
        if cases:
            conn.execute(
                text(
                    "UPDATE benefit_case SET status = :status, monthly_amount_fen = :amount"
                    " WHERE id = :id"
                ),
                cases,
            )
    settle_generated(
        engine,
        ("job", "activation_decision"),
        (
            "job",
            "member_income",
            "activation_decision",
            "activation_decision_key",
            "continuation",
            "case_status_period",
        ),
    )
    return len(found)


@dataclass(frozen=True)
class SyntheticCut:
    period_id: int
    case_id: int
    household_id: int
    member_id: int
    members: int
    starts_on: date  # the cut's first day, as generated
    household_fen: int  # the case's entitled amount
    current: bool


def _cuts(engine: Engine) -> tuple[list[SyntheticCut], list[tuple[int, date]]]:
    """The generated cuts, and (member, the case's first day) of every other household."""
    members = (
        "(SELECT household_id, MIN(id) AS member_id, COUNT(*) AS members FROM member"
        " GROUP BY household_id) m"
    )
    with engine.connect() as conn:
        cuts = conn.execute(
            text(
                "SELECT p.id, c.id, c.household_id, m.member_id, m.members, p.effective_from,"
                f" c.entitled_amount_fen, p.effective_to IS NULL FROM case_status_period p"
                f" JOIN benefit_case c ON c.id = p.case_id JOIN {members}"
                " ON m.household_id = c.household_id"
                " WHERE p.reason = :scenario AND p.rule = 'bench-active' ORDER BY p.id"
            ),
            {"scenario": SANCTION_SCENARIO},
        ).all()
        others = conn.execute(
            text(
                f"SELECT m.member_id, c.opened_on FROM benefit_case c JOIN {members}"
                " ON m.household_id = c.household_id WHERE c.status = 'active'"
                " AND c.status_reason <> :reason ORDER BY c.id"
            ),
            {"reason": f"{SANCTION_SCENARIO} (synthetic)"},
        ).all()
    return (
        [SyntheticCut(r[0], r[1], r[2], r[3], r[4], _day(r[5]), r[6], bool(r[7])) for r in cuts],
        [(r[0], _day(r[1])) for r in others],
    )


def _count_row(
    decision_id: int,
    member_id: int,
    ref: str,
    on: date,
    refused: list[date],
    params: ParameterSet,
    stamp: str,
    first_referral: int,
) -> tuple[tuple, object]:
    outcomes = [Outcome(day, "refusal", first_referral + i) for i, day in enumerate(refused)]
    count = count_refusals(outcomes, on, params)
    inputs = {
        "on": on.isoformat(),
        "outcomes": [
            {"on": o.on.isoformat(), "kind": o.kind, "referral_id": o.referral_id} for o in outcomes
        ],
    }
    path = [f"window-{count.window_start.isoformat()}", f"count-{count.count}", count.consequence]
    row = (
        decision_id,
        member_id,
        "refusal-count",
        ref,
        on.isoformat(),
        stamp,
        ACTOR,
        json.dumps(inputs),
        json.dumps(path),
        json.dumps(count.as_dict()),
        params.version_id,
    )
    return row, count


def add_sanctions(
    engine: Engine, policy: PolicyBook, today: date, *, seed: int = 7
) -> tuple[int, int]:
    """Write the refusals, counts, sanctions and terms behind every synthetic cut, and a count
    of one refusal (which warns) for a member in one household in ``WARNED_ONE_IN`` of the
    others, within the last year up to ``today``; returns (sanctions, warned)."""
    cuts, others = _cuts(engine)
    rng = random.Random(seed)
    stamp = stamp_text(engine.dialect.name, datetime.now(UTC))
    with engine.begin() as conn:
        decision_id, sanction_id = _highest_ids(conn, "activation_decision_key", "sanction")
        referral = 10_000_000  # the counts name referrals by id; none is read here
        decisions, keys, sanctions, periods, cases, warnings = ([] for _ in range(6))
        for cut in cuts:
            params = policy.at(cut.starts_on)
            confirmed = cut.starts_on - timedelta(
                days=params.int("activation.sanction.notice_days")
            )
            params = policy.at(confirmed)
            on = confirmed - timedelta(days=rng.randint(1, 10))  # proposed, then reviewed
            threshold = params.int("activation.refusal.threshold")
            refused = sorted(on - timedelta(days=rng.randint(0, 80)) for _ in range(threshold))
            sanction_id += 1
            decision_id += 1
            count_row, count = _count_row(
                decision_id,
                cut.member_id,
                f"referral:{referral}",
                on,
                refused,
                policy.at(on),
                stamp,
                referral,
            )
            referral += threshold
            decisions.append(count_row)
            keys.append((decision_id, stamp))
            household = from_fen(cut.household_fen)
            terms = sanction_terms(
                confirmed_on=confirmed,
                household_amount=household,
                member_count=cut.members,
                params=params,
            )
            if terms.starts_on != cut.starts_on:
                raise RuntimeError("the notice days changed between versions of the book")
            decision_id += 1
            decisions.append(
                (
                    decision_id,
                    cut.member_id,
                    "sanction-terms",
                    f"sanction:{sanction_id}",
                    confirmed.isoformat(),
                    stamp,
                    ACTOR,
                    json.dumps(
                        {
                            "confirmed_on": confirmed.isoformat(),
                            "household_amount": str(household),
                            "member_count": cut.members,
                        }
                    ),
                    json.dumps(
                        [
                            terms.scope,
                            f"notice-{params.int('activation.sanction.notice_days')}-days",
                        ]
                    ),
                    json.dumps(terms.as_dict()),
                    params.version_id,
                )
            )
            keys.append((decision_id, stamp))
            sanctions.append(
                (
                    sanction_id,
                    cut.member_id,
                    cut.household_id,
                    cut.case_id,
                    "active",
                    on.isoformat(),
                    ACTOR,
                    json.dumps(list(count.counted_referrals)),
                    decision_id - 1,
                    ACTOR,
                    confirmed.isoformat(),
                    json.dumps(terms.as_dict()),
                    cut.starts_on.isoformat(),
                )
            )
            if terms.scope == "household":
                status, amount, rule = "suspended", 0, "refusal-sanction-household"
            else:
                reduction = to_fen(terms.monthly_reduction)
                status, amount, rule = (
                    "active",
                    max(cut.household_fen - reduction, 0),
                    "refusal-sanction-member-share",
                )
            periods.append(
                {
                    "id": cut.period_id,
                    "status": status,
                    "amount": amount,
                    "rule": rule,
                    "version": terms.parameter_version,
                }
            )
            if cut.current:
                cases.append({"id": cut.case_id, "status": status, "amount": amount})
        for member_id, opened in others:
            if rng.randrange(WARNED_ONE_IN):
                continue
            on = max(opened, today - timedelta(days=rng.randint(20, 300)))
            if on > today:
                continue
            decision_id += 1
            row, _ = _count_row(
                decision_id,
                member_id,
                f"referral:{referral}",
                on,
                [on],
                policy.at(on),
                stamp,
                referral,
            )
            referral += 1
            decisions.append(row)
            keys.append((decision_id, stamp))
            warnings.append(member_id)
        write_rows(conn, "activation_decision", DECISION_COLUMNS, decisions)
        write_rows(conn, "activation_decision_key", ("id", "decided_at"), keys)
        write_rows(conn, "sanction", SANCTION_COLUMNS, sanctions)
        if periods:
            conn.execute(
                text(
                    "UPDATE case_status_period SET status = :status, monthly_amount_fen = :amount,"
                    " rule = :rule, parameter_version = :version WHERE id = :id"
                ),
                periods,
            )
        if cases:
            conn.execute(
                text(
                    "UPDATE benefit_case SET status = :status, monthly_amount_fen = :amount"
                    " WHERE id = :id"
                ),
                cases,
            )
    settle_generated(
        engine,
        ("activation_decision", "sanction"),
        ("activation_decision", "activation_decision_key", "sanction", "case_status_period"),
    )
    return len(sanctions), len(warnings)


def _back(url: str, policy: PolicyBook, today: date, seed: int) -> tuple[int, int, int]:
    engine = make_engine(url)
    try:
        continuations = add_continuations(engine, policy, today, seed=seed)
        return (continuations, *add_sanctions(engine, policy, today, seed=seed))
    finally:
        engine.dispose()


def back_elsewhere(url: str, policy: PolicyBook, today: date, *, seed: int) -> tuple[int, int, int]:
    """``add_continuations`` and ``add_sanctions`` in a child process (``kernel.elsewhere``),
    as the county itself is generated: the lists they build would otherwise stay in this
    process's memory and be counted in the replays' peak. Returns (continuations, sanctions,
    warned)."""
    return run_elsewhere(
        _back, (url, policy, today, seed), failed="backing the county's facts failed"
    )
