"""A token bucket per gateway: the worker never sends faster than the provider allows.

SMS.md gives the ceilings (Alibaba 5,000 QPS per account, Tencent 3,000 requests/s, about
900 sends/s through Kannel on loopback); the configured rate should sit below them, divided
among workers when several run against one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; rate 0 means no limit."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate < 0 or burst < 1:
            raise ValueError("rate must be >= 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self.tokens = float(burst)
        self.updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def try_take(self) -> float:
        """Take a token if one is there (returns 0), else return the seconds to wait."""
        if self.rate == 0:
            return 0.0
        self._refill()
        if self.tokens >= 1 - 1e-9:  # tolerate float dust, or a wait could round to nothing
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / self.rate

    async def acquire(self) -> None:
        if self.rate == 0:
            return
        async with self._lock:  # first come, first served
            while (wait := self.try_take()) > 0:
                await self.sleep(wait)
