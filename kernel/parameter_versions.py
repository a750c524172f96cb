"""Parameter versions made in the service, and the policy book that includes the live ones.

The shipped profiles (``kernel/policy_profiles``) are the versions a county starts from. A
county changes a parameter by proposing a new version here; it goes live only when a second
person signs it off after reading its replay against the current caseload (issue 16, "change
control for parameters"; the use cases are ``activation.replay.versions``). A live version joins
the book every decision reads, after the shipped versions and those live before it, and is
never changed again: the database refuses to delete a version, and to change one once it has
left ``proposed`` (migration 0033), so a decision's ``parameter_version`` always names what it
was decided under.

A served process keeps its book current with ``LivePolicy``: read at start, then every few
seconds on a thread of its own, and at once after a sign-off in the same process. A version
may only start the day after it is signed off, so every process has it long before it applies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Engine, UniqueConstraint, inspect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Field, Session, SQLModel, col, select

from kernel.background import Every
from kernel.db import UTCDateTime, reader
from kernel.policy import PolicyBook, load_document, load_profile, parse_profile

log = logging.getLogger(__name__)
REFRESH_SECONDS = 5.0

PROPOSED, LIVE, REFUSED, WITHDRAWN = "proposed", "live", "refused", "withdrawn"
STATES = (PROPOSED, LIVE, REFUSED, WITHDRAWN)


class ParameterVersion(SQLModel, table=True):
    """One version of a profile's parameters, proposed in the service.

    ``changes`` holds only what it changes, ``{key: {"value": ..., "basis": ...}}``; the rest is
    inherited from the version in force before it, as a profile file's versions inherit.
    ``replay_id`` names the replay run (``policy_replay``) its sign-off rests on.
    """

    __tablename__ = "parameter_version"
    __table_args__ = (UniqueConstraint("profile", "version", name="uq_parameter_version"),)

    id: int | None = Field(default=None, primary_key=True)
    profile: str = Field(max_length=60)
    version: str = Field(max_length=40)
    effective_from: date
    note: str = Field(max_length=1000)
    changes: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=16, index=True)  # proposed | live | refused | withdrawn
    proposed_by: str = Field(max_length=160)
    proposed_at: datetime = Field(sa_type=UTCDateTime)
    replay_id: int | None = None
    decided_by: str | None = Field(default=None, max_length=160)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, max_length=1000)

    @property
    def version_id(self) -> str:
        return f"{self.profile}@{self.version}"


def as_profile_entry(row: ParameterVersion) -> dict[str, Any]:
    """A stored version in the shape of a profile file's ``[[version]]`` table."""
    return {
        "id": row.version,
        "effective_from": row.effective_from,
        "note": row.note,
        "params": {key: dict(spec) for key, spec in row.changes.items()},
    }


def book_with(profile: str, rows: Sequence[ParameterVersion]) -> PolicyBook:
    """The shipped profile with the given stored versions after its own."""
    document = load_document(profile)
    entries = list(document["version"]) + [as_profile_entry(row) for row in rows]
    return parse_profile({**document, "version": entries})


_migrated: set[str] = set()


def _has_table(session: Session) -> bool:
    """Whether the database has reached migration 0033 (remembered once it has): a database
    from before it has no versions made in the service, and a command run on it (a payment run
    before the upgrade) reads the shipped book."""
    key = str(session.get_bind().engine.url)
    if key not in _migrated:
        # Through the session's own connection: another would wait for the write lock the
        # caller may hold (SQLite), or take a second pooled connection.
        if not inspect(session.connection()).has_table(ParameterVersion.__tablename__):
            return False
        _migrated.add(key)
    return True


def live_versions(session: Session, profile: str) -> list[ParameterVersion]:
    if not _has_table(session):
        return []
    return list(
        session.exec(
            select(ParameterVersion)
            .where(ParameterVersion.profile == book_name(profile), ParameterVersion.state == LIVE)
            .order_by(col(ParameterVersion.effective_from))
        )
    )


def book_name(profile: str) -> str:
    """The profile's own name (``county-pilot``), also when it was configured as a file path."""
    return str(load_document(profile)["profile"])


def live_book(engine: Engine, profile: str) -> PolicyBook:
    """The book a decision reads now: the shipped versions and the live stored ones."""
    with Session(reader(engine)) as session:
        return book_with(profile, live_versions(session, profile))


class LivePolicy:
    """A long-lived process's book, kept current: ``book`` is swapped whole, so a reader takes
    one consistent book; ``on_change`` hands the new book to whoever else holds it (the app's
    state)."""

    def __init__(
        self,
        engine: Engine,
        profile: str,
        on_change: Callable[[PolicyBook], None] | None = None,
        outer: LivePolicy | None = None,
    ) -> None:
        self.engine = engine
        self.profile = profile
        self.on_change = on_change
        # The follower of an earlier start of the same application still serving (a test
        # client opened inside another): it takes over again when this one stops.
        self.outer = outer
        self.book = load_profile(profile)
        self._seen: tuple[int, ...] = ()  # none live: the shipped book the process holds
        self._follower = Every(REFRESH_SECONDS, self.refresh, "policy-versions")

    def refresh(self, session: Session | None = None) -> bool:
        """Read the live versions (through ``session`` when a request has one open, so it never
        holds two connections); hand on a new book when they changed. True when it did."""
        if session is not None:
            rows = live_versions(session, self.profile)
        else:
            with Session(reader(self.engine)) as own:
                rows = live_versions(own, self.profile)
        seen = tuple(row.id or 0 for row in rows)
        if seen == self._seen:
            return False
        self.book = book_with(self.profile, rows)
        if self.on_change is not None:
            self.on_change(self.book)
        self._seen = seen
        return True

    def follow(self) -> None:
        try:
            self.refresh()
        except DBAPIError:
            # A database not yet migrated to 0033: the shipped book stands until it is.
            log.warning("parameter versions could not be read; the shipped profile is used")
        self._follower.start()

    def stop(self) -> None:
        self._follower.stop()
