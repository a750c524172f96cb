"""The bench county's continuations stand on the facts the service records when a person takes
a job (``workbridge.bench_replay_county``): the no-change replay still passes its gate, and a
reform of the 800-yuan line changes exactly the households whose wage the new line moves."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from sqlalchemy import text
from sqlmodel import Session

from activation.replay import reads
from activation.replay.engine import run_replay
from activation.replay.reform import Reform
from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.dates import add_months
from workbridge.bench_replay_county import (
    SANCTION_SCENARIO,
    SYNTHETIC_RULES,
    add_continuations,
    add_sanctions,
    drawn_wage,
)

TODAY = date(2026, 3, 31)  # the generated changes fall inside March, before this day


def _replay(engine, policy, **changes):
    return run_replay(
        engine,
        policy,
        first=Month(2025, 4),
        last=Month(2026, 3),
        reform=Reform(changes),
        today=TODAY,
    )


def _wages(engine) -> list[tuple[str, Decimal]]:
    """Each continuation's status and the wage its decision was made on, as stored."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.status, j.monthly_income_fen, d.inputs FROM continuation c"
                " JOIN job j ON j.id = c.job_id JOIN activation_decision d ON d.id = c.decision_id"
            )
        ).all()
    found = []
    for status, fen, inputs in rows:
        stored = inputs if isinstance(inputs, dict) else json.loads(inputs)
        assert Decimal(stored["monthly_income"]) == Decimal(fen) / 100
        found.append((status, Decimal(fen) / 100))
    return found


def test_every_synthetic_continuation_gets_its_job_wage_and_decision(engine, app) -> None:
    policy = app.state.policy
    generate(engine, 300, Month.of(TODAY), policy.at(TODAY).version_id, seed=9)
    added = add_continuations(engine, policy, TODAY, seed=9)
    assert added > 20
    with engine.connect() as conn:
        count = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
        assert count("SELECT count(*) FROM job") == added
        running = count("SELECT count(*) FROM continuation WHERE state = 'running'")
        reassessed = count("SELECT count(*) FROM continuation WHERE state = 'reassessed'")
        assert running + reassessed == added and running > 5 and reassessed > 5
        # an ended one is ended as the service ends it: its period stops on its last day and
        # the reassessment's period begins the next, open, on the day the continuation records
        assert (
            count(
                "SELECT count(*) FROM continuation c"
                " JOIN case_status_period p ON p.case_id = c.case_id"
                "  AND p.rule = 'continuation-start' AND p.effective_to = c.ends_on"
                " JOIN case_status_period e ON e.case_id = c.case_id"
                "  AND e.rule IN ('continuation-ended-reassessed', 'continuation-ended-exit')"
                "  AND e.effective_from = c.ended_on AND e.effective_to IS NULL"
                " JOIN benefit_case k ON k.id = c.case_id AND k.status = e.status"
                "  AND k.monthly_amount_fen = e.monthly_amount_fen"
                " WHERE c.state = 'reassessed'"
            )
            == reassessed
        )
        assert count("SELECT count(*) FROM member_income WHERE source = 'wages'") == added
        assert count("SELECT count(*) FROM activation_decision_key") == added
        starts = "SELECT count(*) FROM case_status_period WHERE rule = 'continuation-start'"
        assert count(starts) == added
        left = f"SELECT count(*) FROM case_status_period WHERE rule IN {SYNTHETIC_RULES}"
        assert count(left) == 0
        # the period starts on the job's first day, and its status is the continuation's
        assert (
            count(
                "SELECT count(*) FROM continuation c JOIN case_status_period p ON p.case_id ="
                " c.case_id AND p.rule = 'continuation-start' AND p.effective_from = c.starts_on"
                " AND p.status = c.status"
            )
            == added
        )
    # every continuation case's history has no gap and no overlap, whatever was moved
    with engine.connect() as conn:
        periods = conn.execute(
            text(
                "SELECT p.case_id, p.effective_from, p.effective_to FROM case_status_period p"
                " JOIN continuation c ON c.case_id = p.case_id"
                " ORDER BY p.case_id, p.effective_from"
            )
        ).all()
    starts = [_day(r[1]) for r in periods]
    for this, following in pairwise(periods):
        if this[0] == following[0]:
            assert this[2] is not None, this
            assert _day(this[2]) + timedelta(days=1) == _day(following[1]), (this, following)
    assert len({d for d in starts if d < date(2026, 2, 1)}) > 5  # begun across the year
    line = Decimal("800")
    for status, wage in _wages(engine):
        assert (wage < line) == (status == "continuation_full"), (status, wage)
    assert add_continuations(engine, policy, TODAY) == 0  # nothing left to back


