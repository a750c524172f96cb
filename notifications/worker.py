"""The outbox worker: claim due messages, send them through the gateway, record the outcome.

Claims are safe against other workers and against crashes:

- a claim is one statement that moves rows from ``queued`` to ``sending`` with a lease and a
  claim token; on PostgreSQL the candidate rows are picked ``FOR UPDATE SKIP LOCKED`` so
  workers never wait on or share a row; on SQLite the single UPDATE is atomic and one worker
  per database file is enforced with a lock file (SQLite has one writer anyway);
- every outcome is written with the claim token, so a worker whose lease ran out cannot
  overwrite what a later claim did;
- a worker killed mid-send leaves rows in ``sending``; when their lease expires they are
  claimed again and resent with the same outbox key. A delivery receipt that arrived in the
  meantime has already moved the row on, so it is not resent. Providers that honour the key
  drop the repeat; those that do not (Alibaba's OutId and Tencent's SessionContext are only
  echoed) can deliver twice only the messages that were in flight, or sent but not yet
  recorded, at the moment of the kill (at most ``concurrency`` plus one write batch, a few
  milliseconds' worth); a SIGTERM drains in-flight sends and records them before exiting.

Offers wait out quiet hours (checked again at claim time, so a retry or a worker that was
down overnight does not send at 23:00); urgent notices and replies do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    bindparam,
    case,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlmodel import Session, col

from kernel.clock import Clock, SystemClock
from kernel.db import UTCDateTime
from kernel.events import SmsDeliveryChanged, bus
from notifications import ratelimit
from notifications.gateways.base import GatewayError, OutgoingSms, SmsGateway
from notifications.models import OptOut, OutboxMessage
from notifications.phones import mask_phone
from notifications.receipts import Status
from notifications.services import SendingRules
from notifications.settings import SmsSettings
from notifications.templates import TEMPLATES, Kind, render
from notifications.timing import backoff_seconds

log = logging.getLogger("notifications.worker")

REPLY_TEMPLATES = tuple(k for k, t in TEMPLATES.items() if t.kind is Kind.REPLY)


class WorkerBusy(RuntimeError):
    """Another worker already sends from this SQLite database."""


@dataclass(frozen=True)
class Claimed:
    id: int
    created_at: datetime  # with the id, finds the row in its month's partition alone
    dedupe_key: str
    claim_token: str
    phone: str
    locale: str
    template_key: str
    params: dict[str, Any]
    urgent: bool
    attempts: int
    reference: str | None
    opted_out: bool


@dataclass(frozen=True)
class Outcome:
    message: Claimed
    status: Status  # SENT, QUEUED (retry), FAILED or CANCELLED
    at: datetime
    provider_message_id: str | None = None
    retry_at: datetime | None = None
    error: str | None = None


@dataclass
class WorkerStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class OutboxWorker:
    def __init__(
        self,
        engine: Engine,
        gateway: SmsGateway,
        settings: SmsSettings,
        rules: SendingRules,
        *,
        clock: Clock | None = None,
        rate_clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.settings = settings
        self.rules = rules
        self.clock = clock or SystemClock()
        # The gateway's rate is shared with other processes through the database, so it is
        # counted in wall-clock seconds, not by the business clock (which tests and replays
        # hold still).
        self.rate_clock = rate_clock
        self.rate_wait = 0.0  # seconds until the gateway's next permit, after a short grant
        self.stats = WorkerStats()
        self.is_postgres = engine.dialect.name == "postgresql"

    # --- database side (synchronous, run in a thread) ---------------------------------------

    def claim(self, limit: int) -> list[Claimed]:
        """Move up to ``limit`` due messages to ``sending`` under a fresh lease, with as many
        permits from the gateway's shared rate (``ratelimit``), in one transaction. Permits
        for messages that were not there, or that go to opted-out numbers, are given back."""
        rate, burst = self.settings.rate_per_second, max(1, self.settings.burst)
        with Session(self.engine) as session:
            permits = ratelimit.take(
                session, self.gateway.name, limit, rate=rate, burst=burst, now=self.rate_clock()
            )
            self.rate_wait = permits.wait
            if permits.granted == 0:
                session.commit()
                return []
            now = self.clock.now()
            token = uuid.uuid4().hex
            rows = session.execute(self._claim_statement(now, token, permits.granted)).all()
            if len(rows) < permits.granted:
                self.rate_wait = 0.0  # the outbox ran short, not the permits
            sending = sum(1 for r in rows if not r.opted_out)
            ratelimit.give_back(
                session, self.gateway.name, permits.granted - sending, rate=rate, burst=burst
            )
            session.commit()
        return [
            Claimed(
                id=r.id,
                created_at=r.created_at,
                dedupe_key=r.dedupe_key,
                claim_token=token,
                phone=r.phone,
                locale=r.locale,
                template_key=r.template_key,
                params=dict(r.params or {}),
                urgent=r.urgent,
                attempts=r.attempts,
                reference=r.reference,
                opted_out=bool(r.opted_out),  # SQLite answers the EXISTS with 0 or 1
            )
            for r in sorted(rows, key=lambda r: r.id)
        ]

    def _claim_statement(self, now: datetime, token: str, limit: int) -> Any:
        """One UPDATE … RETURNING over the first ``limit`` due rows (skipping rows another
        worker holds, on PostgreSQL), each returned with whether its number has opted out.

        Due is two things — queued and due, or sending under a lapsed lease — looked up as two
        branches rather than one OR: each then walks the status index from its start and stops
        after ``limit`` rows, where the OR read every message of the month (sent ones
        included) and sorted the due ones, per claim."""
        allowed = self._may_send_now(now)
        queued = and_(
            col(OutboxMessage.status) == Status.QUEUED, col(OutboxMessage.not_before) <= now
        )
        lapsed = and_(
            col(OutboxMessage.status) == Status.SENDING, col(OutboxMessage.lease_until) < now
        )
        branches = []
        for due in (queued, lapsed):
            branch = (
                select(OutboxMessage.id, OutboxMessage.created_at, OutboxMessage.not_before)
                .where(due, allowed)
                .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
                .limit(limit)
            )
            if self.is_postgres:
                branch = branch.with_for_update(skip_locked=True)
            branches.append(branch.subquery().select())
        due_rows = union_all(*branches).subquery("due")
        candidates = (
            select(due_rows.c.id, due_rows.c.created_at)
            .order_by(due_rows.c.not_before, due_rows.c.id)
            .limit(limit)
        )
        opted_out = and_(
            col(OutboxMessage.urgent).is_(False),
            select(OptOut.phone)
            .where(col(OptOut.phone) == OutboxMessage.phone, col(OptOut.opted_out).is_(True))
            .exists(),
        )
        return (
            update(OutboxMessage)
            .where(tuple_(col(OutboxMessage.id), col(OutboxMessage.created_at)).in_(candidates))
            .values(
                status=Status.SENDING.value,
                lease_until=now + timedelta(seconds=self.settings.lease_seconds),
                claim_token=token,
                attempts=OutboxMessage.attempts + 1,
                gateway=self.gateway.name,
            )
            .returning(
                OutboxMessage.id,
                OutboxMessage.created_at,
                OutboxMessage.dedupe_key,
                OutboxMessage.phone,
                OutboxMessage.locale,
                OutboxMessage.template_key,
                OutboxMessage.params,
                OutboxMessage.urgent,
                OutboxMessage.attempts,
                OutboxMessage.reference,
                opted_out.label("opted_out"),
            )
        )

    def record(self, outcomes: list[Outcome]) -> None:
        """Write a batch of outcomes in one transaction, publishing final failures.

        Sends, the common case, are written with one executemany; a receipt may already
        have moved a row on (Kannel reports within milliseconds), so its status is kept.
        """
        sent = [o for o in outcomes if o.status is Status.SENT]
        with Session(self.engine) as session:
            if sent:
                session.execute(
                    _RECORD_SENT,
                    [
                        {
                            "b_id": o.message.id,
                            "b_created": o.message.created_at,
                            "b_token": o.message.claim_token,
                            "b_provider_id": o.provider_message_id,
                            "b_at": o.at,
                        }
                        for o in sent
                    ],
                )
            for outcome in outcomes:
                if outcome.status is not Status.SENT:
                    self._record_one(session, outcome)
            session.commit()

    def _record_one(self, session: Session, outcome: Outcome) -> None:
        message = outcome.message
        mine = and_(
            col(OutboxMessage.id) == message.id,
            col(OutboxMessage.created_at) == message.created_at,
            col(OutboxMessage.claim_token) == message.claim_token,
        )
        still_sending = and_(mine, col(OutboxMessage.status) == Status.SENDING)
        if outcome.status is Status.QUEUED:
            session.execute(
                update(OutboxMessage)
                .where(still_sending)
                .values(
                    status=Status.QUEUED.value,
                    not_before=outcome.retry_at,
                    lease_until=None,
                    last_error=(outcome.error or "")[:300],
                )
                .execution_options(synchronize_session=False)
            )
            return
        changed = session.execute(
            update(OutboxMessage)
            .where(still_sending)
            .values(
                status=outcome.status.value,
                finished_at=outcome.at,
                lease_until=None,
                last_error=(outcome.error or "")[:300] or None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            bus.publish(
                session,
                SmsDeliveryChanged(
                    message_id=message.id,
                    reference=message.reference,
                    delivered=False,
                    status=outcome.status.value,
                    at=outcome.at,
                ),
            )

    # --- sending side (async) ----------------------------------------------------------------

    def _retry_at(self, message: Claimed, error: GatewayError, now: datetime) -> datetime:
        delay = backoff_seconds(
            message.attempts,
            base=self.settings.backoff_base_seconds,
            cap=self.settings.backoff_max_seconds,
            retry_after=error.retry_after,
            jitter=random.random() * 0.25,
        )
        when = now + timedelta(seconds=delay)
        if not message.urgent and message.template_key not in REPLY_TEMPLATES:
            when = self.rules.quiet_hours(when).next_allowed(when, self.rules.zone)
        return when

    async def _send(self, message: Claimed) -> Outcome:
        if message.opted_out:
            return Outcome(message, Status.CANCELLED, self.clock.now(), error="opted out")
        try:
            rendered = render(message.template_key, message.params, message.locale)
        except (KeyError, ValueError) as exc:
            return Outcome(message, Status.FAILED, self.clock.now(), error=f"render: {exc}")
        sms = OutgoingSms(
            message_id=message.id,
            key=message.dedupe_key,
            phone=message.phone,
            signature=self.settings.signature,
            rendered=rendered,
        )
        try:
            accepted = await self.gateway.send(sms)
        except GatewayError as exc:
            error = exc
        except Exception as exc:  # an adapter bug must not kill the worker; retry, bounded
            log.exception("gateway %s raised unexpectedly", self.gateway.name)
            error = GatewayError(f"unexpected {type(exc).__name__}", transient=True)
        else:
            return Outcome(
                message,
                Status.SENT,
                self.clock.now(),
                provider_message_id=accepted.provider_message_id,
            )
        now = self.clock.now()
        kind = error.code or str(error.status_code or "transport")
        self.stats.errors[kind] = self.stats.errors.get(kind, 0) + 1
        log.warning(
            "SMS %s to %s not sent (attempt %d): %s",
            message.id,
            mask_phone(message.phone),
            message.attempts,
            error,
        )
        if error.transient and message.attempts < self.settings.max_attempts:
            return Outcome(
                message,
                Status.QUEUED,
                now,
                retry_at=self._retry_at(message, error, now),
                error=str(error),
            )
        return Outcome(message, Status.FAILED, now, error=str(error))

    def _count(self, outcome: Outcome) -> None:
        if outcome.status is Status.SENT:
            self.stats.sent += 1
        elif outcome.status is Status.QUEUED:
            self.stats.retried += 1
        elif outcome.status is Status.CANCELLED:
            self.stats.cancelled += 1
        else:
            self.stats.failed += 1

    def _may_send_now(self, now: datetime) -> Any:
        """During quiet hours only urgent notices and replies may go (timing.py)."""
        local = now.astimezone(self.rules.zone).time()
        if not self.rules.quiet_hours(now).contains(local):
            return true()
        return or_(
            col(OutboxMessage.urgent).is_(True),
            col(OutboxMessage.template_key).in_(REPLY_TEMPLATES),
        )

    def _next_due_in(self) -> float | None:
        """Seconds until the next message this worker may send falls due (None: nothing)."""
        now = self.clock.now()
        allowed = self._may_send_now(now)
        with Session(self.engine) as session:
            earliest = session.execute(
                select(OutboxMessage.not_before)
                .where(col(OutboxMessage.status) == Status.QUEUED, allowed)
                .order_by(col(OutboxMessage.not_before))
                .limit(1)
            ).scalar()
            lease = session.execute(
                select(OutboxMessage.lease_until)
                .where(col(OutboxMessage.status) == Status.SENDING, allowed)
                .order_by(col(OutboxMessage.lease_until))
                .limit(1)
            ).scalar()
        candidates = [t for t in (earliest, lease) if t is not None]
        if not candidates:
            return None
        return max(0.0, (min(candidates) - self.clock.now()).total_seconds())

    def _room(self) -> int:
        """How many messages may be claimed ahead of sending. A claimed message waits for a
        free slot and a token; it must go out well within its lease, or another worker would
        take it over while it still waits here."""
        room = self.settings.concurrency * 4
        rate = self.settings.rate_per_second
        if rate > 0:
            room = min(room, int(rate * self.settings.lease_seconds / 2))
        return max(1, room)

    async def run(
        self,
        *,
        once: bool = False,
        wait_for_retries: float = 0.0,
        stop: asyncio.Event | None = None,
    ) -> WorkerStats:
        """Send until stopped; with ``once``, stop when nothing is due (waiting at most
        ``wait_for_retries`` seconds for retries and expired leases that fall due soon).

        On ``stop`` no more messages are claimed; sends in flight finish and are recorded.
        """
        stop = stop or asyncio.Event()
        with self._single_sqlite_worker():
            outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
            writer = asyncio.create_task(self._write(outcomes))
            in_flight: set[asyncio.Task[None]] = set()
            semaphore = asyncio.Semaphore(self.settings.concurrency)
            room = self._room()
            step = min(self.settings.concurrency, room)
            freed = asyncio.Event()

            async def send_one(message: Claimed) -> None:
                try:
                    async with semaphore:
                        outcome = await self._send(message)
                    await outcomes.put(outcome)
                finally:
                    freed.set()

            try:
                while not stop.is_set():
                    if writer.done():
                        writer.result()  # re-raise a database error from the writer
                    claimed: list[Claimed] = []
                    free = room - len(in_flight)
                    limit = min(self.settings.batch_size, free)
                    held_by_rate = False
                    if free >= step or not in_flight:
                        claimed = await asyncio.to_thread(self.claim, limit)
                        held_by_rate = self.rate_wait > 0
                    self.stats.claimed += len(claimed)
                    for message in claimed:
                        task = asyncio.create_task(send_one(message))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
                    if claimed and len(claimed) == limit:
                        continue  # more may be due: claim again while there is room
                    if held_by_rate:  # the gateway's rate, not an empty outbox, held it back
                        wait = min(self.rate_wait, self.settings.poll_seconds)
                        await _sleep_or_stop(stop, wait)
                        continue
                    if in_flight:
                        freed.clear()
                        await _wait_event(freed, stop, self.settings.poll_seconds)
                        continue
                    await _drain(outcomes, writer)
                    if once:
                        due_in = await asyncio.to_thread(self._next_due_in)
                        if due_in is None or due_in > wait_for_retries:
                            break
                        await _sleep_or_stop(stop, max(due_in, 0.02))
                        continue
                    await _sleep_or_stop(stop, self.settings.poll_seconds)
                if in_flight:
                    await asyncio.gather(*in_flight, return_exceptions=True)
                await _drain(outcomes, writer)
            finally:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
        return self.stats

    async def _write(self, outcomes: asyncio.Queue[Outcome]) -> None:
        """One writer: whatever outcomes have arrived are written together, so a busy worker
        commits in batches and an idle one commits each outcome at once."""
        while True:
            batch = [await outcomes.get()]
            while not outcomes.empty() and len(batch) < 500:
                batch.append(outcomes.get_nowait())
            try:
                await asyncio.to_thread(self.record, batch)
            finally:
                for outcome in batch:
                    self._count(outcome)
                    outcomes.task_done()

    @contextlib.contextmanager
    def _single_sqlite_worker(self):  # type: ignore[no-untyped-def]
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        if not database or database == ":memory:":
            yield
            return
        lock_path = Path(database).with_suffix(Path(database).suffix + ".sms-worker.lock")
        with lock_path.open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise WorkerBusy(
                    f"another SMS worker is running on {database} (SQLite has one writer)"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_RECORD_SENT = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("b_id"),
        _OUTBOX.c.created_at == bindparam("b_created", type_=UTCDateTime()),
        _OUTBOX.c.claim_token == bindparam("b_token"),
    )
    .values(
        status=case(
            (_OUTBOX.c.status == Status.SENDING.value, Status.SENT.value),
            else_=_OUTBOX.c.status,
        ),
        provider_message_id=bindparam("b_provider_id"),
        sent_at=bindparam("b_at", type_=UTCDateTime()),
        lease_until=None,
        last_error=None,
    )
)


async def _drain(outcomes: asyncio.Queue[Outcome], writer: asyncio.Task[None]) -> None:
    """Wait until every outcome is written; if the writer died, raise its error instead of
    waiting for ever."""
    joined = asyncio.create_task(outcomes.join())
    await asyncio.wait({joined, writer}, return_when=asyncio.FIRST_COMPLETED)
    if not joined.done():
        joined.cancel()
        writer.result()


async def _wait_event(event: asyncio.Event, stop: asyncio.Event, timeout: float) -> None:
    waiters = {asyncio.create_task(event.wait()), asyncio.create_task(stop.wait())}
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
