"""What a proposed parameter version must be before anyone may sign it off (issue 16, change
control): pure checks of the proposal against the book it would join, every problem at once.

A version changes some parameters of the version in force before it and inherits the rest, as a
profile file's versions do (``kernel.policy``). Each change is typed like the parameter it
changes and carries its legal basis (POLICY.md, "Safeguards": every parameter is effective-dated
and carries its basis). The candidate version is then read by the same readers the service uses
(the entitlement's categories, the rounding, quiet hours, trades, priority weights), so a version
that would break a decision is refused now rather than failing the first case it meets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from activation.replay.reform import CHOICES, REPLAYABLE
from benefits.payment_rules import Rounding
from benefits.rules import EntitlementParams
from kernel.errors import Problem
from kernel.messages import Text, say
from kernel.policy import Parameter, ParameterSet, PolicyBook, PolicyError
from matching.allocation import PriorityWeights
from matching.services import minimum_wage, trade_occupations
from notifications.timing import QuietHours
from training.rules import trades_from_policy

VERSION_LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
MAX_NOTE = 1000
MAX_BASIS = 500


@dataclass(frozen=True)
class ChangeAsk:
    key: str
    value: str  # as written: a number, true/false, a word, or JSON for a list
    basis: str


@dataclass(frozen=True)
class VersionAsk:
    version: str
    effective_from: str
    note: str
    changes: tuple[ChangeAsk, ...]


@dataclass(frozen=True)
class CheckedVersion:
    version: str
    effective_from: date
    note: str
    changes: dict[str, dict[str, Any]]  # key → {"value", "basis"}


def check_version(
    ask: VersionAsk, book: PolicyBook, today: date, taken: set[str]
) -> tuple[CheckedVersion | None, list[Problem]]:
    """The proposal checked against ``book`` (the versions live now) on ``today``; ``taken`` is
    every version label the profile has used, shipped or stored."""
    problems: list[Problem] = []
    label = ask.version.strip()
    if not VERSION_LABEL.match(label):
        problems.append(
            Problem(
                "version",
                "version-label",
                say("a version label of letters, digits, dots, dashes (at most 40)"),
            )
        )
    elif label in taken:
        problems.append(
            Problem("version", "version-taken", say("version %(label)s exists", label=label))
        )
    starts = _start(ask.effective_from, book, today, problems)
    note = ask.note.strip()
    if not note or len(note) > MAX_NOTE:
        problems.append(
            Problem(
                "note",
                "version-note",
                say("say why the version is made, in at most %(n)s characters", n=MAX_NOTE),
            )
        )
    base = book.versions[-1]
    changes = _changes(ask.changes, base, problems)
    if problems:
        return None, problems
    assert starts is not None
    problems = unreadable(candidate(base, label, starts, changes))
    if problems:
        return None, problems
    return CheckedVersion(label, starts, note, changes), []


def _start(text: str, book: PolicyBook, today: date, problems: list[Problem]) -> date | None:
    try:
        starts = date.fromisoformat(text.strip())
    except ValueError:
        problems.append(
            Problem(
                "effective_from",
                "date-format",
                say("not a date such as 2026-03-01: %(value)s", value=text),
            )
        )
        return None
    problems += day_problems(starts, book, today)
    return starts


def day_problems(starts: date, book: PolicyBook, today: date) -> list[Problem]:
    """A version starts after the day it is signed off (it never reaches back over decisions
    made) and after the last version of the book it joins."""
    if starts <= today:
        earliest = date.fromordinal(today.toordinal() + 1).isoformat()
        message = say(
            "a version starts after the day it is signed off: %(day)s at the earliest",
            day=earliest,
        )
        return [Problem("effective_from", "version-not-ahead", message)]
    last = book.versions[-1].effective_from
    if starts <= last:
        message = say(
            "the version in force from %(day)s starts on or after it; start later",
            day=last.isoformat(),
        )
        return [Problem("effective_from", "version-before-last", message)]
    return []


def _changes(
    asks: tuple[ChangeAsk, ...], base: ParameterSet, problems: list[Problem]
) -> dict[str, dict[str, Any]]:
    if not asks:
        problems.append(Problem("changes", "version-empty", say("change at least one parameter")))
    changes: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for index, ask in enumerate(asks):
        key = ask.key.strip()
        where = f"changes.{index}"
        if key not in base.params:
            problems.append(
                Problem(
                    f"{where}.key", "reform-unknown-parameter", say("no parameter %(key)s", key=key)
                )
            )
            continue
        if key in seen:
            problems.append(
                Problem(f"{where}.key", "reform-repeated", say("%(key)s is set twice", key=key))
            )
            continue
        seen.add(key)
        current = base.params[key].value
        value, problem = typed_value(key, ask.value.strip(), current)
        if problem is None and value == current:
            problem = say("%(key)s has this value already", key=key)
        if problem is not None:
            problems.append(Problem(f"{where}.value", "version-value", problem))
        basis = ask.basis.strip()
        if not basis or len(basis) > MAX_BASIS:
            problems.append(
                Problem(
                    f"{where}.basis",
                    "version-basis",
                    say("the legal basis of the change, in at most %(n)s characters", n=MAX_BASIS),
                )
            )
        if problem is None and basis and len(basis) <= MAX_BASIS:
            changes[key] = {"value": value, "basis": basis}
    return changes


def typed_value(key: str, raw: str, current: Any) -> tuple[Any, Text | None]:
    """``raw`` as a value of the kind ``current`` is (the parameter as the profile has it)."""
    if isinstance(current, bool):
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true", None
        return None, say("expected true or false, got %(value)s", value=repr(raw))
    if isinstance(current, int):
        if re.fullmatch(r"\d{1,9}", raw):
            return int(raw), None
        return None, say("expected a whole number of at least 0, got %(value)s", value=repr(raw))
    if isinstance(current, str) and _is_number(current):
        if not _is_number(raw) or Decimal(raw) < 0:
            return None, say("expected a number of at least 0, got %(value)s", value=repr(raw))
        return raw, None
    if isinstance(current, str):
        if key in CHOICES and raw not in CHOICES[key]:
            return None, say(
                "expected one of %(choices)s, got %(value)s",
                choices=", ".join(CHOICES[key]),
                value=repr(raw),
            )
        return raw, None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if type(value) is not type(current) or not _shaped_like(value, current):
        return None, say("expected JSON shaped like the value in force")
    return value, None


def _shaped_like(value: Any, current: Any) -> bool:
    """A list of tables holds every field each table in force has (more are allowed)."""
    if isinstance(current, list) and current and isinstance(current[0], dict):
        needed = set.intersection(*(set(item) for item in current))
        return all(isinstance(item, dict) and needed <= set(item) for item in value)
    return True


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def candidate(
    base: ParameterSet, label: str, starts: date, changes: Mapping[str, Mapping[str, Any]]
) -> ParameterSet:
    params = dict(base.params)
    for key, spec in changes.items():
        params[key] = Parameter(key=key, value=spec["value"], basis=spec["basis"])
    return replace(base, version=label, effective_from=starts, params=params)


READERS: tuple[tuple[str, Callable[[ParameterSet], object]], ...] = (
    ("benefits.urban", lambda p: EntitlementParams.from_policy(p, "urban")),
    ("benefits.rural", lambda p: EntitlementParams.from_policy(p, "rural")),
    ("benefits.rounding", Rounding.from_policy),
    ("notifications.quiet_hours", QuietHours.from_policy),
    ("training.trades", trades_from_policy),
    ("matching.trades", trade_occupations),
    ("matching.minimum_wage", minimum_wage),
    ("matching.allocation", PriorityWeights.from_policy),
)


def unreadable(version: ParameterSet) -> list[Problem]:
    """Problems of the readers the service reads parameters with, run on the version."""
    problems = []
    for name, read in READERS:
        try:
            read(version)
        except Exception as exc:
            problems.append(
                Problem(
                    "changes",
                    "version-unreadable",
                    say("%(part)s cannot read the version: %(error)s", part=name, error=str(exc)),
                )
            )
    return problems


def replayable_changes(
    changes: Mapping[str, Mapping[str, Any]], before: Mapping[str, Any] | None = None
) -> list[str]:
    """The version's changes the replay follows, as ``key=value`` (the replay's ``set``).

    ``before``: the raw values of the version in force before it. A categories list that keeps
    each category as it was but for its factor or fixed amount is followed as those
    per-category changes (``benefits.<scheme>.categories.<code>.factor|amount``)."""
    found: list[str] = []
    for key, spec in sorted(changes.items()):
        if key in REPLAYABLE:
            found.append(f"{key}={_written(spec['value'])}")
        else:
            found += category_changes(key, spec["value"], (before or {}).get(key)) or []
    return sorted(found)


def not_replayed(
    changes: Mapping[str, Mapping[str, Any]], before: Mapping[str, Any] | None = None
) -> list[str]:
    """The version's changes the replay cannot follow yet: the sign-off shows them apart."""
    return sorted(
        key
        for key, spec in changes.items()
        if key not in REPLAYABLE
        and category_changes(key, spec["value"], (before or {}).get(key)) is None
    )


