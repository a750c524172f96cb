import asyncio

import pytest

from notifications.ratelimit import TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_burst_then_the_steady_rate() -> None:
    fake = FakeTime()
    bucket = TokenBucket(10, 5, clock=fake.clock, sleep=fake.sleep)

    async def take(n: int) -> None:
        for _ in range(n):
            await bucket.acquire()

    asyncio.run(take(25))
    # five from the burst at once, then one every 0.1 s: twenty more take two seconds
    assert fake.now == pytest.approx(2.0)
    assert len(fake.slept) == 20


def test_rate_zero_never_waits_and_tokens_refill_up_to_the_burst() -> None:
    fake = FakeTime()
    unlimited = TokenBucket(0, 1, clock=fake.clock, sleep=fake.sleep)

    async def many() -> None:
        await asyncio.gather(*(unlimited.acquire() for _ in range(1000)))

    asyncio.run(many())
    assert fake.slept == []
    bucket = TokenBucket(2, 3, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        assert bucket.try_take() == 0
    assert bucket.try_take() == pytest.approx(0.5)
    fake.now += 100  # a long idle spell saves up only `burst` tokens
    assert [bucket.try_take() == 0 for _ in range(4)] == [True, True, True, False]


def test_invalid_buckets() -> None:
    with pytest.raises(ValueError):
        TokenBucket(-1, 1)
    with pytest.raises(ValueError):
        TokenBucket(1, 0)
