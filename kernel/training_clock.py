"""A training or acceptance copy that lives at a date of its own, and is moved forward on demand.

Offices learn the lifecycle by walking people through it: a notice period that runs out, a
continuation that ends, a review that falls due. On the real clock that takes months. A copy
started with ``WORKBRIDGE_CLOCK`` lives at another date instead — ``2026-03-01`` (that day, from
09:00 office time, the hours passing as they do) or ``+30`` / ``-7`` (days from today) — and an
administrator moves it forward (``workbridge clock advance --days N`` or the clock page); sweeps,
the scheduler, payment runs and every page then live at the new date.

The distance from the real clock is kept in the database (``training_clock``), so the service's
workers, the scheduler and the command line agree on the day; a served process reads it on a
thread of its own every second, never on the event loop. Time only moves forward: a copy is
rehearsed in order, as the real one would be lived.

A copy with a training clock must never reach real people or real money, so the service refuses
to start with one beside a real SMS gateway or with ``WORKBRIDGE_PRODUCTION=on``
(``refuse_unsafe``); every page carries a banner with the copy's date.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event
from sqlmodel import Session

from kernel.background import Every
from kernel.clock import SystemClock
from kernel.db import reader
from kernel.models import TrainingClockRow
from kernel.settings import SettingsError

MAX_ADVANCE_DAYS = 3660  # ten years: beyond it a typing error is likelier than a rehearsal
REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class TrainingStart:
    """Where ``WORKBRIDGE_CLOCK`` starts a copy: on a day, or some days from today."""

    day: date | None = None
    offset_days: int = 0

    def offset_from(self, real: datetime, zone: ZoneInfo) -> timedelta:
        if self.day is None:
            return timedelta(days=self.offset_days)
        start = datetime.combine(self.day, time(9, 0), tzinfo=zone)
        return start - real


def parse_clock_setting(text: str | None) -> TrainingStart | None:
    """``WORKBRIDGE_CLOCK``: empty for the real clock, a day (``2026-03-01``) or a number of
    days from today (``+30``, ``-7``)."""
    value = (text or "").strip()
    if not value:
        return None
    if value[:1] in "+-" and value[1:].isdigit():
        days = int(value)
        if abs(days) > MAX_ADVANCE_DAYS:
            raise SettingsError(
                f"WORKBRIDGE_CLOCK may stand at most {MAX_ADVANCE_DAYS} days from today"
            )
        return TrainingStart(offset_days=days)
    try:
        return TrainingStart(day=date.fromisoformat(value))
    except ValueError:
        raise SettingsError(
            f"WORKBRIDGE_CLOCK must be a day (2026-03-01) or days from today (+30, -7), "
            f"not {value!r}"
        ) from None


def refuse_unsafe(start: TrainingStart | None, sms_gateway: str, production: bool) -> None:
    """A training copy never sends real texts and never runs on a production database."""
    if start is None:
        return
    if production:
        raise SettingsError(
            "WORKBRIDGE_CLOCK is for training and acceptance copies; "
            "WORKBRIDGE_PRODUCTION=on says this is the real service"
        )
    if sms_gateway != "console":
        raise SettingsError(
            f"WORKBRIDGE_CLOCK is for training and acceptance copies; they send no real SMS, "
            f"so WORKBRIDGE_SMS_GATEWAY must be console, not {sms_gateway!r}"
        )


class TrainingClock:
    """The real clock plus the copy's offset, as the database holds it."""

    def __init__(self, engine: Engine, start: TrainingStart, zone: ZoneInfo) -> None:
        self.engine = engine
        self.start = start
        self.zone = zone
        self.real = SystemClock()
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self._follower = Every(REFRESH_SECONDS, self.read, "training-clock")

    def now(self) -> datetime:
        return self.real.now() + self._offset

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    def load(self) -> TrainingClock:
        """Read the offset, writing the starting one if the copy has none yet."""
        with Session(self.engine) as session:
            row = session.get(TrainingClockRow, 1)
            if row is None:
                offset = self.start.offset_from(self.real.now(), self.zone)
                row = TrainingClockRow(
                    id=1,
                    offset_seconds=int(offset.total_seconds()),
                    moved_at=datetime.now(UTC),
                    moved_by="WORKBRIDGE_CLOCK",
                )
                session.add(row)
                session.commit()
            self._offset = timedelta(seconds=row.offset_seconds)
        return self

    def advance(self, session: Session, days: int, by: str) -> date:
        """Move the copy ``days`` forward (in the caller's transaction); the new day."""
        if not 1 <= days <= MAX_ADVANCE_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_ADVANCE_DAYS}")
        row = session.get(TrainingClockRow, 1, with_for_update=True)
        if row is None:
            raise LookupError("the training clock has not started")
        row.offset_seconds += days * 86_400
        row.moved_at, row.moved_by = datetime.now(UTC), by
        moved = timedelta(seconds=row.offset_seconds)
        # The process lives at the new date once the move is committed, not before: a move
        # rolled back leaves the copy where it was.
        event.listen(session, "after_commit", lambda _session: self._adopt(moved), once=True)
        return (self.real.now() + moved).astimezone(self.zone).date()

    def _adopt(self, offset: timedelta) -> None:
        """Take an offset read or committed, never going back: offsets only grow, so a read
        begun before a move and finished after it must not undo the move for a second."""
        with self._lock:
            if offset > self._offset:
                self._offset = offset

    def read(self) -> None:
        """Take the offset the database holds now (a move made by another process)."""
        with Session(reader(self.engine)) as session:
            row = session.get(TrainingClockRow, 1)
            if row is not None:
                self._adopt(timedelta(seconds=row.offset_seconds))

    def follow(self) -> None:
        """Keep the offset current on a thread of its own (a served process)."""
        self._follower.start()

    def stop(self) -> None:
        self._follower.stop()
