"""Change control for parameters (issue 16): a new version goes live only after its replay
against the current caseload has been run, read and signed off by a second person.

The steps, each by a county-wide benefit officer or admin:

1. ``propose`` — the changes, each with its legal basis, a note of why, and the day it starts
   (after the day of sign-off: no version reaches back over decisions already made).
2. ``replay`` — the last 12 months of the whole county replayed with the version's changes the
   replay can follow (``activation.replay``); the version records the run's id. Changes the
   replay cannot follow yet are listed apart for the reader.
3. ``sign_off`` — by someone other than the proposer, when that run has finished, its gate has
   passed, it replays exactly the version's changes and it is at most ``REPLAY_FRESH_DAYS``
   old. The version goes live: every process's book takes it in (``kernel.parameter_versions``).
   ``refuse`` (a second person, with a reason) and ``withdraw`` (the proposer) end it instead.

A decided version is kept as it is and none is ever deleted (migration 0033).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from activation.replay import runs
from activation.replay.models import PolicyReplay
from activation.replay.version_rules import (
    CheckedVersion,
    VersionAsk,
    check_version,
    day_problems,
    preceding,
    replayable_changes,
)
from benefits.payment_rules import Month
from kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem, missing
from kernel.messages import say
from kernel.parameter_versions import (
    LIVE,
    PROPOSED,
    REFUSED,
    WITHDRAWN,
    ParameterVersion,
    book_name,
)
from kernel.policy import PolicyBook

REPLAY_MONTHS = 12
# "Against the current caseload": a replay read for a sign-off is at most a week old.
REPLAY_FRESH_DAYS = 7


def taken_labels(session: Session, book: PolicyBook) -> set[str]:
    stored = session.exec(
        select(ParameterVersion.version).where(ParameterVersion.profile == book.profile)
    )
    return {v.version for v in book.versions} | set(stored)


def propose(
    session: Session, book: PolicyBook, ask: VersionAsk, *, actor: str, now: datetime, today: date
) -> ParameterVersion:
    checked, problems = check_version(ask, book, today, taken_labels(session, book))
    if problems:
        raise InvalidInput(problems)
    assert checked is not None
    row = _row(checked, book, actor, now)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def _row(checked: CheckedVersion, book: PolicyBook, actor: str, now: datetime) -> ParameterVersion:
    return ParameterVersion(
        profile=book.profile,
        version=checked.version,
        effective_from=checked.effective_from,
        note=checked.note,
        changes=checked.changes,
        state=PROPOSED,
        proposed_by=actor,
        proposed_at=now,
    )


def get(session: Session, version_id: int) -> ParameterVersion:
    row = session.get(ParameterVersion, version_id)
    if row is None:
        raise NotFound(missing("version_id", version_id))
    return row


def latest(session: Session, profile: str, limit: int, offset: int) -> list[ParameterVersion]:
    return list(
        session.exec(
            select(ParameterVersion)
            .where(ParameterVersion.profile == book_name(profile))
            .order_by(col(ParameterVersion.id).desc())
            .limit(limit)
            .offset(offset)
        )
    )


def replayed_changes(row: ParameterVersion, book: PolicyBook) -> list[str]:
    """What a replay of the version sets: its changes the replay follows."""
    return replayable_changes(row.changes, preceding(book, row.effective_from))


def replay_ask(row: ParameterVersion, today: date, book: PolicyBook) -> runs.ReplayAsk:
    """The last 12 months, the whole county, the version's replayable changes."""
    last = Month.of(today)
    return runs.ReplayAsk(
        first_month=last.plus(1 - REPLAY_MONTHS).label,
        last_month=last.label,
        changes=replayed_changes(row, book),
        grid=[],
        budget=None,
        office=None,
    )


def replay(
    engine: Engine,
    book: PolicyBook,
    version_id: int,
    *,
    actor: str,
    now: datetime,
    today: date,
) -> PolicyReplay:
    """Start the version's replay and record its id on the version (while it is proposed)."""
    with Session(engine) as session:
        row = get(session, version_id)
        _still_proposed(row)
        ask = replay_ask(row, today, book)
    run = runs.start(engine, book, ask, actor=actor, now=now, today=today)
    with Session(engine) as session:
        row = get(session, version_id)
        _still_proposed(row)
        row.replay_id = run.id
        session.add(row)
        session.commit()
    return run


