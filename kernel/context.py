"""What a use case needs besides its inputs: a session, who acts, when, and the policy book."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from kernel.auth import Principal
from kernel.policy import ParameterSet, PolicyBook


@dataclass(frozen=True)
class ServiceContext:
    session: Session
    actor: Principal
    now: datetime  # aware UTC instant of the call
    today: date  # calendar day at the office
    policy: PolicyBook

    def __post_init__(self) -> None:
        # Event handlers receive only the session; this lets them act with the same actor,
        # clock and policy as the use case that published the event.
        self.session.info["ctx"] = self

    def params(self, on: date | None = None) -> ParameterSet:
        """The parameter version in force on ``on`` (default: today)."""
        return self.policy.at(on or self.today)


def context_of(session: Session) -> ServiceContext:
    """The ServiceContext a session was opened for (set when the context is created)."""
    ctx = session.info.get("ctx")
    if not isinstance(ctx, ServiceContext):
        raise RuntimeError("this session was not opened through a ServiceContext")
    return ctx


def context_or_system(session: Session) -> ServiceContext:
    """The session's context, or, for work that runs outside a request (a worker process, a
    script), a system context with the wall clock and the configured policy."""
    ctx = session.info.get("ctx")
    if isinstance(ctx, ServiceContext):
        return ctx
    from kernel.auth import SYSTEM
    from kernel.clock import SystemClock, office_today
    from kernel.parameter_versions import book_with, live_versions
    from kernel.settings import Settings

    settings = Settings.from_env()
    clock = SystemClock()
    profile = settings.policy_profile
    with session.no_autoflush:
        book = book_with(profile, live_versions(session, profile))
    return ServiceContext(
        session=session,
        actor=SYSTEM,
        now=clock.now(),
        today=office_today(clock, settings.zone),
        policy=book,
    )
