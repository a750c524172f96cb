"""A reform: parameter changes applied on top of every version of the profile.

``--set continuation.months=12`` changes that parameter in each version in force during the
replay; the version id gains ``+reform`` so nothing computed under it passes for the real one.
A reform names parameters that exist, with values of the same kind, and only those this
replay can follow yet (``REPLAYABLE``); anything else is refused with every problem listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from benefits.payment_rules import Month
from kernel.errors import Problem
from kernel.messages import Text, say, uncarry
from kernel.policy import Parameter, ParameterSet, PolicyBook

# The refusal rule (POLICY.md rule 3): how many counted refusals, in what window, in a row or
# not, and what a sanction stops (the household's payment or the member's share). The
# continuation (report 4 §五4): its length, the line between full and half, the fractions and
# the taper. The standards and the category factors (report 1's categorised assistance), each
# category's factor or fixed amount named ``benefits.<scheme>.categories.<code>.factor|amount``.
# The re-entry window (report 4 §五4, rule 5).
REFUSAL = (
    "activation.refusal.threshold",
    "activation.refusal.window_months",
    "activation.refusal.consecutive_only",
)
CONTINUATION = (
    "continuation.months",
    "continuation.month_basis",
    "continuation.month_days",
    "continuation.income_threshold",
    "continuation.fraction_below_threshold",
    "continuation.fraction_at_or_above_threshold",
    "continuation.taper_end",
    "continuation.follow_income_changes",
)
SANCTION_SCOPE = ("activation.sanction.scope",)
STANDARDS = ("benefits.urban.standard", "benefits.rural.standard")
REENTRY = ("reentry.window_months",)
CATEGORY_KEY = re.compile(r"^benefits\.(urban|rural)\.categories\.([^.]+)\.(factor|amount)$")
CATEGORY_FIELD = {"factor": "gap", "amount": "fixed"}  # the field a category's method reads
REPLAYABLE = REFUSAL + SANCTION_SCOPE + CONTINUATION + STANDARDS + REENTRY
REPLAYABLE_TEXT = ", ".join((*REPLAYABLE, "benefits.<scheme>.categories.<code>.factor|amount"))
BASIS = "replay reform"


@dataclass(frozen=True)
class Reform:
    changes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @cached_property
    def touches_refusals(self) -> bool:
        return any(key in REFUSAL for key in self.changes)

    @cached_property
    def touches_scope(self) -> bool:
        return any(key in SANCTION_SCOPE for key in self.changes)

    @cached_property
    def touches_continuation(self) -> bool:
        return any(key in CONTINUATION for key in self.changes)

    @cached_property
    def touches_reentry(self) -> bool:
        return any(key in REENTRY for key in self.changes)

    @cached_property
    def touches_standards(self) -> bool:
        return any(key in STANDARDS or CATEGORY_KEY.match(key) for key in self.changes)

    @cached_property
    def rebuild_key(self) -> tuple[tuple[str, str], ...]:
        """The changes a continuation's rebuild can read (``continuation.rebuild``: the
        continuation's terms, and the standards a reassessment applies): two reforms with the
        same key rebuild the same history alike, whatever refusals or re-entry they change."""
        elsewhere = REFUSAL + SANCTION_SCOPE + REENTRY
        return tuple(sorted((k, str(v)) for k, v in self.changes.items() if k not in elsewhere))

    def as_dict(self) -> dict[str, Any]:
        return {key: _plain(value) for key, value in sorted(self.changes.items())}


def parse_reform(assignments: Iterable[str], book: PolicyBook) -> tuple[Reform, list[Problem]]:
    """``key=value`` strings into a reform, typed like the parameter they change."""
    latest = book.versions[-1]
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key, raw = key.strip(), raw.strip()
        where = f"set.{key}" if key else "set"
        if not sep or not key:
            problems.append(Problem(where, "reform-format", say("write each change as key=value")))
            continue
        if CATEGORY_KEY.match(key):
            if problem := _category_change(key, raw, latest):
                problems.append(Problem(where, problem[0], problem[1]))
            elif key in changes:
                problems.append(
                    Problem(where, "reform-repeated", say("%(key)s is set twice", key=key))
                )
            else:
                changes[key] = raw
            continue
        if key not in latest.params:
            problems.append(
                Problem(where, "reform-unknown-parameter", say("no parameter %(key)s", key=key))
            )
            continue
        if key not in REPLAYABLE:
            problems.append(
                Problem(
                    where,
                    "reform-not-replayable",
                    say(
                        "%(key)s cannot be replayed yet; these can: %(keys)s",
                        key=key,
                        keys=REPLAYABLE_TEXT,
                    ),
                )
            )
            continue
        if key in changes:
            problems.append(Problem(where, "reform-repeated", say("%(key)s is set twice", key=key)))
            continue
        value, problem = _typed(raw, latest.params[key].value)
        if problem is None:
            problem = _allowed(key, value)
        if problem:
            problems.append(Problem(where, "reform-value", problem))
            continue
        changes[key] = value
    return Reform(changes), problems


def parse_range(start: str, end: str) -> tuple[tuple[Month, Month] | None, list[Problem]]:
    """The replay's months, ``YYYY-MM`` to ``YYYY-MM``, the first not after the last."""
    problems: list[Problem] = []
    months: list[Month] = []
    for where, text in (("from", start), ("to", end)):
        try:
            months.append(Month.parse(text))
        except ValueError as exc:
            problems.append(Problem(where, "period-format", uncarry(str(exc))))
    if len(months) == 2 and months[0] > months[1]:
        problems.append(Problem("to", "date-order", say("the range ends before it begins")))
    return (months[0], months[1]) if not problems else None, problems