CATEGORIES_KEY = re.compile(r"^benefits\.(urban|rural)\.categories$")
CATEGORY_NUMBERS = ("factor", "amount")


def category_changes(key: str, after: Any, before: Any) -> list[str] | None:
    """A categories list as per-category changes, or None when it changes more than factors and
    fixed amounts (a category added, removed, renamed or given another method: the replay
    cannot say what the households it would concern were entitled to)."""
    found = CATEGORIES_KEY.match(key)
    if not found or not isinstance(after, list) or not isinstance(before, list):
        return None
    if [c.get("code") for c in after] != [c.get("code") for c in before]:
        return None
    scheme, moved = found.group(1), []
    for new, old in zip(after, before, strict=True):
        rest = {k: v for k, v in new.items() if k not in CATEGORY_NUMBERS}
        if rest != {k: v for k, v in old.items() if k not in CATEGORY_NUMBERS}:
            return None
        for number in CATEGORY_NUMBERS:
            if (number in new) != (number in old):
                return None
            if number in new and Decimal(str(new[number])) != Decimal(str(old[number])):
                moved.append(f"benefits.{scheme}.categories.{new['code']}.{number}={new[number]}")
    return moved


def preceding(book: PolicyBook, effective_from: date) -> dict[str, Any]:
    """The raw values in force the day before a version starts (what it changes)."""
    try:
        params = book.at(effective_from - timedelta(days=1))
    except PolicyError:
        return {}
    return {key: parameter.value for key, parameter in params.params.items()}


def _written(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
