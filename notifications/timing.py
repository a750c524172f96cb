"""When a message may go out: quiet hours for offers, and backoff between attempts.

Quiet hours (SMS.md, "no marketing-style sends at night: keep quiet hours, e.g. 21:00–08:00
local, for offers"): a job or course offer queued at night waits for the morning; urgent
notices (warnings, sanction notices: POLICY.md requires notice before a cut) go at once. The
window is a policy parameter and is read in the office's time zone (Settings.timezone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kernel.policy import ParameterSet, PolicyError


@dataclass(frozen=True)
class QuietHours:
    start: time  # first quiet minute, e.g. 21:00
    end: time  # first minute sends are allowed again, e.g. 08:00

    @classmethod
    def from_policy(cls, params: ParameterSet) -> QuietHours:
        return cls(
            start=parse_clock(params.text("notifications.quiet_hours.start")),
            end=parse_clock(params.text("notifications.quiet_hours.end")),
        )

    def contains(self, local: time) -> bool:
        """True if ``local`` (wall-clock time at the office) is inside the quiet window.

        The start is quiet, the end is not: with 21:00–08:00, 20:59 sends, 21:00 waits, 07:59
        waits and 08:00 sends. Equal start and end mean no quiet hours.
        """
        local = local.replace(tzinfo=None, second=0, microsecond=0)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, instant: datetime, zone: ZoneInfo) -> datetime:
        """The first instant at or after ``instant`` outside quiet hours (aware, UTC)."""
        if instant.tzinfo is None:
            raise ValueError("quiet hours need a timezone-aware instant")
        local = instant.astimezone(zone)
        if not self.contains(local.time()):
            return instant.astimezone(UTC)
        day = local.date()
        if local.time().replace(tzinfo=None) >= self.end:
            day += timedelta(days=1)  # evening: the window ends tomorrow morning
        return datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)


def parse_clock(value: str) -> time:
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError) as exc:
        raise PolicyError(f"expected a wall-clock time HH:MM, got {value!r}") from exc


def backoff_seconds(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> float:
    """Delay before attempt ``attempt + 1`` after ``attempt`` transient failures.

    Exponential (base × 2^(attempt-1)) up to ``cap``; a gateway's Retry-After wins when it asks
    for longer. ``jitter`` in [0, 1) adds up to that fraction, so workers that failed together
    do not all retry in the same second.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    delay = min(cap, base * (2 ** (attempt - 1)) * (1 + max(0.0, min(jitter, 0.999))))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