def sign_off(
    session: Session,
    book: PolicyBook,
    version_id: int,
    note: str,
    *,
    actor: str,
    now: datetime,
    today: date,
) -> ParameterVersion:
    row = get(session, version_id)
    _still_proposed(row)
    _second_person(row, actor)
    problems = sign_off_problems(session, book, row, now, today)
    if problems:
        raise Conflict(problems)
    return _decide(session, row, LIVE, actor, now, note.strip() or None)


def sign_off_problems(
    session: Session, book: PolicyBook, row: ParameterVersion, now: datetime, today: date
) -> list[Problem]:
    """Why the version may not go live now (nothing when it may): its replay — asked for at
    most ``REPLAY_FRESH_DAYS`` ago by the service's clock — and its day."""
    return _replay_problems(session, row, now, book) + day_problems(row.effective_from, book, today)


def _replay_problems(
    session: Session, row: ParameterVersion, now: datetime, book: PolicyBook
) -> list[Problem]:
    run = session.get(PolicyReplay, row.replay_id) if row.replay_id is not None else None
    if run is None:
        return [
            Problem(
                "replay_id", "version-no-replay", say("replay the version before signing it off")
            )
        ]
    if run.state == "running":
        return [
            Problem("replay_id", "version-replay-running", say("the version's replay is running"))
        ]
    if run.state != "finished":
        return [
            Problem(
                "replay_id",
                "version-replay-failed",
                say("the version's replay failed; replay it again"),
            )
        ]
    problems = []
    if not run.gate_passed:
        problems.append(
            Problem(
                "replay_id",
                "version-replay-gate",
                say("the replay's gate did not pass: the caseload does not replay as it was paid"),
            )
        )
    if run.changes != replayed_changes(row, book) or run.grid or run.office:
        problems.append(
            Problem(
                "replay_id",
                "version-replay-other",
                say("the replay was of other changes than the version's; replay it again"),
            )
        )
    if now - run.requested_at > timedelta(days=REPLAY_FRESH_DAYS):
        problems.append(
            Problem(
                "replay_id",
                "version-replay-old",
                say(
                    "the replay is more than %(days)s days old; replay the caseload as it is now",
                    days=REPLAY_FRESH_DAYS,
                ),
            )
        )
    return problems


def refuse(
    session: Session, version_id: int, note: str, *, actor: str, now: datetime
) -> ParameterVersion:
    row = get(session, version_id)
    _still_proposed(row)
    _second_person(row, actor)
    if not note.strip():
        raise InvalidInput(
            [Problem("note", "version-refusal-reason", say("say why it is refused"))]
        )
    return _decide(session, row, REFUSED, actor, now, note.strip())


def withdraw(
    session: Session, version_id: int, note: str, *, actor: str, now: datetime
) -> ParameterVersion:
    row = get(session, version_id)
    _still_proposed(row)
    if row.proposed_by != actor:
        raise Forbidden(
            Problem(
                "actor", "version-withdraw", say("only whoever proposed a version withdraws it")
            )
        )
    return _decide(session, row, WITHDRAWN, actor, now, note.strip() or None)


def _decide(
    session: Session,
    row: ParameterVersion,
    state: str,
    actor: str,
    now: datetime,
    note: str | None,
) -> ParameterVersion:
    row.state, row.decided_by, row.decided_at, row.decision_note = state, actor, now, note
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def _still_proposed(row: ParameterVersion) -> None:
    if row.state != PROPOSED:
        raise Conflict(
            Problem(
                "state",
                "version-decided",
                say("the version was decided already (%(state)s)", state=row.state),
            )
        )


def _second_person(row: ParameterVersion, actor: str) -> None:
    if row.proposed_by == actor:
        raise Forbidden(
            Problem(
                "actor",
                "four-eyes",
                say("%(what)s must be done by a second person", what=say("deciding a version")),
            )
        )
