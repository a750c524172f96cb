"""The outbox worker against a real HTTP gateway on loopback (the Kannel-compatible fake)."""

import asyncio
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from kernel.events import SmsDeliveryChanged
from notifications.fake_gateway import FakeKannel, ServerThread
from notifications.gateways import KannelGateway
from notifications.gateways.kannel import new_session
from notifications.receipts import Status
from notifications.services import Receipt, record_receipt, set_opt_out
from notifications.settings import SmsSettings
from notifications.worker import OutboxWorker, Outcome, WorkerBusy
from sms_support import PHONE, PUBLIC, RunningClock, free_port, of_type, outbox, queue

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def fake() -> Iterator[FakeKannel]:
    gateway = FakeKannel()
    server = ServerThread(gateway, free_port()).start()
    gateway.url = server.url  # type: ignore[attr-defined]
    yield gateway
    server.stop()


def worker_settings(fake: FakeKannel, **overrides) -> SmsSettings:
    values = dict(
        gateway="kannel",
        public_base_url=PUBLIC,
        callback_token="cb-token",
        kannel_sendsms_url=f"{fake.url}/cgi-bin/sendsms",  # type: ignore[attr-defined]
        kannel_username="workbridge",
        kannel_password="secret",
        kannel_from="10690000",
        rate_per_second=0,
        concurrency=4,
        batch_size=10,
        backoff_base_seconds=0.05,
        backoff_max_seconds=0.2,
        lease_seconds=30,
        poll_seconds=0.05,
    )
    values.update(overrides)
    return SmsSettings(**values)


def run_worker(engine, settings, rules, clock, *, wait=0.0):
    async def go():
        async with new_session(settings) as session:
            worker = OutboxWorker(
                engine, KannelGateway(settings, session), settings, rules, clock=clock
            )
            return await worker.run(once=True, wait_for_retries=wait)

    return asyncio.run(go())


def test_due_messages_are_sent_once_each_through_a_real_gateway(engine, rules, fake) -> None:
    clock = RunningClock(MORNING)
    for i in range(3):
        queue(engine, rules, clock.now(), key=f"referral:{i}")
    queue(engine, rules, clock.now(), key="sanction:1", template="sanction_notice", urgent=True)
    stats = run_worker(engine, worker_settings(fake), rules, clock)
    assert (stats.claimed, stats.sent, stats.failed) == (4, 4, 0)
    rows = outbox(engine)
    assert {r.status for r in rows} == {"sent"}
    assert [r.provider_message_id for r in rows] == [r.dedupe_key for r in rows]
    assert all(r.attempts == 1 and r.gateway == "kannel" and r.sent_at for r in rows)
    assert fake.stats()["max_requests_per_key"] == 1
    first = next(d for d in fake.delivered if d.key == "referral:0")
    assert first.to == PHONE and first.coding == "2"
    assert first.text.startswith("【定远就业】岗位K7Q2：")


def test_transient_failures_are_retried_until_sent(engine, rules, fake) -> None:
    fake.fail_every = 2  # every second request answers 503
    clock = RunningClock(MORNING)
    for i in range(6):
        queue(engine, rules, clock.now(), key=f"referral:{i}")
    stats = run_worker(engine, worker_settings(fake), rules, clock, wait=2)
    rows = outbox(engine)
    assert {r.status for r in rows} == {"sent"}
    assert stats.retried >= 3 and stats.sent == 6
    assert max(r.attempts for r in rows) >= 2
    assert fake.stats()["delivered"] == 6 and fake.stats()["max_deliveries_per_key"] == 1
    assert fake.stats()["requests"] == 6 + stats.retried


def test_a_refusal_fails_the_message_and_tells_the_caller(engine, rules, fake, published):
    clock = RunningClock(MORNING)
    queue(engine, rules, clock.now(), key="referral:1", reference="referral:1")
    settings = worker_settings(fake, kannel_password="wrong")
    stats = run_worker(engine, settings, rules, clock)
    (row,) = outbox(engine)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "Authorization failed" in row.last_error and "K7Q2" not in row.last_error
    assert stats.failed == 1
    (event,) = of_type(published, SmsDeliveryChanged)
    assert (event.reference, event.delivered, event.status) == ("referral:1", False, "failed")


