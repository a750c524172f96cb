"""Rule 1's rounding in SQL equals ``benefits.rules.amount_between`` on every side of a boundary.

A part-month line is written by the database: Σ(monthly amount in fen × days) divided by the
month's days and rounded to the policy's step by its mode, in integer arithmetic
(``benefits.payment_sql.rounded_fen``). Here every rounding mode Decimal knows, for steps of a
fen, a jiao and a yuan and months of 28 to 31 days, is evaluated by the database under test on
sums that land exactly on a multiple of the step, one fen either side of it, exactly half way and
one fen either side of that — with even and odd quotients, and last digits 0, 5 and others (for
ROUND_05UP) — and compared with the Python rule.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, Engine, literal, select, union_all

from benefits.payment_rules import Rounding
from benefits.payment_sql import rounded_fen
from benefits.rules import AmountPeriod, amount_between
from kernel.money import from_fen, to_fen

MODES = (
    "ROUND_HALF_UP",
    "ROUND_HALF_DOWN",
    "ROUND_HALF_EVEN",
    "ROUND_UP",
    "ROUND_DOWN",
    "ROUND_CEILING",
    "ROUND_FLOOR",
    "ROUND_05UP",
)
# quantize rounds to the quantum's exponent: 0.5 to the jiao, 1.00 to the fen (quantum_fen)
QUANTA = {"0.01": 1, "0.1": 10, "1": 100, "0.5": 10, "1.00": 1}
MONTHS = {28: date(2026, 2, 1), 29: date(2028, 2, 1), 30: date(2026, 4, 1), 31: date(2026, 3, 1)}
QUOTIENTS = (0, 1, 2, 5, 7, 10, 15, 3_333)


def _sums(days: int, step: int) -> list[int]:
    """Σ(fen × days) around each boundary: on a step, half way, and one either side of each."""
    divisor = days * step
    remainders = {0, 1, divisor // 2 - 1, divisor // 2, divisor // 2 + 1, divisor - 1}
    return sorted({q * divisor + r for q in QUOTIENTS for r in remainders if r >= 0})


def _python(day_fen: int, first: date, days: int, rounding: Rounding) -> int:
    """The Python rule on the same sum: one period of ``day_fen`` a month for one day of the
    month pays day_fen × 1 / days, the fraction the SQL rounds."""
    period = AmountPeriod(first, first, from_fen(day_fen))
    last = first.replace(day=days)
    return to_fen(amount_between([period], first, last, rounding.quantum, rounding.mode))


@pytest.mark.parametrize("mode", MODES)
def test_sql_rounds_part_months_as_the_python_rule_does(engine: Engine, mode: str) -> None:
    checked = 0
    for quantum, step in QUANTA.items():
        rounding = Rounding(Decimal(quantum), mode, "test")
        for days, first in MONTHS.items():
            sums = _sums(days, step)
            expressions = [rounded_fen(literal(s, BigInteger), days, rounding) for s in sums]
            assert all(e is not None for e in expressions)
            query = union_all(
                *(select(literal(i).label("i"), e.label("fen")) for i, e in enumerate(expressions))
            )
            with engine.connect() as conn:
                got = {row.i: int(row.fen) for row in conn.execute(query)}
            expected = {i: _python(s, first, days, rounding) for i, s in enumerate(sums)}
            assert got == expected, (quantum, days)
            checked += len(sums)
    assert checked > 500


def test_a_mode_sql_does_not_know_or_a_step_finer_than_a_fen_is_left_to_python() -> None:
    assert rounded_fen(literal(1), 31, Rounding(Decimal("0.01"), "ROUND_SIDEWAYS", "v")) is None
    assert rounded_fen(literal(1), 31, Rounding(Decimal("0.001"), "ROUND_HALF_UP", "v")) is None
