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
        month_fen([s for s in slices if overlaps(s, month)], month, step)
        for month, step in zip(months, rounding, strict=True)
    ]


def month_fen(overlapping: Sequence[StatusSlice], month: Month, rounding: Rounding) -> int:
    """Rule 1 for one month, without the arithmetic when one period covers all of it.

    Most months of most cases are whole: one period from before the first to after the last day,
    with an amount that is a whole number of rounding steps. Pro rata is then n/n of the amount
    and rounding leaves it as it is (``benefits.payment_rules.plain_fen``'s reasoning, here with
    zero amounts too), so the amount is the answer; anything else goes through ``regular_fen``.
    The tests hold the two equal over random histories.
    """
    if len(overlapping) == 1:
        only = overlapping[0]
        step = rounding.quantum_fen
        if (
            step is not None
            and only.starts_on <= month.first
            and (only.ends_on is None or only.ends_on >= month.last)
            and only.monthly_amount_fen % step == 0
        ):
            return only.monthly_amount_fen
    return regular_fen(overlapping, month, rounding)