def test_attempts_are_bounded(engine, rules, fake, published) -> None:
    fake.fail_every = 1  # the gateway is down
    clock = RunningClock(MORNING)
    queue(engine, rules, clock.now(), key="referral:1")
    run_worker(engine, worker_settings(fake, max_attempts=3), rules, clock, wait=2)
    (row,) = outbox(engine)
    assert (row.status, row.attempts) == ("failed", 3)
    assert fake.stats()["requests"] == 3
    assert len(of_type(published, SmsDeliveryChanged)) == 1


def test_quiet_hours_are_checked_again_when_claiming(engine, rules, fake) -> None:
    """Queued at 20:00 but the worker was down until 22:30: the offer waits for 08:00, the
    urgent sanction notice goes now."""
    evening = datetime(2026, 3, 2, 20, 0, tzinfo=SHANGHAI)
    queue(engine, rules, evening, key="referral:1")
    queue(engine, rules, evening, key="sanction:1", template="sanction_notice", urgent=True)
    late = RunningClock(datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI))
    run_worker(engine, worker_settings(fake), rules, late)
    assert [(r.dedupe_key, r.status) for r in outbox(engine)] == [
        ("referral:1", "queued"),
        ("sanction:1", "sent"),
    ]
    run_worker(
        engine,
        worker_settings(fake),
        rules,
        RunningClock(datetime(2026, 3, 3, 7, 59, tzinfo=SHANGHAI)),
    )
    assert outbox(engine)[0].status == "queued"
    run_worker(
        engine,
        worker_settings(fake),
        rules,
        RunningClock(datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)),
    )
    assert outbox(engine)[0].status == "sent"


def test_an_offer_to_a_number_that_opted_out_meanwhile_is_cancelled(
    engine, rules, fake, published
) -> None:
    clock = RunningClock(MORNING)
    queue(engine, rules, clock.now(), key="referral:1", reference="referral:1")
    queue(engine, rules, clock.now(), key="sanction:1", template="sanction_notice", urgent=True)
    with Session(engine) as session:
        set_opt_out(session, phone=PHONE, opted_out=True, gateway="kannel", keyword="TD",
                    at=clock.now())  # fmt: skip
        session.commit()
    stats = run_worker(engine, worker_settings(fake), rules, clock)
    assert [r.status for r in outbox(engine)] == ["cancelled", "sent"]
    assert stats.cancelled == 1 and [d.key for d in fake.delivered] == ["sanction:1"]
    (event,) = of_type(published, SmsDeliveryChanged)
    assert (event.reference, event.delivered, event.status) == ("referral:1", False, "cancelled")


def claim_and_send_without_recording(engine, settings, rules, clock, limit=10):
    """What a worker killed between the gateway's answer and its commit leaves behind."""

    async def go():
        async with new_session(settings) as session:
            worker = OutboxWorker(
                engine, KannelGateway(settings, session), settings, rules, clock=clock
            )
            claimed = await asyncio.to_thread(worker.claim, limit)
            outcome = await worker._send(claimed[0])
            return worker, claimed, outcome

    return asyncio.run(go())


def test_a_killed_workers_messages_are_resent_with_the_same_key(engine, rules, fake) -> None:
    clock = RunningClock(MORNING)
    for i in range(3):
        queue(engine, rules, clock.now(), key=f"referral:{i}")
    settings = worker_settings(fake, lease_seconds=30)
    _, claimed, outcome = claim_and_send_without_recording(engine, settings, rules, clock)
    assert outcome.status is Status.SENT and len(claimed) == 3
    assert {r.status for r in outbox(engine)} == {"sending"}
    # Before the lease runs out, nobody else may take them.
    assert run_worker(engine, settings, rules, clock).claimed == 0
    clock.skip(31)
    stats = run_worker(engine, settings, rules, clock)
    assert stats.sent == 3 and {r.status for r in outbox(engine)} == {"sent"}
    assert [r.attempts for r in outbox(engine)] == [2, 2, 2]
    # The gateway saw the first key twice (same outbox key) and delivered it once.
    assert fake.per_key["referral:0"] == 2
    assert fake.stats()["delivered"] == 3 and fake.stats()["max_deliveries_per_key"] == 1


