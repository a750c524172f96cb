"""The set-based path pays exactly what the Python rules pay, to the fen, and explains it the same.

A payment run writes plain cases (one status period all month, nothing owed) with one statement
per batch (``benefits.payment_sql``) and the rest through ``benefits.payment_rules``. Here the
same county is paid both ways — once with every case through the Python rules, once the way a
run pays — and every line must match: amounts, payee, account, rule, parameter version, and the
explanation as it is read (stored for one path, derived from the period for the other). The
county is the benchmark's mix plus random histories (periods of random statuses, dates and
amounts, random back pay and recoveries), under both policy profiles: one rounds to the fen,
the other to the whole yuan, where only whole-yuan amounts may take the set-based path.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from benefits import payments
from benefits.bench import generate
from benefits.models import CaseStatusPeriod, PaymentAdjustment, PaymentLine
from benefits.payment_rules import Month
from kernel.auth import SYSTEM
from kernel.policy import PolicyBook, load_profile

MONTH = Month.parse("2026-03")
RECORDED = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD = CaseStatusPeriod.__table__  # type: ignore[attr-defined]
ADJUSTMENT = PaymentAdjustment.__table__  # type: ignore[attr-defined]
STATUSES = ("active", "suspended", "continuation_full", "continuation_half", "terminated")


def _randomise(engine: Engine, rng: random.Random, version: str) -> None:
    """Give a third of the cases a random history in and around the month, and a few of them
    random unsettled adjustments."""
    with engine.begin() as conn:
        cases = [row[0] for row in conn.execute(text("SELECT id FROM benefit_case ORDER BY id"))]
        chosen = rng.sample(cases, len(cases) // 3)
        for case_id in chosen:
            conn.execute(text("DELETE FROM case_status_period WHERE case_id = :c"), {"c": case_id})
            conn.execute(text("DELETE FROM payment_adjustment WHERE case_id = :c"), {"c": case_id})
            day = MONTH.first - timedelta(days=rng.randint(0, 90))
            for index in range(rng.randint(1, 3)):
                status = rng.choice(STATUSES)
                amount = (
                    0
                    if status in ("suspended", "terminated")
                    else rng.choice([rng.randint(1, 200_000), rng.randint(1, 2_000) * 100])
                )
                length = rng.choice([None, rng.randint(0, 60)])
                ends = None if length is None else day + timedelta(days=length)
                conn.execute(
                    PERIOD.insert().values(
                        case_id=case_id,
                        status=status,
                        effective_from=day,
                        effective_to=ends,
                        monthly_amount_fen=amount,
                        reason="random",
                        rule=f"random-{index}",
                        parameter_version=version,
                        actor="test",
                        recorded_at=RECORDED,
                    )
                )
                if ends is None:
                    break
                # now and then a period that overlaps the one before (data as found)
                day = ends + timedelta(days=1 if rng.random() < 0.9 else -rng.randint(1, 20))
            for _ in range(rng.choice([0, 0, 0, 1, 2])):
                owed = rng.choice([1, -1]) * rng.randint(1, 300_000)
                conn.execute(
                    ADJUSTMENT.insert().values(
                        case_id=case_id,
                        kind="back_pay" if owed > 0 else "recovery",
                        amount_fen=owed,
                        covers_from=date(2025, 12, 1),
                        covers_to=date(2025, 12, 31),
                        reason="random",
                        source="test",
                        parameter_version=version,
                        created_at=RECORDED + timedelta(minutes=rng.randint(0, 999)),
                    )
                )


def _pay(engine: Engine, policy: PolicyBook, app: Any, clock: Any, set_based: bool) -> Any:
    runner = payments.Runner(
        engine=engine,
        policy=policy,
        clock=clock,
        zone=app.state.settings.zone,
        actor=SYSTEM,
        batch_size=97,
        set_based=set_based,
    )
    started = payments.begin(runner, MONTH.label)
    assert started.lock is not None and started.run.id is not None
    return payments.execute(runner, started.run.id, started.lock)


def _ledger(engine: Engine, policy: PolicyBook) -> tuple[dict[int, dict[str, Any]], list[Any]]:
    with Session(engine) as session:
        lines = list(session.exec(select(PaymentLine).order_by(col(PaymentLine.case_id))))
        paths = {line.case_id: _path(line) for line in lines}
        lines = payments.explained(session.connection(), policy, lines)
        ledger = {
            line.case_id: {
                "payee_name": line.payee_name,
                "bank_account": line.bank_account,
                "regular_fen": line.regular_fen,
                "adjustments_fen": line.adjustments_fen,
                "amount_fen": line.amount_fen,
                "carried_fen": line.carried_fen,
                "rule": line.rule,
                "parameter_version": line.parameter_version,
                "inputs": line.inputs,
                "path": paths[line.case_id],
            }
            for line in lines
        }
    with engine.connect() as conn:
        adjustments = conn.execute(
            text(
                "SELECT case_id, kind, amount_fen, settled_period, source FROM payment_adjustment"
                " ORDER BY case_id, source, amount_fen, coalesce(settled_period, '')"
            )
        ).all()
    return ledger, [tuple(row) for row in adjustments]


def _path(line: PaymentLine) -> str:
    """Which way the run wrote a line: by the plain statement, by the statements of the periods
    counted (part months, back pay: its periods in payment_line_period), or through the Python
    rules (inputs stored)."""
    if line.inputs is not None:
        return "rules"
    return "plain" if line.paid_from_period_id is not None else "part-month"


def _forget_the_run(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM payment_line"))
        conn.execute(text("DELETE FROM payment_line_period"))
        conn.execute(text("DELETE FROM payment_run"))
        conn.execute(text("DELETE FROM job_claim"))
        conn.execute(text("DELETE FROM payment_adjustment WHERE source LIKE 'carried:%'"))
        conn.execute(text("UPDATE payment_adjustment SET settled_period = NULL"))


@pytest.mark.parametrize(
    ("profile", "seed"), [("county-pilot", 1), ("county-pilot", 2), ("national-2014", 3)]
)
def test_both_paths_pay_a_mixed_county_identically(
    engine, app, clock, profile, seed, monkeypatch
) -> None:
    monkeypatch.setattr(payments, "PAYEE_IDS", 13)  # payees found in several queries a batch
    policy = load_profile(profile)
    version = policy.at(MONTH.first).version_id
    generate(engine, 600, MONTH, version, seed=seed)
    _randomise(engine, random.Random(seed), version)

    by_rules = _pay(engine, policy, app, clock, set_based=False)
    expected, expected_adjustments = _ledger(engine, policy)
    _forget_the_run(engine)
    decided_by_rules: list[int] = []
    settle = payments.settle

    def counted_settle(regular: int, owed: Any) -> Any:
        decided_by_rules.append(regular)
        return settle(regular, owed)

    monkeypatch.setattr(payments, "settle", counted_settle)
    as_run = _pay(engine, policy, app, clock, set_based=True)
    monkeypatch.setattr(payments, "settle", settle)
    actual, actual_adjustments = _ledger(engine, policy)

    paths = {case: line.pop("path") for case, line in actual.items()}
    assert {line.pop("path") for line in expected.values()} == {"rules"}
    assert actual == expected
    plain = {case for case, path in paths.items() if path == "plain"}
    part = {case for case, path in paths.items() if path == "part-month"}
    # What is left to the Python rules owed or was owed something; back pay alone is paid by
    # statement (with its adjustments in the explanation, compared above), a recovery is not.
    with engine.connect() as conn:
        owing = set(conn.execute(text("SELECT case_id FROM payment_adjustment")).scalars())
        recovering = set(
            conn.execute(
                text("SELECT case_id FROM payment_adjustment WHERE amount_fen <= 0")
            ).scalars()
        )
    by_rules_only = {case for case, path in paths.items() if path == "rules"}
    # The rules decided those cases and no others: a case a statement paid is not decided again.
    assert len(decided_by_rules) == len(by_rules_only)
    assert by_rules_only <= owing
    back_pay_by_statement = {
        case for case in part if actual[case]["adjustments_fen"] > 0 and case not in recovering
    }
    assert len(back_pay_by_statement) > 5
    assert not {case for case in part | plain if case in recovering}
    assert actual_adjustments == expected_adjustments
    # A period closed later (a new status recorded after the run) does not change what a
    # plain line says it was paid from: the month is corrected by rule 4, not by rewriting.
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE case_status_period SET effective_to = :day WHERE id IN"
                " (SELECT paid_from_period_id FROM payment_line)"
            ),
            {"day": MONTH.first + timedelta(days=9)},
        )
    reread, _ = _ledger(engine, policy)
    assert {case: line["inputs"] for case, line in reread.items()} == {
        case: line["inputs"] for case, line in expected.items()
    }
    counters = ("lines", "paid_lines", "zero_lines", "without_account", "regular_fen")
    counters += ("adjustments_fen", "total_fen", "carried_fen")
    assert {c: getattr(as_run, c) for c in counters} == {c: getattr(by_rules, c) for c in counters}
    # The set-based path carried its share: most of the benchmark's mix is plain, and most of
    # the rest part months or several periods with nothing owed.
    assert len(plain) > len(expected) // 4
    assert len(part) > len(expected) // 4
    # Under whole-yuan rounding only amounts of whole yuan were paid by the statement.
    if profile == "national-2014":
        assert all(actual[case]["amount_fen"] % 100 == 0 for case in plain)
        assert any(line["amount_fen"] % 100 for line in expected.values() if line["amount_fen"])


def test_a_batch_that_finds_lines_already_leaves_those_cases_alone(engine, app, clock) -> None:
    """The unique rule stands behind the run: lines there before a batch (a case paid by hand,
    a batch tried again) are neither paid again nor counted, on either path."""
    policy = app.state.policy
    generate(engine, 60, MONTH, policy.at(MONTH.first).version_id, seed=9)
    with engine.connect() as conn:
        owing = conn.execute(
            text("SELECT min(case_id) FROM payment_adjustment WHERE settled_period IS NULL")
        ).scalar_one()
        plain = conn.execute(
            text(
                "SELECT min(case_id) FROM case_status_period WHERE status = 'active' AND"
                " effective_to IS NULL AND effective_from <= :first AND case_id NOT IN"
                " (SELECT case_id FROM payment_adjustment)"
            ),
            {"first": MONTH.first},
        ).scalar_one()
    runner = payments.Runner(
        engine=engine,
        policy=policy,
        clock=clock,
        zone=app.state.settings.zone,
        actor=SYSTEM,
        batch_size=1000,
    )
    started = payments.begin(runner, MONTH.label)
    assert started.lock is not None and started.run.id is not None
    with engine.begin() as conn:
        for case_id in (owing, plain):
            conn.execute(
                PaymentLine.__table__.insert().values(  # type: ignore[attr-defined]
                    run_id=started.run.id,
                    period=MONTH.label,
                    case_id=case_id,
                    payee_name="by hand",
                    regular_fen=1,
                    adjustments_fen=0,
                    amount_fen=1,
                    carried_fen=0,
                    rule="by-hand",
                    parameter_version="v",
                    inputs={},
                    created_at=RECORDED,
                )
            )
    run = payments.execute(runner, started.run.id, started.lock)
    with engine.connect() as conn:
        lines = conn.execute(text("SELECT count(*), sum(amount_fen) FROM payment_line")).one()
        by_hand = conn.execute(
            text("SELECT case_id, amount_fen FROM payment_line WHERE rule = 'by-hand'")
        ).all()
        unsettled = conn.execute(
            text(
                "SELECT count(*) FROM payment_adjustment WHERE case_id = :c"
                " AND settled_period IS NULL"
            ),
            {"c": owing},
        ).scalar_one()
    assert sorted(by_hand) == sorted([(owing, 1), (plain, 1)])
    assert (run.lines, run.total_fen) == (lines[0] - 2, lines[1] - 2)
    assert unsettled > 0  # its adjustments wait: this month's line was there already
