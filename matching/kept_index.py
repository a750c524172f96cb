"""The ranking index of open vacancies, kept by a serve process between requests.

A person's matches are asked for on every profile page and by the API; building the index means
reading every open vacancy and turning it into arrays, which grows with the county while the
query itself does not. So each process keeps the index it built, per database, and builds again
only when the database says vacancies changed (``vacancy_revision``, bumped by triggers on every
insert, update or delete — migration 0022), when the office day turns (validity is by day), or
when the trades' occupations in the parameters change.

The revision is read before the vacancies: a change committed between the two makes the kept
index carry an older revision than its content, which only causes one more build, never a stale
answer. Building happens outside the lock; two requests that miss together both build, and the
later one is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from matching.models import VacancyRevision
from matching.ranking import VacancyIndex

KEEP = 4  # databases per process (tests open many; a service one)


@dataclass(frozen=True)
class _Kept:
    key: tuple[Any, ...]
    index: VacancyIndex | None


_kept: OrderedDict[str, _Kept] = OrderedDict()
_lock = threading.Lock()
_builds = 0


def builds() -> int:
    """How many indexes this process has built (for tests and the benchmark)."""
    return _builds


def revision(session: Session) -> tuple[str, int] | None:
    """The vacancies' (token, revision), or None where no vacancy was ever written."""
    row = session.exec(select(VacancyRevision.token, VacancyRevision.revision)).first()
    return (row[0], row[1]) if row else None


def vacancy_index(
    session: Session,
    today: date,
    trade_occupations: Mapping[str, Sequence[str]],
    build: Callable[[], VacancyIndex | None],
) -> VacancyIndex | None:
    """The index for ``today``: the kept one while nothing changed, else ``build()``'s."""
    global _builds
    seen = revision(session)
    place = session.get_bind().url.render_as_string(hide_password=True)
    trades = tuple(sorted((code, tuple(groups)) for code, groups in trade_occupations.items()))
    key = (seen, today, trades)
    with _lock:
        kept = _kept.get(place)
        if seen is not None and kept is not None and kept.key == key:
            _kept.move_to_end(place)
            return kept.index
    index = build()
    with _lock:
        _builds += 1
        if seen is not None:
            _kept[place] = _Kept(key, index)
            _kept.move_to_end(place)
            while len(_kept) > KEEP:
                _kept.popitem(last=False)
    return index
