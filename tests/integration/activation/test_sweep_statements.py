"""The daily sweep is set-based: the statements it sends do not grow with the county.

A county brought in opens a registration duty, a decision and a task for every working-age
member of a live household on its first sweep. Here 40 households and then 160 more are each
swept for the first time: both sweeps must send the same number of statements, and the next
day's sweep (nothing new) no more. Counted with the benchmark's own counter
(``workbridge bench sweep``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from benefits.bench import generate
from benefits.payment_rules import Month
from workbridge.bench_sweep import sweep_day

DAY = date(2026, 3, 10)


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_statements_stay_flat_as_the_county_grows(engine, app) -> None:
    policy, zone = app.state.policy, app.state.settings.zone
    version = policy.at(DAY).version_id
    generate(engine, 40, Month.of(DAY), version, seed=11)
    small = sweep_day(engine, policy, zone, DAY)
    generate(engine, 160, Month.of(DAY), version, seed=12)
    large = sweep_day(engine, policy, zone, date(2026, 3, 11))
    quiet = sweep_day(engine, policy, zone, date(2026, 3, 12))

    assert 0 < small.counts["duties_opened"] < large.counts["duties_opened"]
    assert large.statements == small.statements
    assert quiet.counts["duties_opened"] == 0 and quiet.statements <= small.statements
    # What the statements wrote: a duty, a decision and a register task per duty opened.
    opened = small.counts["duties_opened"] + large.counts["duties_opened"]
    assert _count(engine, "SELECT count(*) FROM registration_duty") == opened
    assert (
        _count(engine, "SELECT count(*) FROM activation_decision WHERE kind = 'registration-duty'")
        == opened
    )
    assert _count(engine, "SELECT count(*) FROM activation_task WHERE kind = 'register'") == opened
    re_reviews = small.counts["re_reviews_due"] + large.counts["re_reviews_due"]
    re_reviews += quiet.counts["re_reviews_due"]
    assert re_reviews > 0
    assert _count(engine, "SELECT count(*) FROM activation_task WHERE kind = 're_review'") == (
        re_reviews
    )


def test_a_sweep_in_small_chunks_opens_a_duty_for_exactly_the_obligated(
    engine, app, monkeypatch
) -> None:
    """Chunks of 7 members (the sweep's chunk is 20,000): every working-age member of a live
    household gets one duty, whichever chunk they fall in, and nobody else does."""
    from sqlmodel import Session, select

    from activation import duties, rules
    from activation.common import person_facts
    from activation.duties import live_household_ids
    from benefits.models import Member

    monkeypatch.setattr(duties, "DUTY_CHUNK", 7)
    policy, zone = app.state.policy, app.state.settings.zone
    generate(engine, 40, Month.of(DAY), policy.at(DAY).version_id, seed=13)
    swept = sweep_day(engine, policy, zone, DAY)
    with Session(engine) as session:
        live = set(live_household_ids(session))
        members = list(session.exec(select(Member)))
    params = policy.at(DAY)
    expected = {
        m.id
        for m in members
        if m.household_id in live
        and rules.registration_duty(person_facts(m), DAY, params).obligated
    }
    with engine.connect() as conn:
        got = [row[0] for row in conn.execute(text("SELECT member_id FROM registration_duty"))]
    assert sorted(got) == sorted(expected) and swept.counts["duties_opened"] == len(expected)
    assert len(members) > 7 * 5 and 0 < len(expected) < len(members)


def test_reminders_and_warnings_fall_on_their_days_and_only_then(engine, app) -> None:
    """Boundary table of the registration reminder (at the deadline) and the written warning
    (a grace period later), for duties opened by one sweep; the sweep loads only duties whose
    day has come, so a day early must find none and the day itself all of them."""
    from datetime import timedelta

    policy, zone = app.state.policy, app.state.settings.zone
    params = policy.at(DAY)
    deadline = params.int("activation.registration.deadline_days")
    grace = params.int("activation.registration.warning_after_days")
    generate(engine, 30, Month.of(DAY), params.version_id, seed=14)
    opened = sweep_day(engine, policy, zone, DAY).counts["duties_opened"]
    assert opened > 0
    table = [
        (deadline - 1, 0, 0),
        (deadline, opened, 0),
        (deadline + 1, 0, 0),  # reminded once
        (deadline + grace - 1, 0, 0),
        (deadline + grace, 0, opened),
        (deadline + grace + 1, 0, 0),  # warned once
    ]
    for days, reminders, warnings in table:
        counts = sweep_day(engine, policy, zone, DAY + timedelta(days=days)).counts
        assert (days, counts["reminders"], counts["registration_warnings"]) == (
            days,
            reminders,
            warnings,
        )
