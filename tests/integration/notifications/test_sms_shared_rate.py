"""The gateway's rate is one bucket in the database, shared by every worker process."""

import asyncio
import time

import pytest
from sqlmodel import Session, select
from test_sms_worker import MORNING, fake, worker_settings  # noqa: F401 - the fixture

from notifications import ratelimit
from notifications.gateways import KannelGateway
from notifications.gateways.kannel import new_session
from notifications.models import SendRate
from notifications.worker import OutboxWorker
from sms_support import RunningClock, queue


def take(engine, want, now, *, rate=10.0, burst=5):
    with Session(engine) as session:
        permits = ratelimit.take(session, "kannel", want, rate=rate, burst=burst, now=now)
        session.commit()
    return permits.granted, round(permits.wait, 6)


# Two workers, A and B, taking from one bucket of 10 a second with a burst of 5:
# (worker, seconds, permits wanted, permits granted, seconds to wait for the next)
SHARED = [
    ("A", 0.0, 3, 3, 0.0),
    ("B", 0.0, 5, 2, 0.1),  # A's three left two
    ("A", 0.05, 5, 0, 0.05),  # half a token saved up
    ("B", 0.1, 5, 1, 0.1),
    ("A", 0.4, 5, 3, 0.1),  # three tenths of a second: three more
    ("B", 0.4, 1, 0, 0.1),
    ("A", 60.0, 100, 5, 0.1),  # a minute idle saves only the burst
]


def test_workers_draw_on_one_rate(engine) -> None:
    for who, now, want, granted, wait in SHARED:
        assert take(engine, want, 1_000.0 + now) == (granted, wait), (who, now)
    total = sum(row[3] for row in SHARED[:-1])
    assert total <= 5 + 10 * 0.4  # never more than the burst plus the rate over the time


def test_permits_given_back_never_overfill_and_rate_zero_writes_nothing(engine) -> None:
    assert take(engine, 4, 2_000.0) == (4, 0.0)
    with Session(engine) as session:
        ratelimit.give_back(session, "kannel", 10, rate=10.0, burst=5)
        session.commit()
        assert session.exec(select(SendRate.tokens)).one() == 5.0
    with Session(engine) as session:
        assert ratelimit.take(session, "twilio", 7, rate=0, burst=5, now=0).granted == 7
        session.commit()
        assert session.exec(select(SendRate.gateway)).all() == ["kannel"]


@pytest.mark.parametrize("workers", [1, 2])
def test_the_rate_holds_whatever_the_number_of_workers(engine, rules, fake, workers) -> None:  # noqa: F811
    """20 a second with a burst of 2: twelve messages take at least half a second, whether one
    worker sends them or two (on PostgreSQL; SQLite has one sender)."""
    if workers == 2 and engine.dialect.name == "sqlite":
        workers = 1
    clock = RunningClock(MORNING)
    for i in range(12):
        queue(engine, rules, clock.now(), key=f"referral:{i}")
    settings = worker_settings(fake, rate_per_second=20, burst=2, batch_size=4)

    async def send():
        async with new_session(settings) as session:
            group = [
                OutboxWorker(engine, KannelGateway(settings, session), settings, rules, clock=clock)
                for _ in range(workers)
            ]
            started = time.monotonic()
            results = await asyncio.gather(*(w.run(once=True) for w in group))
            return results, time.monotonic() - started

    results, seconds = asyncio.run(send())
    assert sum(r.sent for r in results) == 12 and fake.stats()["delivered"] == 12
    assert seconds >= (12 - 2) / 20 - 0.02
