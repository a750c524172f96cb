"""A status history priced month by month with the payment run's own rule 1
(``benefits.payment_rules.regular_fen``: pro rata by calendar days, rounded once by the
rounding of the version in force on the month's first day)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from benefits.payment_rules import Month, Rounding, StatusSlice, overlaps, regular_fen
from kernel.policy import ParameterSet


def months_between(first: Month, last: Month) -> list[Month]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.plus(1)
    return months


def roundings(months: Sequence[Month], book_at: Callable[[date], ParameterSet]) -> list[Rounding]:
    return [Rounding.from_policy(book_at(month.first)) for month in months]


def due_by_month(
    slices: Sequence[StatusSlice], months: Sequence[Month], rounding: Sequence[Rounding]
) -> list[int]:
    """The regular amount of each month, in fen (0 for a month the history does not reach)."""
    return [
        regular_fen([s for s in slices if overlaps(s, month)], month, step)
        for month, step in zip(months, rounding, strict=True)
    ]
