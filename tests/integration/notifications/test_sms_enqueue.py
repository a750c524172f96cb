"""enqueue(): one outbox row in the caller's transaction, deduplicated, timed by quiet hours."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from kernel.db import new_read_session
from kernel.errors import InvalidInput
from kernel.events import SmsOptOutChanged
from notifications import services
from notifications.models import OutboxMessage
from notifications.services import enqueue, set_opt_out
from sms_support import JOB, PHONE, queue, sms_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def call(session, rules, *, now=DAY, key="referral:1", **overrides):
    args = {
        "phone": PHONE,
        "locale": "zh_CN",
        "template_key": "job_offer",
        "params": JOB,
        "reference": "referral:1",
        "urgent": False,
        "dedupe_key": key,
        "now": now,
        "rules": rules,
        **overrides,
    }
    return enqueue(session, **args)


def test_the_row_lives_and_dies_with_the_callers_transaction(engine, rules) -> None:
    with Session(engine) as session:
        result = call(session, rules)
        assert result.queued and result.message_id is not None
        session.rollback()  # the decision that caused the message failed
    assert sms_rows(engine)["sms_outbox"] == 0
    with Session(engine) as session:
        call(session, rules)
        session.commit()
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage)).one()
    assert (row.status, row.phone, row.reference, row.template_key) == (
        "queued",
        PHONE,
        "referral:1",
        "job_offer",
    )
    assert row.params["wage"] == "2850.00" and row.parts == 2
    assert row.created_at == DAY.astimezone(UTC) and row.not_before == DAY.astimezone(UTC)


def test_enqueue_does_not_commit(engine, rules) -> None:
    with Session(engine) as session:
        call(session, rules)
        with new_read_session(engine) as other:
            assert other.exec(select(OutboxMessage)).all() == []
        session.commit()


def test_a_dedupe_key_is_queued_once(engine, rules) -> None:
    first = queue(engine, rules, DAY, key="referral:7:offer")
    again = queue(engine, rules, DAY, key="referral:7:offer")
    assert first.outcome == "queued" and again.outcome == "duplicate"
    assert again.message_id == first.message_id
    assert sms_rows(engine)["sms_outbox"] == 1


def test_a_concurrent_insert_of_the_same_key_is_a_duplicate_not_an_error(
    engine, rules, monkeypatch
) -> None:
    """The key's primary key settles the race the pre-check cannot see: the message written
    before the key was found taken is taken back."""
    winner = queue(engine, rules, DAY, key="referral:8")
    real = services._key_taken
    calls = []

    def blind_first_time(session, key):
        calls.append(key)
        return None if len(calls) == 1 else real(session, key)

    monkeypatch.setattr(services, "_key_taken", blind_first_time)
    with Session(engine) as session:
        result = call(session, rules, key="referral:8")
        assert result.outcome == "duplicate" and result.message_id == winner.message_id
        session.commit()  # the caller's transaction survives the failed insert
    assert calls == ["referral:8", "referral:8"]  # blind first, then the database's answer
    assert sms_rows(engine)["sms_outbox"] == 1 and sms_rows(engine)["sms_dedupe"] == 1


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((20, 59), (2, 20, 59)),
        ((21, 0), (3, 8, 0)),
        ((23, 30), (3, 8, 0)),
        ((7, 59), (2, 8, 0)),
        ((8, 0), (2, 8, 0)),
    ],
)
def test_offers_wait_out_quiet_hours(engine, rules, local, expected) -> None:
    now = datetime(2026, 3, 2, *local, tzinfo=SHANGHAI)
    result = queue(engine, rules, now, key="referral:9")
    day, hh, mm = expected
    assert result.send_after == datetime(2026, 3, day, hh, mm, tzinfo=SHANGHAI)


def test_urgent_notices_and_replies_go_at_night(engine, rules) -> None:
    night = datetime(2026, 3, 2, 23, 0, tzinfo=SHANGHAI)
    notice = queue(engine, rules, night, key="sanction:1", template="sanction_notice", urgent=True)
    reply = queue(
        engine,
        rules,
        night,
        key="status:1",
        template="status_reply",
        params={"status": "active", "amount": "300", "since": "2026-03-01"},
    )
    assert notice.send_after == night and reply.send_after == night


def test_an_offer_cannot_be_urgent_and_every_problem_is_listed(engine, rules) -> None:
    with Session(engine) as session, pytest.raises(InvalidInput) as caught:
        call(
            session,
            rules,
            phone="12345",
            locale="fr",
            urgent=True,
            params={**JOB, "wage": 2850.5, "bonus": "x"},
            key="bad key!",
            reference="r" * 121,
        )
    found = {(p.field, p.rule) for p in caught.value.problems}
    assert found >= {
        ("phone", "e164"),
        ("locale", "locale"),
        ("urgent", "offers-respect-quiet-hours"),
        ("params.wage", "template-params"),
        ("params.bonus", "template-params"),
        ("dedupe_key", "dedupe-key"),
        ("reference", "reference"),
    }
    assert sms_rows(engine)["sms_outbox"] == 0


def test_an_unknown_template_is_refused(engine, rules) -> None:
    with Session(engine) as session, pytest.raises(InvalidInput) as caught:
        call(session, rules, template_key="lottery_win")
    assert caught.value.problems[0].rule == "template"


def test_a_message_over_the_part_limit_is_refused(engine, rules) -> None:
    long_job = {**JOB, "employer": "安徽省滁州市定远县城南工业园区皖东电子科技有限公司" * 6}
    with Session(engine) as session, pytest.raises(InvalidInput) as caught:
        call(session, rules, params=long_job)
    problem = caught.value.problems[0]
    assert problem.rule == "max-parts" and "county-pilot@2020.1 allows 3" in problem.message
    assert sms_rows(engine)["sms_outbox"] == 0


def test_a_mainland_number_is_stored_in_e164(engine, rules) -> None:
    queue(engine, rules, DAY, key="referral:10", phone="139 1234 5678")
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage.phone)).one() == PHONE


def test_offers_to_an_opted_out_number_are_refused_but_urgent_notices_go(
    engine, rules, published
) -> None:
    with Session(engine) as session:
        assert set_opt_out(
            session, phone=PHONE, opted_out=True, gateway="kannel", keyword="TD", at=DAY
        )
        session.commit()
    assert [e.opted_out for e in published if isinstance(e, SmsOptOutChanged)] == [True]
    offer = queue(engine, rules, DAY, key="referral:11")
    assert offer.outcome == "opted_out" and offer.message_id is None
    notice = queue(engine, rules, DAY, key="sanction:2", template="sanction_notice", urgent=True)
    assert notice.outcome == "queued"
    assert sms_rows(engine)["sms_outbox"] == 1
    with Session(engine) as session:
        set_opt_out(session, phone=PHONE, opted_out=False, gateway="kannel", keyword="订阅", at=DAY)
        session.commit()
    assert queue(engine, rules, DAY, key="referral:11").outcome == "queued"


def test_setting_the_same_opt_out_twice_changes_nothing(engine, published) -> None:
    with Session(engine) as session:
        kwargs = dict(phone=PHONE, gateway="kannel", at=DAY)
        assert not set_opt_out(session, opted_out=False, keyword="START", **kwargs)
        assert set_opt_out(session, opted_out=True, keyword="TD", **kwargs)
        assert not set_opt_out(session, opted_out=True, keyword="STOP", **kwargs)
        session.commit()
    assert len([e for e in published if isinstance(e, SmsOptOutChanged)]) == 1


def test_naive_times_are_refused(engine, rules) -> None:
    with Session(engine) as session, pytest.raises(ValueError):
        call(session, rules, now=datetime(2026, 3, 2, 10, 0))