def test_the_gate_passes_and_a_reform_of_the_line_moves_exactly_the_wages_between(
    engine, app
) -> None:
    policy = app.state.policy
    generate(engine, 400, Month.of(TODAY), policy.at(TODAY).version_id, seed=12)
    add_continuations(engine, policy, TODAY, seed=12)
    wages = _wages(engine)
    unchanged = _replay(engine, policy)
    assert unchanged["gate"]["passed"], unchanged["gate"]
    assert unchanged["households_affected"] == 0

    higher = _replay(engine, policy, **{"continuation.income_threshold": "1000"})
    turning_full = [w for s, w in wages if s == "continuation_half" and w < 1000]
    assert turning_full and higher["households_gain"] == len(turning_full)
    assert higher["households_lose"] == 0

    lower = _replay(engine, policy, **{"continuation.income_threshold": "600"})
    turning_half = [w for s, w in wages if s == "continuation_full" and w >= 600]
    assert turning_half and lower["households_lose"] == len(turning_half)
    assert lower["households_gain"] == 0


@pytest.mark.parametrize("chunk", [50, 600])
def test_a_chunks_refusal_counts_read_by_the_members_range_are_those_read_member_by_member(
    engine, app, chunk
) -> None:
    """The counts read by the range of the chunk's members (``reads._household_decisions``)
    are exactly those read by a look-up per member, chunk by chunk."""
    policy = app.state.policy
    generate(engine, 600, Month.of(TODAY), policy.at(TODAY).version_id, seed=21)
    add_sanctions(engine, policy, TODAY, seed=21)
    read = 0
    with Session(engine) as session:
        for ids in reads.case_chunks(session, chunk):
            low, high = ids[0], ids[-1]
            _, members = reads._households(session, low, high)
            assert members is not None
            by_range = reads._counts(session, low, high, members)
            one_by_one = reads._counts(session, low, high, None)
            assert by_range == one_by_one
            read += sum(len(found) for found in by_range.values())
    assert read > 5


def test_every_synthetic_cut_is_a_sanction_at_the_threshold_and_a_higher_one_lifts_it(
    engine, app
) -> None:
    policy = app.state.policy
    params = policy.at(TODAY)
    generate(engine, 600, Month.of(TODAY), params.version_id, seed=21)
    with engine.connect() as conn:
        scenario = {"reason": SANCTION_SCENARIO}
        cuts = conn.execute(
            text(
                "SELECT count(*) FROM case_status_period WHERE reason = :reason AND rule ="
                " 'bench-active'"
            ),
            scenario,
        ).scalar_one()
    sanctions, warned = add_sanctions(engine, policy, TODAY, seed=21)
    assert sanctions == cuts > 5 and warned > 5
    scope = params.text("activation.sanction.scope")
    rule = "refusal-sanction-household" if scope == "household" else "refusal-sanction-member-share"
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM case_status_period WHERE rule = :rule"), {"rule": rule}
            ).scalar_one()
            == sanctions
        )
        counted = (
            conn.execute(
                text(
                    "SELECT d.outcome FROM sanction s JOIN activation_decision d"
                    " ON d.id = s.count_decision_id"
                )
            )
            .scalars()
            .all()
        )
    threshold = params.int("activation.refusal.threshold")
    for outcome in counted:  # exactly the threshold's refusals: one fewer would not propose
        stored = outcome if isinstance(outcome, dict) else json.loads(outcome)
        assert (stored["count"], stored["consequence"]) == (threshold, "sanction_proposal")

    unchanged = _replay(engine, policy)
    assert unchanged["gate"]["passed"], unchanged["gate"]
    higher = _replay(engine, policy, **{"activation.refusal.threshold": threshold + 1})
    assert higher["sanctions_lifted"] == higher["households_gain"] == sanctions
    assert higher["households_lose"] == 0 and higher["persons_newly_proposed"] == 0
    # a threshold of one would have proposed a sanction for every member warned once — each
    # a proposal a second officer would have reviewed: counted, and no money moved for it
    one = _replay(engine, policy, **{"activation.refusal.threshold": 1})
    assert one["persons_newly_proposed"] == warned
    assert one["households_affected"] == 0


