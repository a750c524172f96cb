"""Who did something, as a reader knows them: a name and an office, not ``user:4:demo.officer2``.

Records keep the actor's label (``kernel.auth.Principal.label``: kind, id, username) because it
is stable and says exactly which account acted. People reading a sanction, a timeline or a
printed notice want the officer's name and office instead, so pages turn labels into words
here. The accounts of an office number in the dozens; their names are read in one query and
kept for a minute per process, so showing a list of decisions costs no query per row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, select

from kernel.messages import N_, Gettext, say
from kernel.messages import render as render_text
from kernel.models import UserAccount

SYSTEM_WORDS = N_("the Workbridge system")
DEMO_WORDS = N_("demo data")  # the demo county's synthetic history (workbridge.demo)
TOKEN_WORDS = N_("API client %(name)s")
NAME_AND_OFFICE = N_("%(name)s (%(office)s)")


class ActorNames:
    """Account names by id, read at most once per ``seconds`` (an account renamed shows its
    new name within that time)."""

    def __init__(self, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine: Engine | None = None
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._names: dict[int, tuple[str, str | None]] = {}
        self._read_at: float | None = None

    def _accounts(self, engine: Engine) -> dict[int, tuple[str, str | None]]:
        with self._lock:
            now = self._clock()
            stale = self._read_at is None or now - self._read_at >= self._seconds
            if stale or engine is not self._engine:
                with engine.connect() as connection:
                    rows = connection.execute(
                        select(UserAccount.id, UserAccount.display_name, UserAccount.office)
                    ).all()
                self._names = {row.id: (row.display_name, row.office) for row in rows}
                self._read_at, self._engine = now, engine
            return self._names

    def words(self, label: str | None, gettext: Gettext, engine: Engine) -> str:
        """The actor behind ``label`` in the reader's words (the label itself if unknown)."""
        if not label:
            return ""
        kind, _, rest = label.partition(":")
        number, _, name = rest.partition(":")
        if kind == "system":
            return gettext(SYSTEM_WORDS)
        if kind == "demo":
            return gettext(DEMO_WORDS)
        if kind == "token":
            return render_text(say(TOKEN_WORDS, name=name), gettext)
        if kind == "user" and number.isdigit():
            found = self._accounts(engine).get(int(number))
            if found is not None:
                display, office = found
                if office:
                    return render_text(say(NAME_AND_OFFICE, name=display, office=office), gettext)
                return display
        return label