def _category_change(key: str, raw: str, latest: ParameterSet) -> tuple[str, Text] | None:
    """A category's factor (a gap category) or fixed amount (a fixed one), a number ≥ 0."""
    found = CATEGORY_KEY.match(key)
    assert found is not None
    scheme, code, name = found.groups()
    spec = next((c for c in latest.raw(f"benefits.{scheme}.categories") if c["code"] == code), None)
    if spec is None:
        return "reform-unknown-parameter", say(
            "no category %(code)s in the %(scheme)s scheme", code=code, scheme=scheme
        )
    if spec["method"] != CATEGORY_FIELD[name]:
        return "reform-value", say(
            "category %(code)s is paid by %(method)s: it has no %(field)s",
            code=code,
            method=spec["method"],
            field=name,
        )
    if not _is_number(raw) or Decimal(raw) < 0:
        return "reform-value", say(
            "expected a number of at least 0, got %(value)s", value=repr(raw)
        )
    return None


def _typed(raw: str, current: Any) -> tuple[Any, Text | None]:
    if isinstance(current, bool):
        lowered = raw.lower()
        if lowered in ("true", "false"):
            return lowered == "true", None
        return None, say("expected true or false, got %(value)s", value=repr(raw))
    if isinstance(current, int):
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value > 0:
            return value, None
        return None, say("expected a whole number above 0, got %(value)s", value=repr(raw))
    if isinstance(current, str) and _is_number(current):
        if not _is_number(raw) or Decimal(raw) < 0:
            return None, say("expected a number of at least 0, got %(value)s", value=repr(raw))
        return raw, None
    return raw, None


CHOICES = {
    "continuation.month_basis": ("calendar", "days"),
    "activation.sanction.scope": ("household", "member_share"),
}
NUMBER_OR_EMPTY = ("continuation.taper_end",)


def _allowed(key: str, value: Any) -> Text | None:
    if key in CHOICES and value not in CHOICES[key]:
        return say(
            "expected one of %(choices)s, got %(value)s",
            choices=", ".join(CHOICES[key]),
            value=repr(value),
        )
    if key in NUMBER_OR_EMPTY and value and not _is_number(value):
        return say("expected a number or nothing, got %(value)s", value=repr(value))
    return None


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


class ReformedBook:
    """The profile's versions with the reform's changes in each; ``at`` as PolicyBook's."""

    def __init__(self, book: PolicyBook, reform: Reform) -> None:
        self.book = book
        self.reform = reform
        self._versions: dict[str, ParameterSet] = {}

    def at(self, day: date) -> ParameterSet:
        return self._reformed(self.book.at(day))

    def _reformed(self, version: ParameterSet) -> ParameterSet:
        if self.reform.is_empty:
            return version
        cached = self._versions.get(version.version_id)
        if cached is None:
            params = dict(version.params)
            for key, value in self.reform.changes.items():
                if found := CATEGORY_KEY.match(key):
                    scheme, code, name = found.groups()
                    whole = f"benefits.{scheme}.categories"
                    categories = [
                        {**c, name: value} if c["code"] == code else c for c in params[whole].value
                    ]
                    params[whole] = Parameter(key=whole, value=categories, basis=BASIS)
                    continue
                params[key] = Parameter(key=key, value=value, basis=BASIS)
            cached = replace(version, version=f"{version.version}+reform", params=params)
            self._versions[version.version_id] = cached
        return cached
