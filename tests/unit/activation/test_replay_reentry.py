"""The replay's re-entry window (activation/replay/reentry.py): each recorded right decided
again under the reform; boundary tables on the window's last day and on the replay's range."""

from __future__ import annotations

from datetime import date

import pytest

from activation.replay.reentry import UNRESOLVED, CaseOrigin, ReentryFacts, reentries
from activation.replay.reform import Reform, ReformedBook
from kernel.policy import load_profile

BOOK = load_profile("county-pilot")  # a window of 12 months
EXIT = date(2026, 9, 10)
FIRST, LAST = date(2026, 1, 1), date(2026, 12, 31)


def decision(ended: str, reported: str, eligible: bool) -> ReentryFacts:
    return ReentryFacts(
        {
            "exited_on": EXIT.isoformat(),
            "job_ended_on": ended,
            "reported_on": reported,
            "end_reason": "employer_closed",
        },
        eligible,
    )


def window(months: int):
    return ReformedBook(BOOK, Reform({"reentry.window_months": months})).at


@pytest.mark.parametrize(
    ("ended", "months", "refused"),
    [
        ("2026-10-10", 1, 0),  # the window's last day: 10 September + 1 month
        ("2026-10-11", 1, 1),  # the day after
        ("2026-10-11", 2, 0),
        ("2026-09-10", 1, 0),  # the exit's own day
    ],
)
def test_a_fast_re_entry_the_window_no_longer_reaches(ended, months, refused) -> None:
    reported = "2026-10-20"
    opened = CaseOrigin(reentry_applied_on=date(2026, 10, 20), closed_on=None)
    done = reentries(opened, [decision(ended, reported, True)], window(months), FIRST, LAST)
    assert done.refused == refused
    assert done.unresolved == (UNRESOLVED if refused else None)
    assert done.offered == 0


@pytest.mark.parametrize(
    ("ended", "reported", "months", "offered"),
    [
        ("2027-09-11", "2027-09-30", 13, 1),  # reported on the range's last day
        ("2027-09-11", "2027-10-01", 13, 0),  # the day after: outside the range
        ("2027-09-11", "2027-09-30", 12, 0),  # 12 months end on 10 September 2027
    ],
)
def test_a_job_lost_outside_the_window_is_offered_the_fast_path(
    ended, reported, months, offered
) -> None:
    exited = CaseOrigin(reentry_applied_on=None, closed_on=EXIT)
    late = date(2027, 9, 30)
    done = reentries(exited, [decision(ended, reported, False)], window(months), FIRST, late)
    assert (done.offered, done.refused, done.unresolved) == (offered, 0, None)


def test_another_case_s_exit_is_not_this_case_s_offer() -> None:
    other = CaseOrigin(reentry_applied_on=None, closed_on=date(2025, 1, 1))
    found = [decision("2027-09-11", "2027-09-30", False)]
    done = reentries(other, found, window(13), FIRST, date(2027, 9, 30))
    assert done.offered == 0
