"""The shapes every context's request schemas accept, and nothing laxer.

Pydantic's lax mode is generous in ways that turn typing errors into records: ``0`` becomes
1 January 1970, ``false`` a coordinate of 0.0, ``0`` a "no", ``"٦٢٢٨…"`` (Arabic-Indic digits)
a bank account the bank cannot read, and an integer beyond 64 bits an overflow deep in the
database driver. The types here refuse all of that where the input is read, so the request
gets a 422 naming the field and nothing is written:

- ``Day``: a calendar day written ``YYYY-MM-DD`` (a ``date`` from Python code is fine too),
  never a number, inside the bounds of the request (``day_bounds``);
- ``Flag``: ``true`` or ``false`` only;
- ``Id``, ``Whole``: integers that are not booleans; ids fit the database's id columns;
- ``Real``: floats that are not booleans and are finite; ``Yuan``: money that is no boolean;
- ``InputModel``: the base of every request schema; no text anywhere in it may hold a NUL
  character (PostgreSQL refuses them in text columns);
- ``PatchModel``: the base of partial updates: a field left out stays as it is, and an
  explicit ``null`` is accepted only where null is a value the record can hold.

Digits the bank or the state reads (accounts, ID numbers, phones, codes) are ASCII digits:
Python's ``\\d`` and ``str.isdigit`` also match full-width and other scripts' digits, so
patterns here and in the contexts spell ``[0-9]`` and use ``ascii_digits``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ValidationInfo,
)
from pydantic import field_validator as _field_validator
from sqlmodel import SQLModel

from kernel.messages import N_

# The largest id the tables hold: their id columns are INTEGER, 32 bits on PostgreSQL (SQLite's
# are 64). A larger id can name no row, and the driver would overflow on it.
MAX_ID = 2**31 - 1
# How many rows a list may skip: far more than any table here holds, far below 64 bits.
MAX_OFFSET = 10_000_000

# --- days -------------------------------------------------------------------------------------

# Days nobody could mean: before the first dibao regulations, or beyond this century. They
# bound every day when no request sets narrower bounds (the CLI, a script, a unit test).
EARLIEST_DAY = date(1999, 1, 1)
LATEST_DAY = date(2099, 12, 31)
# How far ahead a day may lie: a vacancy valid for years, a course planned next year, a
# status change announced in advance all fit; 2206 for 2026 does not.
YEARS_AHEAD = 5
EARLIEST_BIRTH = date(1900, 1, 1)

_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class DayBounds:
    """The days a request may name: from the first day the policy book has a version in force
    (a day before it has no rules to decide by) to ``YEARS_AHEAD`` years after the office's
    today."""

    earliest: date
    latest: date
    earliest_is: str = "the earliest day accepted"
    latest_is: str = "the latest day accepted"

    @classmethod
    def for_service(cls, first_policy_day: date, today: date) -> DayBounds:
        ahead = _years_after(today, YEARS_AHEAD)
        return cls(
            earliest=max(first_policy_day, EARLIEST_DAY),
            latest=min(ahead, LATEST_DAY),
            earliest_is="the first day the policy has rules for",
            latest_is=f"{YEARS_AHEAD} years from today",
        )

    def problem(self, day: date) -> str | None:
        """Why ``day`` is out of bounds, or None."""
        if day < self.earliest:
            return f"{day.isoformat()} is before {self.earliest.isoformat()}, {self.earliest_is}"
        if day > self.latest:
            return f"{day.isoformat()} is after {self.latest.isoformat()}, {self.latest_is}"
        return None


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


_WIDEST = DayBounds(EARLIEST_DAY, LATEST_DAY)
_bounds: ContextVar[DayBounds] = ContextVar("workbridge_day_bounds", default=_WIDEST)


def day_bounds() -> DayBounds:
    """The bounds of the request being served (the widest outside a request)."""
    return _bounds.get()


@contextmanager
def bounded_days(bounds: DayBounds) -> Iterator[None]:
    """Set the day bounds for the code run inside (a request; a test)."""
    token = _bounds.set(bounds)
    try:
        yield
    finally:
        _bounds.reset(token)


def check_day(day: date) -> date:
    """A day inside the request's bounds, or ValueError saying why not."""
    if (reason := day_bounds().problem(day)) is not None:
        raise ValueError(reason)
    return day


