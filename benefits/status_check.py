"""The status check: the benefit office's most frequent question, in one indexed query.

"Is this person on dibao, since when, at what amount, and why?" is asked at every counter many
times a day, by people and by other offices' systems, so it is read with a single statement:
the person's memberships with, for each household, its latest case and latest application
(``max(id)``), on the indexes of ``member.national_id``, ``benefit_case.household_id`` and
``application.household_id``. The statement is built once; each call binds the ID number.

A person may have belonged to several households (a household split, a new marriage): the
answer is about the live one — a case that is not terminated — or else the most recent.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Dialect, Engine, bindparam, func, select

from benefits.models import Application, BenefitCase, Household, Member
from benefits.rules import CaseStatus
from benefits.schemas import StatusOut
from benefits.views import in_words
from kernel.auth import Principal
from kernel.errors import InvalidInput, NotFound, Problem
from kernel.loop_reads import LoopReads, thread_rows
from kernel.messages import answer_gettext, render, say
from kernel.money import from_fen, yuan_text
from kernel.national_id import InvalidNationalId, mask, parse_national_id
from kernel.visibility import in_office, office_of

UNKNOWN_PERSON = Problem("national_id", "known-person", "no household has this person")

_m, _h = Member.__table__, Household.__table__  # type: ignore[attr-defined]
_c, _a = BenefitCase.__table__, Application.__table__  # type: ignore[attr-defined]
_cases, _applications = _c.alias("cases"), _a.alias("applications")
_latest_case = (
    select(func.max(_cases.c.id))
    .where(_cases.c.household_id == _h.c.id)
    .correlate(_h)
    .scalar_subquery()
)
_latest_application = (
    select(func.max(_applications.c.id))
    .where(_applications.c.household_id == _h.c.id)
    .correlate(_h)
    .scalar_subquery()
)
STATUS_QUERY = (
    select(
        _m.c.national_id,
        _m.c.name,
        _h.c.id.label("household_id"),
        _h.c.community,
        _h.c.township,
        _h.c.scheme,
        _c.c.id.label("case_id"),
        _c.c.status,
        _c.c.category,
        _c.c.monthly_amount_fen,
        _c.c.status_since,
        _c.c.status_reason,
        _c.c.status_said,
        _c.c.next_review_on,
        _c.c.coming_on,
        _c.c.coming_said,
        _c.c.parameter_version.label("case_version"),
        _a.c.id.label("application_id"),
        _a.c.state.label("application_state"),
        _a.c.applied_on,
        _a.c.decided_on,
        _a.c.decision_reason,
        _a.c.decision_said,
        _a.c.parameter_version.label("application_version"),
    )
    .select_from(
        _m.join(_h, _h.c.id == _m.c.household_id)
        .outerjoin(_c, _c.c.id == _latest_case)
        .outerjoin(_a, _a.c.id == _latest_application)
    )
    .where(_m.c.national_id == bindparam("national_id"))
)


@dataclass(frozen=True)
class StatusFacts:
    """One person's household and what it receives: the row the answer is made of."""

    row: Any  # a row of STATUS_QUERY, by column name

    @property
    def household_id(self) -> int:
        return int(self.row.household_id)


StatusRow = namedtuple("StatusRow", [c.name for c in STATUS_QUERY.selected_columns])  # type: ignore[misc]


def _rank(row: Any) -> tuple[int, int]:
    live = row.case_id is not None and row.status != CaseStatus.TERMINATED
    return (1 if live else 0, row.household_id)


@functools.cache
def _compiled(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The statement as the driver takes it, compiled once per database kind."""
    compiled = STATUS_QUERY.compile(dialect=dialect)
    return str(compiled), compiled.positiontup


def _params(dialect: Dialect, national_id: str) -> Any:
    positions = _compiled(dialect)[1]
    params = {"national_id": national_id}
    return tuple(params[p] for p in positions) if positions else params


def _chosen(rows: list[Any], actor: Principal | None = None) -> StatusFacts:
    """The live household's row (or the most recent one's), if the actor may see it: a person
    whose household another office holds is as unknown as nobody (kernel.visibility). The row
    carries the household's community and township, so that takes no second look-up."""
    if not rows:
        raise NotFound(UNKNOWN_PERSON)
    row = max((StatusRow(*values) for values in rows), key=_rank)
    office = office_of(actor) if actor is not None else None
    if office is not None and not in_office([(row.community, row.township)], office):
        raise NotFound(UNKNOWN_PERSON)
    return StatusFacts(row)


def status_of(engine: Engine, national_id: str) -> StatusFacts:
    """The person's live household (or most recent one) with its case or application.

    Run on a pooled connection of the driver's own, without a session or a transaction around
    it (the single statement is atomic by itself): the busiest request of the service spends
    most of its time otherwise in SQLAlchemy's bookkeeping, not in the database. Dates come back
    as the driver gives them (ISO text from SQLite); ``status_out`` makes them dates.
    """
    return status_for(engine, None, national_id)


def asked_for(national_id: str) -> str:
    """The ID number a status check names, checked (GB 11643): every reason it is not one is a
    422 problem on ``national_id``."""
    try:
        return parse_national_id(national_id).value
    except InvalidNationalId as exc:
        raise InvalidInput(
            [Problem("national_id", "national-id", reason) for reason in exc.reasons]
        ) from exc


def status_for(engine: Engine, actor: Principal | None, national_id: str) -> StatusFacts:
    """The status check as an actor may see it, on a request thread (pages, scripts)."""
    sql = _compiled(engine.dialect)[0]
    return _chosen(thread_rows(engine, sql, _params(engine.dialect, national_id)), actor)


async def status_on_loop(reads: LoopReads, actor: Principal, national_id: str) -> StatusFacts:
    """The status check as an actor may see it, read on the event loop (kernel.loop_reads):
    the API's busiest route, where a hand-over to a request thread costs more than the query."""
    dialect = reads.dialect
    rows = await reads.rows(_compiled(dialect)[0], _params(dialect, national_id))
    return _chosen(rows, actor)


def _day(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def status_out(facts: StatusFacts, today: date | None = None) -> StatusOut:
    """The answer; with ``today``, whether the case's review is overdue."""
    row = facts.row
    since: date | None
    coming_on: date | None = None
    coming: str | None = None
    if row.case_id is not None:
        status, category, amount = row.status, row.category, row.monthly_amount_fen
        since, review = row.status_since, row.next_review_on
        why: str | None = in_words(row.status_reason, row.status_said)
        version: str | None = row.case_version
        if row.coming_on is not None:
            coming_on, coming = _day(row.coming_on), in_words(None, row.coming_said)
    elif row.application_id is not None:
        state = row.application_state
        status, category, amount = f"application_{state}", None, 0
        since = row.decided_on or row.applied_on
        why = in_words(row.decision_reason, row.decision_said) or render(
            say("application %(id)s is %(state)s", id=row.application_id, state=state),
            answer_gettext(),
        )
        review, version = None, row.application_version
    else:
        status, category, amount, since = "no_application", None, 0, None
        why = render(say("the household has not applied"), answer_gettext())
        review, version = None, None
    return StatusOut(
        national_id_masked=mask(row.national_id),
        name=row.name,
        household_id=row.household_id,
        community=row.community,
        township=row.township,
        scheme=row.scheme,
        case_id=row.case_id,
        status=status,
        category=category,
        monthly_amount=yuan_text(from_fen(amount)),
        since=_day(since),
        why=why,
        next_review_on=_day(review),
        review_overdue=bool(today and review and _day(review) < today),  # type: ignore[operator]
        coming_on=coming_on,
        coming=coming,
        parameter_version=version,
    )
