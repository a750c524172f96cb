"""A status history priced month by month with the payment run's own rule 1
(``benefits.payment_rules.regular_fen``: pro rata by calendar days, rounded once by the
rounding of the version in force on the month's first day)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date

from benefits.payment_rules import Month, Rounding, StatusSlice, overlaps, regular_fen
from kernel.policy import ParameterSet


def months_between(first: Month, last: Month) -> list[Month]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.plus(1)
    return months


class Roundings(list[Rounding]):
    """Each month's rounding, with the step in fen they share worked out once (``shared_step``)
    instead of for every case ``due_by_month`` prices."""

    def __init__(self, steps: Iterable[Rounding] = ()) -> None:
        super().__init__(steps)
        self.shared_step = shared_step(self)


def roundings(months: Sequence[Month], book_at: Callable[[date], ParameterSet]) -> Roundings:
    return Roundings(Rounding.from_policy(book_at(month.first)) for month in months)


def shared_step(rounding: Sequence[Rounding]) -> int | None:
    """The step in fen of every month's rounding, when they have one and the same (None when
    the steps differ, one is finer than a fen, or there is no month)."""
    if not rounding:
        return None
    step = rounding[0].quantum_fen
    return step if all(r.quantum_fen == step for r in rounding) else None


def due_by_month(
    slices: Sequence[StatusSlice], months: Sequence[Month], rounding: Sequence[Rounding]
) -> list[int]:
    """The regular amount of each month, in fen (0 for a month the history does not reach).

    A case's periods follow one another (each starts after the one before has ended), and most
    of their months are whole: the period runs through the month, and when its amount is a
    whole number of rounding steps, that month's amount is the period's (``month_fen``'s
    reasoning). So each period fills its whole months at once, and only the months where a
    period starts or ends part way are priced by ``month_fen``, with the periods that reach
    them. Periods that overlap or come out of order, months that are not one run, or a window
    whose rounding changes step are priced month by month (``_by_month``).
    """
    if len(rounding) != len(months):
        raise ValueError("a rounding for each month")
    if not months:
        return []
    base = months[0].year * 12 + months[0].month
    count = len(months)
    step = rounding.shared_step if isinstance(rounding, Roundings) else shared_step(rounding)
    if step is None or months[-1].year * 12 + months[-1].month - base != count - 1:
        return _by_month(slices, months, rounding)
    due = [0] * count
    part: dict[int, list[StatusSlice]] = {}
    ended: date | None = None  # the last day of the period before (None: none yet)
    for period in slices:
        start, end, amount = period.starts_on, period.ends_on, period.monthly_amount_fen
        if ended is not None and start <= ended:
            return _by_month(slices, months, rounding)
        ended = date.max if end is None else end
        if end is not None and end < start:
            continue  # a period that ends before it starts reaches no day
        begin = start.year * 12 + start.month - base
        stop = count - 1 if end is None else end.year * 12 + end.month - base
        if begin >= count or stop < 0:
            continue  # wholly before or after the window
        low, high = max(begin, 0), min(stop, count - 1)
        whole_from = low if begin < 0 or start.day == 1 else low + 1
        whole_to = high if stop >= count or end is None or end == months[stop].last else high - 1
        if amount % step == 0 and whole_from <= whole_to:
            due[whole_from : whole_to + 1] = [amount] * (whole_to + 1 - whole_from)
            edges = [*range(low, whole_from), *range(whole_to + 1, high + 1)]
        else:
            edges = list(range(low, high + 1))
        for index in edges:
            part.setdefault(index, []).append(period)
    for index, reaching in part.items():
        due[index] = month_fen(reaching, months[index], rounding[index])
    return due


def _by_month(
    slices: Sequence[StatusSlice], months: Sequence[Month], rounding: Sequence[Rounding]
) -> list[int]:
    """``month_fen`` of each month with the periods that reach it, whatever their order."""
    base = months[0].year * 12 + months[0].month
    count = len(months)
    if months[-1].year * 12 + months[-1].month - base != count - 1:  # not one run of months
        return [
            month_fen([s for s in slices if overlaps(s, month)], month, step)
            for month, step in zip(months, rounding, strict=True)
        ]
    # Each period put in the months it reaches, by month number: a walk over the periods
    # instead of every period tested against every month.
    reached: list[list[StatusSlice]] = [[] for _ in months]
    for period in slices:
        start = period.starts_on
        begin = max(start.year * 12 + start.month - base, 0)
        end = period.ends_on
        stop = count - 1 if end is None else min(end.year * 12 + end.month - base, count - 1)
        for index in range(begin, stop + 1):
            reached[index].append(period)
    return [
        month_fen(found, month, step) if found else 0
        for found, month, step in zip(reached, months, rounding, strict=True)
    ]


def month_fen(overlapping: Sequence[StatusSlice], month: Month, rounding: Rounding) -> int:
    """Rule 1 for one month in whole fen: Σ(amount × days) / days in the month, rounded once.

    Most months of most cases are whole: one period from before the first to after the last day,
    with an amount that is a whole number of rounding steps. Pro rata is then n/n of the amount
    and rounding leaves it as it is (``benefits.payment_rules.plain_fen``'s reasoning, here with
    zero amounts too), so the amount is the answer. A part month is the exact fraction
    ``benefits.rules.amount_between`` rounds, summed and rounded here in integers as the payment
    run's SQL does (``benefits.payment_sql.rounded_fen``) instead of through Decimal; a step
    finer than a fen, a mode not listed in ``rounded_fen`` or a negative sum goes through
    ``regular_fen``. The tests hold the two equal over random histories, every mode and step.
    """
    if not overlapping:
        return 0  # a month the history does not reach: regular_fen's answer for no period
    step = rounding.quantum_fen
    first, last = month.first, month.last
    if step is not None and len(overlapping) == 1:
        only = overlapping[0]
        if (
            only.starts_on <= first
            and (only.ends_on is None or only.ends_on >= last)
            and only.monthly_amount_fen % step == 0
        ):
            return only.monthly_amount_fen
    if step is not None:
        day_fen = 0
        for period in overlapping:
            start = period.starts_on if period.starts_on > first else first
            end = period.ends_on if period.ends_on is not None and period.ends_on < last else last
            if start <= end:
                day_fen += period.monthly_amount_fen * ((end - start).days + 1)
        found = rounded_fen(day_fen, last.day, step, rounding.mode)
        if found is not None:
            return found
    return regular_fen(overlapping, month, rounding)


def rounded_fen(day_fen: int, days: int, step: int, mode: str) -> int | None:
    """``day_fen`` / ``days`` rounded to a multiple of ``step`` fen as ``Decimal.quantize``
    rounds by ``mode`` — for a sum at or above zero and the modes listed; None otherwise."""
    if day_fen < 0:
        return None
    divisor = days * step
    quotient, remainder = divmod(day_fen, divisor)
    if mode in ("ROUND_DOWN", "ROUND_FLOOR"):
        up = False
    elif mode in ("ROUND_UP", "ROUND_CEILING"):
        up = remainder > 0
    elif mode == "ROUND_HALF_UP":
        up = 2 * remainder >= divisor
    elif mode == "ROUND_HALF_DOWN":
        up = 2 * remainder > divisor
    elif mode == "ROUND_HALF_EVEN":
        up = 2 * remainder > divisor or (2 * remainder == divisor and quotient % 2 == 1)
    elif mode == "ROUND_05UP":
        up = remainder > 0 and quotient % 10 in (0, 5)
    else:
        return None
    return (quotient + up) * step