def _iso_day(value: Any) -> Any:
    if isinstance(value, datetime):
        raise ValueError(N_("expected a calendar day (YYYY-MM-DD), not a date and time"))
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a calendar day") from None
    raise ValueError(N_("expected a calendar day written YYYY-MM-DD"))


def _birth_day(day: date) -> date:
    if not EARLIEST_BIRTH <= day <= day_bounds().latest:
        raise ValueError(f"{day.isoformat()} is not a plausible birth date")
    return day


# A day something happens or takes effect: ISO text only, inside the request's bounds.
Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(check_day)]
# A birth date: ISO text only, from 1900 (people are older than the policy).
BirthDay = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_birth_day)]

# --- booleans and numbers ---------------------------------------------------------------------


def _only_bool(value: Any) -> Any:
    """``true`` or ``false``: not 0/1, not "yes". (pydantic's StrictBool is not enough:
    Litestar validates bodies with ``strict=False``, which overrides it.)"""
    if not isinstance(value, bool):
        raise ValueError(N_("expected true or false"))
    return value


Flag = Annotated[bool, BeforeValidator(_only_bool)]


def _not_bool(value: Any) -> Any:
    """A boolean is an int in Python and a float in pydantic's lax mode: refuse it first."""
    if isinstance(value, bool):
        raise ValueError(N_("expected a number, not true or false"))
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(N_("expected a finite number"))
    return value


# An integer that is not a boolean; bound it with Field(ge=..., le=...) where it is used.
Whole = Annotated[int, BeforeValidator(_not_bool)]
# A finite float that is not a boolean; bound it with Field(ge=..., le=...).
Real = Annotated[float, BeforeValidator(_not_bool), AfterValidator(_finite)]
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$")


def _money_text(value: Any) -> Any:
    """Money as people write it: "2,600" and "2,600.50" are 2600 and 2600.50 (an office's
    Excel register and its counsellors group thousands with commas). Only well-formed groups
    of three are read so; "26,00" stays an error rather than becoming 2600."""
    if isinstance(value, str):
        text = value.strip()
        if "," in text:
            if not _GROUPED.match(text):
                raise ValueError(N_("group thousands as 2,600 or write 2600"))
            return text.replace(",", "")
        return text
    return value


# An amount of money: Decimal, never a boolean; a string may group thousands with commas. Give
# its bounds in whole yuan (ints) with max_digits and decimal_places, so the OpenAPI schema
# states them as numbers.
Yuan = Annotated[Decimal, BeforeValidator(_not_bool), BeforeValidator(_money_text)]

# A record's id in a body or query: a positive 64-bit integer.
Id = Annotated[int, BeforeValidator(_not_bool), Ge(1), Le(MAX_ID)]

# --- digits -----------------------------------------------------------------------------------


def ascii_digits(text: str) -> bool:
    """True for a non-empty string of 0-9 only (``str.isdigit`` also takes ２ and ٢)."""
    return text.isascii() and text.isdigit()


# --- models -----------------------------------------------------------------------------------

NUL = "\x00"


def _nul_free(value: Any) -> bool:
    """No NUL in any text of ``value``, walking lists and mappings without recursion (nested
    models are checked by their own validators)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return False
        elif isinstance(item, Mapping) and not isinstance(item, BaseModel):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
    return True


class InputModel(SQLModel):
    """The base of every request schema (non-table, so pydantic validates it)."""

    @_field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if not _nul_free(value):
            raise ValueError(N_("text must not contain NUL characters (U+0000)"))
        return value


class PatchModel(InputModel):
    """A partial update: fields left out stay as they are. An explicit ``null`` means "clear
    it", so it is refused for every field not named in ``clearable`` (the record cannot hold
    nothing there, and the database would refuse it after the request had been accepted)."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @_field_validator("*", mode="before")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError(N_("may be left out, but not null: it cannot be cleared"))
        return value