def test_a_reform_of_the_months_shortens_and_lengthens_the_continuations_begun_in_the_year(
    engine, app
) -> None:
    """Six months (the profile's) to three: a continuation that ran its six months ends three
    months earlier, handing over to its recorded reassessment (approximated); one still running
    that is past three months is reassessed by the replay. To twelve: one that ended runs on."""
    policy = app.state.policy
    assert policy.at(TODAY).int("continuation.months") == 6
    generate(engine, 400, Month.of(TODAY), policy.at(TODAY).version_id, seed=12)
    add_continuations(engine, policy, TODAY, seed=12)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT starts_on, ends_on, state FROM continuation")).all()
    ended = [r for r in rows if r[2] == "reassessed"]
    past_three = [r for r in rows if r[2] == "running" and add_months(_day(r[0]), 3) <= TODAY]
    assert ended and past_three

    shorter = _replay(engine, policy, **{"continuation.months": 3})
    assert shorter["gate"]["passed"]
    assert shorter["approximated"] == len(ended)
    assert shorter["reassessed"] == len(past_three)
    assert shorter["households_lose"] > 0 and shorter["unresolved"] == {}

    longer = _replay(engine, policy, **{"continuation.months": 12})
    assert (longer["approximated"], longer["reassessed"]) == (0, 0)
    assert longer["households_affected"] > 0
    assert longer["cost_reform"] != longer["cost_actual"]


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class _Edge:
    """A draw that always lands on one end of its range."""

    def __init__(self, high: bool) -> None:
        self.high = high

    def randrange(self, start: int, stop: int) -> int:
        return stop - 1 if self.high else start


@pytest.mark.parametrize(
    ("status", "high", "wage"),
    [
        ("continuation_full", False, "266.66"),  # a third of the line
        ("continuation_full", True, "799.99"),  # a fen below the line: still full
        ("continuation_half", False, "800.00"),  # on the line: half (at or above)
        ("continuation_half", True, "1199.99"),  # a fen below half as much again
    ],
)
def test_drawn_wages_stay_on_their_side_of_the_line(status, high, wage) -> None:
    assert drawn_wage(_Edge(high), status, Decimal("800")) == Decimal(wage)


def test_the_incomes_read_are_every_income_of_the_households_with_a_continuation(
    engine, app
) -> None:
    """A continuation's reassessment reads its household's incomes (``reads._incomes``): each
    income of each member of a household whose case has a continuation, and none of the rest —
    here one income is added to a household without a continuation, to be left out."""
    policy = app.state.policy
    generate(engine, 120, Month.of(TODAY), policy.at(TODAY).version_id, seed=13)
    add_continuations(engine, policy, TODAY, seed=13)
    every = (
        "SELECT c.id, i.monthly_amount_fen, i.effective_from, i.effective_to"
        " FROM benefit_case c JOIN member m ON m.household_id = c.household_id"
        " JOIN member_income i ON i.member_id = m.id"
    )
    with engine.begin() as conn:
        alone = conn.execute(
            text(
                "SELECT m.id FROM benefit_case c JOIN member m ON m.household_id = c.household_id"
                " WHERE c.id NOT IN (SELECT case_id FROM continuation) ORDER BY m.id LIMIT 1"
            )
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO member_income (member_id, source, monthly_amount_fen,"
                " effective_from, recorded_at) VALUES (:m, 'wage', 123456, '2026-01-01', :at)"
            ),
            {"m": alone, "at": "2026-01-02 00:00:00+00:00"},
        )
        rows = conn.execute(text(every)).all()
        continued = set(conn.execute(text("SELECT case_id FROM continuation")).scalars())
        low, high = conn.execute(text("SELECT min(id), max(id) FROM benefit_case")).one()
    expected: dict[int, list[tuple]] = {}
    for case_id, fen, starts_on, ends_on in rows:
        if case_id in continued:
            expected.setdefault(case_id, []).append(
                (fen, _day(starts_on), ends_on and _day(ends_on))
            )
    assert len(expected) == len(continued) > 5
    assert any(case_id not in continued for case_id, *_ in rows)  # there is something to leave out
    with Session(engine) as session:
        found = reads._incomes(session, low, high)
    assert {
        case_id: sorted((int(i.amount * 100), i.starts_on, i.ends_on) for i in incomes)
        for case_id, incomes in found.items()
    } == {case_id: sorted(incomes) for case_id, incomes in expected.items()}