def test_an_expired_claim_cannot_overwrite_a_newer_one(engine, rules, fake) -> None:
    clock = RunningClock(MORNING)
    queue(engine, rules, clock.now(), key="referral:1")
    settings = worker_settings(fake, lease_seconds=5)
    worker = OutboxWorker(engine, KannelGateway(None, settings), settings, rules, clock=clock)  # type: ignore[arg-type]
    (old,) = worker.claim(1)
    clock.skip(6)
    (new,) = worker.claim(1)
    assert old.claim_token != new.claim_token and new.attempts == 2
    assert new.opted_out is False  # a bool on both databases (SQLite answers EXISTS with 0)
    worker.record([Outcome(old, Status.FAILED, clock.now(), error="late")])
    assert outbox(engine)[0].status == "sending"
    worker.record([Outcome(new, Status.SENT, clock.now(), provider_message_id="referral:1")])
    assert outbox(engine)[0].status == "sent"


def test_a_receipt_that_beats_the_worker_is_kept(engine, rules, fake, published) -> None:
    clock = RunningClock(MORNING)
    queue(engine, rules, clock.now(), key="referral:1", reference="referral:1")
    settings = worker_settings(fake)
    worker = OutboxWorker(engine, KannelGateway(None, settings), settings, rules, clock=clock)  # type: ignore[arg-type]
    (claimed,) = worker.claim(1)
    with Session(engine) as session:
        receipt = Receipt("kannel", "referral:1:1", Status.DELIVERED, clock.now(),
                          provider_message_id="referral:1", outbox_key="referral:1")  # fmt: skip
        assert record_receipt(session, receipt, now=clock.now()) == "delivered"
        session.commit()
    worker.record([Outcome(claimed, Status.SENT, clock.now(), provider_message_id="referral:1")])
    (row,) = outbox(engine)
    assert row.status == "delivered" and row.sent_at is not None
    assert len(of_type(published, SmsDeliveryChanged)) == 1


def test_a_receipt_settles_a_message_whose_sender_died(engine, rules, fake) -> None:
    clock = RunningClock(MORNING)
    queue(engine, rules, clock.now(), key="referral:1")
    settings = worker_settings(fake, lease_seconds=5)
    claim_and_send_without_recording(engine, settings, rules, clock, limit=1)
    with Session(engine) as session:
        receipt = Receipt("kannel", "referral:1:1", Status.DELIVERED, clock.now(),
                          outbox_key="referral:1")  # fmt: skip
        record_receipt(session, receipt, now=clock.now())
        session.commit()
    clock.skip(6)
    assert run_worker(engine, settings, rules, clock).claimed == 0
    assert outbox(engine)[0].status == "delivered" and fake.stats()["requests"] == 1


def test_workers_never_share_a_message(engine, rules, fake) -> None:
    """PostgreSQL: two workers claim with SKIP LOCKED and split the queue. SQLite has one
    writer, so a second worker on the same file is refused outright."""
    clock = RunningClock(MORNING)
    for i in range(40):
        queue(engine, rules, clock.now(), key=f"referral:{i}")
    settings = worker_settings(fake, batch_size=5, concurrency=2)

    async def two_workers():
        async with new_session(settings) as session:
            workers = [
                OutboxWorker(engine, KannelGateway(settings, session), settings, rules, clock=clock)
                for _ in range(2)
            ]
            if engine.dialect.name == "sqlite":
                stop = asyncio.Event()
                first = asyncio.create_task(workers[0].run(stop=stop))
                await asyncio.sleep(0.1)
                with pytest.raises(WorkerBusy):
                    await workers[1].run(once=True)
                for _ in range(300):  # let the first worker finish the queue
                    if fake.stats()["delivered"] == 40:
                        break
                    await asyncio.sleep(0.05)
                stop.set()
                return [await first]
            return await asyncio.gather(*(w.run(once=True) for w in workers))

    results = asyncio.run(two_workers())
    assert sum(s.sent for s in results) == 40
    assert fake.stats()["requests"] == 40 and fake.stats()["max_requests_per_key"] == 1
    if engine.dialect.name == "postgresql":
        assert all(s.sent > 0 for s in results)


