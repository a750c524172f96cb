"""Reads sent to a streaming replica while it keeps up, never at the cost of a stale answer.

A province's offices mostly read: lists, dashboards, person pages, exports. With
``WORKBRIDGE_READ_DATABASE_URL`` naming a PostgreSQL hot standby of the primary, a request that
only reads (GET, HEAD) takes its session there, and the primary keeps the writes (docs/
DEPLOYMENT.md). Three rules keep that honest:

- **A replica that lags is skipped.** A thread of each served process asks, once a second, the
  primary how far it has written and then the replica how far it has replayed, and keeps the
  primary's answers for a minute as marks. The lag is the time between the newest mark and the
  newest mark the replica has replayed past (``lag_behind``): nil when it has replayed all the
  primary had written, a second when it replays what the primary wrote a moment ago, growing
  while it stands still. Neither a quiet spell before a burst (which makes "the time since the
  last commit replayed" large while the replica is a moment behind) nor WAL the replica has not
  received yet (which it cannot know of) misleads it. With the primary away, the replica's own
  view decides (``lag_seconds``). A replica that does not answer, is not in recovery (promoted,
  or a primary named by mistake), or lags more than ``WORKBRIDGE_REPLICA_MAX_LAG_SECONDS`` is
  not used until it is back within it. Reads then go to the primary: slower, never wrong.
- **Whoever has just written reads their own writes.** After a write the primary's WAL position
  is handed back: in the ``Workbridge-Read-After`` header (an API client sends it with its next
  requests) and in a short-lived cookie (pages), and kept for the account in this process. A
  read that carries a position goes to the replica only once the replica has replayed that far.
- **Reads only.** A replica's transactions are read-only by nature, so a request that would
  write there fails loudly rather than writing somewhere it should not.

A command that only reads (an export of the roll or a register) asks the same once
(``command_reader``): it notes how far the primary has written when it begins and reads the
replica only once the replica has replayed that far — so an export taken straight after a
payment run shows the run — waiting at most the lag setting, after which it reads the primary.

Positions (LSNs) are compared as numbers: ``16/B374D848`` is ``0x16 << 32 | 0xB374D848``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from kernel.background import Every
from kernel.db import make_engine

REFRESH_SECONDS = 1.0
MARKS_KEPT_SECONDS = 60.0
MARK_SPACING_SECONDS = 0.1
READ_AFTER_HEADER = "Workbridge-Read-After"
READ_AFTER_COOKIE = "wb_read_after"


def parse_position(value: str | None) -> int | None:
    """A WAL position (``16/B374D848``) as a number; anything else as nothing."""
    if not value or value.count("/") != 1 or len(value) > 17:
        return None
    high, low = value.split("/")
    try:
        return int(high, 16) << 32 | int(low, 16)
    except ValueError:
        return None


def format_position(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


@dataclass(frozen=True)
class ReplicaState:
    """What the last check of the replica found."""

    reachable: bool = False
    in_recovery: bool = False
    replayed: int | None = None  # the WAL position it has replayed
    lag_seconds: float | None = None
    usable: bool = False
    checked_at: float = 0.0  # time.monotonic()

    @property
    def condition(self) -> str:
        """For /health: ``ok``, ``lagging``, ``not-a-replica`` or ``unreachable``."""
        if not self.reachable:
            return "unreachable"
        if not self.in_recovery:
            return "not-a-replica"
        return "ok" if self.usable else "lagging"


# On the replica: is it one, how far has it received and replayed, when did it last replay a
# commit, and is it streaming from the primary now.
_REPLICA_QUERY = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn()::text, "
    "pg_last_wal_replay_lsn()::text, "
    "EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp())), "
    "(SELECT status FROM pg_stat_wal_receiver)"
)
# On the primary: how far it has inserted (a writer's own commit is within it) and written.
_PRIMARY_QUERY = text("SELECT pg_current_wal_insert_lsn()::text")
_PRIMARY_WRITTEN = text("SELECT pg_current_wal_lsn()::text")


def lag_seconds(
    *,
    streaming: bool,
    received: int | None,
    replayed: int | None,
    since_replay: float | None,
) -> float | None:
    """How far behind the replica is by its own view alone, or None when it cannot be told:
    what decides while the primary cannot be asked for its marks.

    Streaming, with all it has received replayed, it is caught up as far as it can know (an idle
    primary writes no commits, so the time since the last one replayed says nothing). Otherwise
    the lag is the time since the last commit it replayed."""
    if replayed is None:
        return None
    if streaming and received is not None and replayed >= received:
        return 0.0
    if since_replay is None:
        return None
    return max(since_replay, 0.0)


def add_mark(
    marks: deque[tuple[float, int]],
    now: float,
    written: int,
    spacing: float = MARK_SPACING_SECONDS,
    kept: float = MARKS_KEPT_SECONDS,
) -> None:
    """Add the primary's position at ``now``, and forget marks older than ``kept`` seconds.

    Each ``/health`` probe checks too, so marks can come far faster than once a second. The
    newest mark is always the latest reading; the one before it is replaced rather than kept
    when it was taken less than ``spacing`` after its own predecessor. So marks stay at least
    ``spacing`` apart (but for the newest) — a minute holds at most ``kept / spacing`` of them
    whatever the probes — and the lag told from them is off by less than ``spacing``."""
    if len(marks) >= 2 and marks[-1][0] - marks[-2][0] < spacing:
        marks[-1] = (now, written)
    else:
        marks.append((now, written))
    while marks and marks[0][0] < now - kept:
        marks.popleft()


def lag_behind(marks: Sequence[tuple[float, int]], replayed: int) -> float | None:
    """How far behind the replica is, told from the primary's marks.

    ``marks`` are (time, written position) pairs taken on the primary, oldest first, the newest
    just before the replica was asked. The replica has everything the primary had written at the
    newest mark at or below ``replayed``; its lag is the time from that mark to the newest one.
    None when it has not reached even the oldest mark kept (behind by more than they span)."""
    if not marks:
        return None
    newest = marks[-1][0]
    for at, written in reversed(marks):
        if written <= replayed:
            return max(newest - at, 0.0)
    return None


class Replica:
    """The replica's engine and the last word on whether to read from it."""

    def __init__(
        self,
        primary: Engine,
        url: str,
        *,
        max_lag_seconds: float,
        pool_size: int,
        wait_seconds: float,
        pooler: str = "none",
    ) -> None:
        self.primary = primary
        self.max_lag_seconds = max_lag_seconds
        self.engine = make_engine(
            url,
            pool_size=pool_size,
            wait_seconds=wait_seconds,
            bound_lock_waits=True,
            pooler=pooler,
            # A replica whose machine has gone silent must not hold the check (or /health)
            # past the database wait: connection refused is quick, a lost host is not.
            connect_args={"connect_timeout": max(1, int(wait_seconds))},
        )
        self.state = ReplicaState()
        self._marks: deque[tuple[float, int]] = deque()
        self._check_lock = threading.Lock()
        self._follower = Every(REFRESH_SECONDS, self.check, "replica-lag")

    def primary_position(self) -> int:
        """How far the primary has written: a reader who has just committed waits for this."""
        with self.primary.connect() as connection:
            position = parse_position(connection.execute(_PRIMARY_QUERY).scalar())
        assert position is not None
        return position

    def _mark_primary(self) -> bool:
        """Note how far the primary has written now; False when it cannot be asked."""
        try:
            with self.primary.connect() as connection:
                written = parse_position(connection.execute(_PRIMARY_WRITTEN).scalar())
        except Exception:
            return False  # the primary is away: its own reads fail on their own
        if written is None:
            return False
        add_mark(self._marks, time.monotonic(), written)
        return True

    def check(self) -> ReplicaState:
        """Ask both servers and keep the answer (the follower thread does this every second)."""
        with self._check_lock:
            return self._check()

    def _check(self) -> ReplicaState:
        marked = self._mark_primary()
        try:
            with self.engine.connect() as connection:
                in_recovery, received_text, replayed_text, since_replay, receiver = (
                    connection.execute(_REPLICA_QUERY).one()
                )
        except Exception:
            self.state = ReplicaState(checked_at=time.monotonic())
            return self.state
        replayed = parse_position(replayed_text)
        lag: float | None = None
        if in_recovery and replayed is not None:
            if marked:
                lag = lag_behind(self._marks, replayed)
                if lag is None:  # behind all the marks kept: at least their span
                    lag = self._marks[-1][0] - self._marks[0][0]
                    if since_replay is not None:
                        lag = max(lag, float(since_replay))
            else:
                lag = lag_seconds(
                    streaming=receiver == "streaming",
                    received=parse_position(received_text),
                    replayed=replayed,
                    since_replay=None if since_replay is None else float(since_replay),
                )
        usable = bool(in_recovery) and lag is not None and lag <= self.max_lag_seconds
        self.state = ReplicaState(
            reachable=True,
            in_recovery=bool(in_recovery),
            replayed=replayed,
            lag_seconds=lag,
            usable=usable,
            checked_at=time.monotonic(),
        )
        return self.state

    def engine_for(self, read_after: int | None) -> Engine | None:
        """The replica's engine for a read that must see ``read_after``, or None (primary)."""
        state = self.state
        if not state.usable or state.replayed is None:
            return None
        if read_after is not None and state.replayed < read_after:
            return None
        return self.engine

    def follow(self) -> None:
        """Check now, then every second on a thread of its own (a served process)."""
        if not self._follower.running:
            self.check()
        self._follower.start()

    def close(self) -> None:
        self._follower.stop()
        self.engine.dispose()


