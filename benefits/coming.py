"""A change decided but not in effect yet, told with a case's status until it takes effect.

A status check answered "continuation (full), 300.00 a month" for a person whose stop had been
confirmed from the 12th: true today, misleading tomorrow. Whoever decides a dated change (a
confirmed sanction, a continuation with its end) announces it on the case; the status check
reads it in the same statement as the status, and it is cleared when a status change from its
day (or later) is recorded, or when the decision is withdrawn first.
"""

from __future__ import annotations

from datetime import date

from benefits.models import BenefitCase
from kernel.messages import Text, as_data


def announce(case: BenefitCase, on: date, what: Text) -> None:
    """From ``on``, ``what`` will hold (the latest decision announced is the one told)."""
    case.coming_on, case.coming_said = on, as_data(what)


def withdraw(case: BenefitCase) -> None:
    """The decided change will not come (overturned, cancelled, overtaken)."""
    case.coming_on, case.coming_said = None, None


def came(case: BenefitCase, effective_from: date) -> None:
    """A status change from ``effective_from`` was recorded: an announced change due by then
    has come, or been overtaken."""
    if case.coming_on is not None and effective_from >= case.coming_on:
        withdraw(case)
