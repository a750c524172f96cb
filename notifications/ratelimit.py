"""A token bucket per gateway, shared by every worker process: the outbox never sends faster
than the provider allows, however many workers run.

SMS.md gives the ceilings (Alibaba 5,000 QPS per account, Tencent 3,000 requests/s, about 900
sends/s through one Kannel on loopback); ``WORKBRIDGE_SMS_RATE_PER_SECOND`` is the gateway's
whole rate. The bucket is a row per gateway (``SendRate``): a worker takes a permit for each
message it claims, in the claim's own transaction (the row is locked on PostgreSQL; SQLite
writes one at a time), and gives back the permits of messages it did not find. A burst of up to
``burst`` permits may be taken at once, as a bucket allows.

The arithmetic is pure (``refill``, ``grant``, ``seconds_to_next``); only ``take`` and
``give_back`` touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, select, update
from sqlmodel import Session, col

from kernel.db import insert_ignoring_conflicts
from notifications.models import SendRate

DUST = 1e-9  # float dust: 2.9999999 saved-up tokens are three permits


def refill(tokens: float, since: float, now: float, rate: float, burst: int) -> float:
    """Tokens after ``now - since`` seconds at ``rate`` a second, at most ``burst``; a clock
    that went back refills nothing."""
    return min(float(burst), tokens + max(0.0, now - since) * rate)


def grant(available: float, want: int) -> int:
    """Whole permits for up to ``want`` messages out of ``available`` tokens."""
    return max(0, min(want, int(available + DUST)))


def seconds_to_next(left: float, rate: float) -> float:
    """How long until one more permit is there."""
    return 0.0 if left + DUST >= 1 else (1 - left) / rate


@dataclass(frozen=True)
class Permits:
    granted: int
    wait: float  # seconds until the next permit, when fewer than wanted were granted


def take(
    session: Session, gateway: str, want: int, *, rate: float, burst: int, now: float
) -> Permits:
    """Take up to ``want`` permits from the gateway's bucket in ``session``'s transaction."""
    if rate <= 0:
        return Permits(want, 0.0)
    table = SendRate.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    session.execute(
        insert_ignoring_conflicts(dialect, table, ["gateway"]).values(
            gateway=gateway, tokens=float(burst), refilled_at=now
        )
    )
    row = session.execute(
        select(SendRate.tokens, SendRate.refilled_at)
        .where(col(SendRate.gateway) == gateway)
        .with_for_update()
    ).one()
    available = refill(row.tokens, row.refilled_at, now, rate, burst)
    granted = grant(available, want)
    left = available - granted
    session.execute(
        update(SendRate)
        .where(col(SendRate.gateway) == gateway)
        .values(tokens=left, refilled_at=max(now, row.refilled_at))
    )
    return Permits(granted, seconds_to_next(left, rate) if granted < want else 0.0)


def give_back(session: Session, gateway: str, count: int, *, rate: float, burst: int) -> None:
    """Return permits taken for messages that were not there to claim."""
    if rate <= 0 or count <= 0:
        return
    tokens = col(SendRate.tokens) + count
    session.execute(
        update(SendRate)
        .where(col(SendRate.gateway) == gateway)
        .values(tokens=case((tokens > burst, float(burst)), else_=tokens))
    )