class RecentWrites:
    """The WAL position of each account's last write in this process, for as long as a replica
    could take to replay it (beyond that the lag rule has skipped a slower replica anyway)."""

    def __init__(self, keep_seconds: float) -> None:
        self.keep_seconds = keep_seconds
        self._positions: dict[Any, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wrote(self, who: Any, position: int) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._positions) > 10_000:  # forget those long gone
                self._positions = {
                    key: kept for key, kept in self._positions.items() if kept[1] > now
                }
            self._positions[who] = (position, now + self.keep_seconds)

    def position(self, who: Any) -> int | None:
        kept = self._positions.get(who)
        if kept is None or kept[1] < time.monotonic():
            return None
        return kept[0]


def keep_seconds(max_lag_seconds: float) -> float:
    """How long a position is carried: past the lag any used replica can have, and a check."""
    return max(30.0, 2 * max_lag_seconds + 2 * REFRESH_SECONDS)


@dataclass(frozen=True)
class CommandRead:
    """Where a command's reads go, and why (a code the command prints in the reader's words)."""

    engine: Engine
    on_replica: bool
    why: str  # replica | no-replica | unreachable | not-a-replica | behind


@contextmanager
def command_reader(
    primary: Engine,
    url: str | None,
    *,
    max_lag_seconds: float,
    wait_seconds: float = 10.0,
    poll_seconds: float = 0.1,
) -> Iterator[CommandRead]:
    """The engine a read-only command reads through: the replica named by ``url`` once it has
    replayed everything the primary had written when the command began, else the primary.

    The replica is given at most ``max_lag_seconds`` to get there: a replica within the lag
    setting does, and one that does not is lagging by the served processes' rule too."""
    if not url:
        yield CommandRead(primary, False, "no-replica")
        return
    replica = Replica(
        primary, url, max_lag_seconds=max_lag_seconds, pool_size=2, wait_seconds=wait_seconds
    )
    try:
        target = replica.primary_position()
        deadline = time.monotonic() + max_lag_seconds
        while True:
            state = replica.check()
            if not state.reachable:
                choice = CommandRead(primary, False, "unreachable")
                break
            if not state.in_recovery:
                choice = CommandRead(primary, False, "not-a-replica")
                break
            if state.replayed is not None and state.replayed >= target:
                choice = CommandRead(replica.engine, True, "replica")
                break
            if time.monotonic() >= deadline:
                choice = CommandRead(primary, False, "behind")
                break
            time.sleep(poll_seconds)
        yield choice
    finally:
        replica.close()
