"""The daily sweep is set-based: the statements it sends do not grow with the county.

A county brought in opens a registration duty, a decision and a task for every working-age
member of a live household on its first sweep. Here 40 households and then 160 more are each
swept for the first time: both sweeps must send the same number of statements, and the next
day's sweep (nothing new) no more. Counted with the benchmark's own counter
(``workbridge bench sweep``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, text

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


def _open_duties(engine) -> set[int]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text("SELECT member_id FROM registration_duty WHERE ended_on IS NULL")
            ).scalars()
        )


def _due(engine, policy, day: date) -> set[int]:
    """Every member the rule obliges on ``day`` in a live household, by the rule itself."""
    from sqlmodel import Session, select

    from activation import rules
    from activation.common import person_facts
    from activation.duties import live_household_ids
    from benefits.models import Member

    with Session(engine) as session:
        live = set(live_household_ids(session))
        members = list(session.exec(select(Member)))
    params = policy.at(day)
    return {
        m.id
        for m in members
        if m.household_id in live
        and rules.registration_duty(person_facts(m), day, params).obligated
    }


def test_the_next_day_finds_each_change_though_it_reads_only_the_disagreeing(engine, app) -> None:
    """The sweep reads only members whose open duty disagrees with the rule in SQL
    (``activation.duty_sql``): a birthday that crosses the age limit or 16 on the day, an
    exemption or lost work capacity recorded since, a household whose case closed — each is
    found the next day, and afterwards the open duties are exactly those the rule gives."""
    from activation.duty_sql import born_by

    policy, zone = app.state.policy, app.state.settings.zone
    generate(engine, 60, Month.of(DAY), policy.at(DAY).version_id, seed=21)
    sweep_day(engine, policy, zone, DAY)
    assert _open_duties(engine) == _due(engine, policy, DAY)
    nxt = DAY.replace(day=DAY.day + 1)
    limit = policy.at(nxt).int("activation.registration.male_age_limit")
    obliged = sorted(_open_duties(engine))
    with engine.begin() as conn:
        live_men = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT id FROM member WHERE sex = 'male' AND id IN "
                    "(SELECT member_id FROM registration_duty) ORDER BY id"
                )
            )
        ]
        ages_out, turns_sixteen = live_men[0], live_men[1]
        set_birth = text("UPDATE member SET birth_date = :b WHERE id = :m")
        conn.execute(set_birth, {"b": born_by(limit, nxt), "m": ages_out})  # limit reached
        conn.execute(
            text("DELETE FROM registration_duty WHERE member_id = :m"), {"m": turns_sixteen}
        )
        conn.execute(set_birth, {"b": born_by(16, nxt), "m": turns_sixteen})  # 16 on the day
        conn.execute(
            text("UPDATE member SET student = :t WHERE id = :m"), {"t": True, "m": obliged[2]}
        )
        conn.execute(
            text("UPDATE member SET work_capacity = 'none' WHERE id = :m"), {"m": obliged[3]}
        )
        closed = conn.execute(
            text("SELECT household_id FROM member WHERE id = :m"), {"m": obliged[4]}
        ).scalar_one()
        conn.execute(
            text("UPDATE benefit_case SET status = 'terminated' WHERE household_id = :h"),
            {"h": closed},
        )
        conn.execute(
            text("UPDATE application SET state = 'rejected' WHERE household_id = :h"),
            {"h": closed},
        )
    # The day before, the one turning 16 was not yet obliged; on the day, he is.
    assert turns_sixteen not in _due(engine, policy, DAY)
    swept = sweep_day(engine, policy, zone, nxt)
    assert _open_duties(engine) == _due(engine, policy, nxt)
    assert turns_sixteen in _open_duties(engine)
    assert {ages_out, obliged[2], obliged[3], obliged[4]}.isdisjoint(_open_duties(engine))
    assert swept.counts["duties_opened"] >= 1 and swept.counts["duties_ended"] >= 4
    after = nxt.replace(day=nxt.day + 1)
    sweep_day(engine, policy, zone, after)
    assert _open_duties(engine) == _due(engine, policy, after)


def test_a_sweep_that_opened_many_duties_refreshes_the_planners_counts(
    engine, app, monkeypatch
) -> None:
    """A first sweep grows the duty, decision and task tables by a row per person; it analyses
    them itself (``jobs.ANALYZE_AFTER`` duties opened or ended), and a day that changed fewer
    leaves that to the database."""
    from sqlalchemy import event

    from workbridge import jobs

    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.upper().startswith("ANALYZE"):
            seen.append(statement)

    policy, zone = app.state.policy, app.state.settings.zone
    generate(engine, 40, Month.of(DAY), policy.at(DAY).version_id, seed=31)
    event.listen(engine, "before_cursor_execute", record)
    try:
        monkeypatch.setattr(jobs, "ANALYZE_AFTER", 15)
        first = sweep_day(engine, policy, zone, DAY)
        assert first.counts["duties_opened"] >= 15
        assert seen == [f"ANALYZE {table}" for table in jobs.SWEPT_TABLES]
        seen.clear()
        quiet = sweep_day(engine, policy, zone, DAY.replace(day=DAY.day + 1))
        assert quiet.counts["duties_opened"] + quiet.counts["duties_ended"] < 15
        assert seen == []
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_small_chunks_leave_no_member_whose_duty_disagrees_with_the_rule(
    engine, app, monkeypatch
) -> None:
    """Each chunk's look-ups are bounded to its members and their households
    (``activation.duties._disagreeing``); with chunks of seven members, households straddle
    chunks everywhere, and afterwards no member of the county disagrees with the rule."""
    from sqlmodel import Session, col, select

    from activation import duties
    from benefits.models import Member

    policy, zone = app.state.policy, app.state.settings.zone
    generate(engine, 60, Month.of(DAY), policy.at(DAY).version_id, seed=13)
    monkeypatch.setattr(duties, "DUTY_CHUNK", 7)
    swept = sweep_day(engine, policy, zone, DAY)
    assert swept.counts["duties_opened"] > 0
    with Session(engine) as session:
        low, high = session.exec(select(func.min(Member.id), func.max(Member.id))).one()
        everyone = (low, high)
        left = session.exec(
            select(func.count()).where(
                col(Member.id).between(*everyone),
                duties._disagreeing(policy.at(DAY), DAY, everyone),
            )
        ).one()
    assert left == 0


def test_a_chunks_look_ups_are_bounded_to_it(app) -> None:
    """PostgreSQL may answer a chunk's EXISTS tests by hashing each subquery whole: unbounded,
    that read every open duty and live case of the county for every chunk (two million
    households: 2 s a chunk, the sweep 416 s; bounded, 20 ms and 8 s)."""
    from activation import duties

    condition = duties._disagreeing(app.state.policy.at(DAY), DAY, (20_001, 40_000))
    sql = str(condition.compile(compile_kwargs={"literal_binds": True}))
    assert sql.count("registration_duty.member_id BETWEEN 20001 AND 40000") == 2
    for table in ("application", "benefit_case"):
        assert f"{table}.household_id BETWEEN (SELECT min(chunk_member.household_id + 0)" in sql


def test_re_review_tasks_in_small_chunks_cover_every_case_due_once(
    engine, app, monkeypatch
) -> None:
    """Chunks of 3 cases (the sweep's chunk is 20,000): every live case whose re-review is due
    gets one task, whichever chunk it falls in, and the next day none is opened again."""
    from activation import sweep
    from benefits.services import LIVE_CASE_STATUSES

    monkeypatch.setattr(sweep, "RE_REVIEW_CHUNK", 3)
    policy, zone = app.state.policy, app.state.settings.zone
    generate(engine, 40, Month.of(DAY), policy.at(DAY).version_id, seed=14)
    live = ", ".join(f"'{s.value}'" for s in LIVE_CASE_STATUSES)
    due = _count(
        engine,
        "SELECT count(DISTINCT c.id) FROM benefit_case c JOIN member m"
        " ON m.household_id = c.household_id AND m.relation = 'head'"
        f" WHERE c.status IN ({live}) AND c.next_review_on <= '{DAY.isoformat()}'",
    )
    assert due > 3 * 2  # several chunks, the last one short
    first = sweep_day(engine, policy, zone, DAY)
    assert first.counts["re_reviews_due"] == due
    tasks = "SELECT count(DISTINCT ref) FROM activation_task WHERE kind = 're_review'"
    assert _count(engine, tasks) == due
    assert sweep_day(engine, policy, zone, date(2026, 3, 11)).counts["re_reviews_due"] == 0
    assert _count(engine, tasks) == due
