"""Money as Decimal yuan in rules, integer fen in the database, formatted by Babel for people.

SQLite has no decimal type (a NUMERIC column holds a float), so amounts are stored as integer fen
and converted exactly at the edge; arithmetic is Decimal and rounded once, by the policy's rule.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency

FEN = Decimal("0.01")
CURRENCY = "CNY"


class MoneyError(ValueError):
    pass


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Parse an amount in yuan; floats are refused because they are already inexact."""
    if isinstance(value, float):
        raise MoneyError("money must not be a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return amount


def to_fen(amount: Decimal) -> int:
    """Exact conversion to fen; an amount with fractions of a fen is an error, not rounded away."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise MoneyError(f"{amount} has fractions of a fen; round it by the policy's rule first")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def round_money(amount: Decimal, quantum: Decimal = FEN, mode: str = ROUND_HALF_UP) -> Decimal:
    """Round to the policy's quantum (0.01, 0.1 or 1 yuan) and return it with two decimals."""
    return amount.quantize(quantum, rounding=mode).quantize(FEN)


def fen_text(fen: int) -> str:
    """``yuan_text(from_fen(fen))`` by integer arithmetic: the same text for every whole number
    of fen, without two Decimal operations — a payment run writes it for every line it
    explains."""
    whole, part = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{part:02d}"


def yuan_text(amount: Decimal) -> str:
    """The API's money form: a decimal string with two places, e.g. ``"300.00"``."""
    return str(amount.quantize(FEN))


def format_cny(amount: Decimal, locale: str = "zh_CN") -> str:
    return format_currency(amount, CURRENCY, locale=locale)