def test_the_app_can_run_the_worker_in_the_background(settings, engine, rules) -> None:
    """WORKBRIDGE_SMS_WORKER_IN_APP: the web process sends too, and stops cleanly with it."""
    import time

    from litestar.testing import TestClient

    from kernel.clock import SystemClock
    from workbridge.app import create_app

    queue(engine, rules, SystemClock().now(), key="sanction:1", template="sanction_notice",
          urgent=True)  # fmt: skip
    sms = SmsSettings(gateway="console", worker_in_app=True, poll_seconds=0.05)
    app = create_app(settings, clock=SystemClock(), sms_settings=sms)
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while outbox(engine)[0].status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/health").status_code == 200
    (row,) = outbox(engine)
    assert (row.status, row.provider_message_id) == ("sent", "console-sanction:1")
    assert [m.key for m in app.state.sms_gateway.sent] == ["sanction:1"]


def test_of_two_serving_processes_one_sends_and_the_other_takes_over_when_it_stops(
    settings, engine, rules, monkeypatch
) -> None:
    """``workbridge serve --workers 2`` with the in-app worker: each process runs the lifespan,
    one holds the in-app lock and sends, the other stands by; when the sender stops, the one
    standing by takes over (here after 0.05 s instead of 30)."""
    import contextlib
    import time

    from litestar.testing import TestClient

    from kernel.clock import SystemClock
    from notifications import runtime
    from workbridge.app import create_app

    monkeypatch.setattr(runtime, "STANDBY_SECONDS", 0.05)
    sms = SmsSettings(gateway="console", worker_in_app=True, poll_seconds=0.05)
    first = create_app(settings, clock=SystemClock(), sms_settings=sms)
    second = create_app(settings, clock=SystemClock(), sms_settings=sms)

    def wait_until(check) -> bool:
        deadline = time.monotonic() + 10
        while not check() and time.monotonic() < deadline:
            time.sleep(0.02)
        return check()

    def sent(app) -> list[str]:
        return [m.key for m in app.state.sms_gateway.sent]

    with contextlib.ExitStack() as outlives_the_first:
        with TestClient(first):
            assert wait_until(lambda: first.state.sms_sending)
            outlives_the_first.enter_context(TestClient(second))
            time.sleep(0.3)  # the second has tried the lock several times meanwhile
            assert not second.state.sms_sending
            queue(engine, rules, SystemClock().now(), key="sanction:1",
                  template="sanction_notice", urgent=True)  # fmt: skip
            assert wait_until(lambda: sent(first) == ["sanction:1"]), outbox(engine)
        # the first process has stopped: the second takes over
        assert wait_until(lambda: second.state.sms_sending)
        queue(engine, rules, SystemClock().now(), key="sanction:2",
              template="sanction_notice", urgent=True)  # fmt: skip
        assert wait_until(lambda: sent(second) == ["sanction:2"]), outbox(engine)
    assert sent(first) == ["sanction:1"]
    assert [r.status for r in outbox(engine)] == ["sent", "sent"]


def test_a_database_failure_while_recording_stops_the_worker_loudly(engine, rules, fake):
    """The outcome could not be written: better to stop (the rows stay leased and are resent
    after the lease) than to keep sending without a record."""
    clock = RunningClock(MORNING)
    queue(engine, rules, clock.now(), key="referral:1")
    settings = worker_settings(fake)

    async def go():
        async with new_session(settings) as session:
            worker = OutboxWorker(
                engine, KannelGateway(settings, session), settings, rules, clock=clock
            )

            def broken(outcomes):
                raise RuntimeError("database gone")

            worker.record = broken  # type: ignore[method-assign]
            return await asyncio.wait_for(worker.run(once=True), timeout=10)

    with pytest.raises(RuntimeError, match="database gone"):
        asyncio.run(go())
    assert outbox(engine)[0].status == "sending"
