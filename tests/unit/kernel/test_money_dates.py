from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from kernel.dates import add_months, age_on, month_bounds
from kernel.money import (
    MoneyError,
    fen_text,
    format_cny,
    from_fen,
    round_money,
    to_decimal,
    to_fen,
    yuan_text,
)


def test_fen_round_trip_is_exact() -> None:
    for text in ["0.01", "0.10", "149.99", "150.00", "123456.78"]:
        assert from_fen(to_fen(Decimal(text))) == Decimal(text)


def test_fractions_of_a_fen_are_an_error_not_silently_rounded() -> None:
    with pytest.raises(MoneyError):
        to_fen(Decimal("0.005"))


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError):
        to_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        to_decimal("NaN")


@pytest.mark.parametrize(
    ("amount", "quantum", "expected"),
    [
        ("97.505", "0.01", "97.51"),
        ("97.5", "1", "98.00"),
        ("97.49", "1", "97.00"),
        ("0.125", "0.1", "0.10"),
    ],
)
def test_round_money(amount: str, quantum: str, expected: str) -> None:
    assert round_money(Decimal(amount), Decimal(quantum), ROUND_HALF_UP) == Decimal(expected)


def test_babel_formats_for_the_locale() -> None:
    assert format_cny(Decimal("1234.5"), "zh_CN") == "¥1,234.50"
    assert "1,234.50" in format_cny(Decimal("1234.5"), "en")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 8, 15), 6, date(2027, 2, 15)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 3, 1), -3, date(2025, 12, 1)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("on", "age"),
    [(date(2026, 3, 14), 47), (date(2026, 3, 15), 48), (date(2026, 3, 16), 48)],
)
def test_age_turns_on_the_birthday(on: date, age: int) -> None:
    assert age_on(date(1978, 3, 15), on) == age


def test_leap_day_birthday() -> None:
    assert age_on(date(2000, 2, 29), date(2026, 2, 28)) == 25
    assert age_on(date(2000, 2, 29), date(2026, 3, 1)) == 26


def test_month_bounds() -> None:
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))


@pytest.mark.parametrize(
    "fen", [0, 1, -1, 5, -5, 9, 10, 99, -99, 100, -100, 101, 12_345, -12_345, 2**31 - 1, 10**20]
)
def test_fen_text_is_yuan_text_of_from_fen(fen: int) -> None:
    assert fen_text(fen) == yuan_text(from_fen(fen))


def test_fen_text_agrees_over_a_sweep_of_values() -> None:
    for fen in range(-250_000, 250_000, 37):
        assert fen_text(fen) == yuan_text(from_fen(fen))
