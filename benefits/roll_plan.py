"""Planning a roll's households against what Workbridge holds: what becomes of each, and why.

People are matched by ID number only (``benefits.roll_check`` has refused empty and invalid
ones). A household none of whose people is in a live household is created; one already in
Workbridge with exactly the same people is unchanged, updated (only contact details differ:
they are taken from the roll), or differs (anything else differs: each difference listed,
nothing applied); a person found in another live household, or a household whose people are
split or different, is refused — who belongs where is for a person to decide, not a silent
move. Where the roll pays another amount than the rules give on its own facts, the difference
is noted for review (report 1's categorised assistance; POLICY.md: money decisions are a
person's, with their inputs kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from benefits.roll import COLUMNS, INCOME_SOURCES, WORDS, _income_rows, _member_rows, _row
from benefits.roll_check import RollHousehold, _Line
from benefits.rules import CaseStatus, Entitlement, EntitlementParams, assess_entitlement
from benefits.services import ids_in_live_households
from kernel.messages import N_, Text, say
from kernel.money import from_fen, yuan_text

CREATED, UNCHANGED, DIFFERS, REFUSED = "created", "unchanged", "differs", "refused"
UPDATED = "updated"
ACTION_WORDS = {
    CREATED: N_("created"),
    UNCHANGED: N_("unchanged: as Workbridge holds it"),
    UPDATED: N_("updated: phone or address taken from the roll"),
    DIFFERS: N_("differs from Workbridge: not changed"),
    REFUSED: N_("refused: for a person to resolve"),
}
# Read from the roll where given; left out of the comparison when a cell is empty, since
# Workbridge then holds its default or what the ID number says.
OPTIONAL_WHEN_EMPTY = frozenset(
    {"sex", "birth_date", "work_capacity", "disability", "approved_on", "next_review_on"}
)
# What the roll may change in a household Workbridge holds: how to reach people, which an office
# corrects on its register as people tell it. Nothing else is taken — incomes, category, amount
# and status decide money (a person's decision, with its inputs kept: POLICY.md), community and
# township decide which office serves the household, and the bank account decides where the
# money goes — and a household with any such difference keeps every value it has.
APPLIED = frozenset({"phone", "address"})
COMPARED = tuple(column.key for column in COLUMNS if column.key != "household_key")
KEYS = [column.key for column in COLUMNS]
HEADINGS = {column.key: column.heading for column in COLUMNS}
RUNNING = (CaseStatus.ACTIVE.value,)
NOT_PAID = (CaseStatus.SUSPENDED.value,)


@dataclass(frozen=True)
class Correction:
    """One value the roll corrects: a member's phone or a household's address."""

    entity: str  # "member" | "household"
    entity_id: int
    key: str  # "phone" | "address"
    before: Any
    after: Any


@dataclass
class Plan:
    """What the import does (or would do) with one household of the roll, and why."""

    household: RollHousehold
    action: str
    household_id: int | None = None
    computed: Decimal | None = None
    notes: list[Text] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)  # what UPDATED writes
    # The rules' assessment of the roll's own facts (``compare_amount``): kept on the imported
    # period when it gives what the roll pays, so a replay can assess the household again.
    assessed: Entitlement | None = None

    @property
    def roll_amount(self) -> Decimal:
        return self.household.case["monthly_amount"]


# --- the amount the rules give ----------------------------------------------------------------


def compare_amount(
    household: RollHousehold, params: EntitlementParams
) -> tuple[Decimal, list[Text]]:
    entitlement, notes = assess_roll(household, params)
    return entitlement.monthly_amount, notes


def assess_roll(
    household: RollHousehold, params: EntitlementParams
) -> tuple[Entitlement, list[Text]]:
    """The monthly amount the rules give the household on the roll's own facts, and what to
    tell a person when the roll pays another (report 1's categorised assistance).

    Compared only where the roll's own facts say what is paid: an active case is paid its
    entitlement and a suspended one nothing. A job's continuation is paid on the entitlement
    from before the job (report 2: six months at the full or half amount), which today's
    incomes no longer show, and a pending case has not been paid: both are taken as the roll
    has them.
    """
    case = household.case
    incomes = [
        amount
        for values in household.values
        for source, _ in INCOME_SOURCES
        if (amount := values.get(f"income_{source}")) is not None
    ]
    entitlement = assess_entitlement(
        scheme=case["scheme"],
        category=case["category"],
        member_count=len(household.members),
        incomes=incomes,
        params=params,
    )
    roll_amount: Decimal = case["monthly_amount"]
    status = case["status"]
    if status in NOT_PAID:
        expected: Decimal | None = Decimal("0.00")
    elif status in RUNNING:
        expected = entitlement.monthly_amount
    else:
        expected = None
    if expected is None or expected == roll_amount:
        return entitlement, []
    if status in RUNNING and not entitlement.eligible:
        note = say(
            "per-capita income %(income)s is not below the standard %(standard)s: the rules "
            "would pay nothing, the roll pays %(roll)s",
            income=yuan_text(entitlement.per_capita_income.quantize(Decimal("0.01"))),
            standard=yuan_text(entitlement.standard),
            roll=yuan_text(roll_amount),
        )
    else:
        note = say(
            "the rules give %(computed)s a month (%(version)s), the roll pays %(roll)s: a "
            "difference of %(difference)s, for review",
            computed=yuan_text(expected),
            version=params.version_id,
            roll=yuan_text(roll_amount),
            difference=yuan_text(roll_amount - expected),
        )
    return entitlement, [note]


# --- matching ---------------------------------------------------------------------------------


def _held_values(session: Session, household_ids: Iterable[int]) -> dict[int, dict[str, dict]]:
    """For households already in Workbridge: each member's values as the roll's export would
    write them and the import would read them back (so an exported roll compares equal)."""
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    members = session.connection().execute(_member_rows(ids))
    incomes = session.connection().execute(_income_rows(ids))
    earned: dict[int, dict[str, Decimal]] = {}
    for income in incomes:
        earned.setdefault(income.member_id, {})[income.source] = from_fen(income.monthly_amount_fen)
    held: dict[int, dict[str, dict]] = {}
    for member in members:
        line = _Line(0, KEYS, _row(member, earned.get(member.id, {})))
        line.values[MEMBER_ID] = member.id
        line.values[STORED_PHONE] = member.phone
        held.setdefault(member.household_id, {})[line.values["national_id"]] = line.values
    return held


# Kept beside a held member's values (not roll columns, so never compared): what a correction
# needs to say which row it changes and what it held.
MEMBER_ID, STORED_PHONE = "_member_id", "_stored_phone"


def _shown(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in WORDS:
        return WORDS[key].get(value, value)
    if isinstance(value, Decimal):
        return yuan_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def differences(household: RollHousehold, held: dict[str, dict]) -> list[tuple[str, Text]]:
    """Every value of the roll that is not what Workbridge holds, line by line, with its
    column's key."""
    notes: list[tuple[str, Text]] = []
    for line, values in zip(household.lines, household.values, strict=True):
        ours = held[values["national_id"]]
        for key in COMPARED:
            theirs = values.get(key)
            if theirs is None and (key in OPTIONAL_WHEN_EMPTY or key not in values):
                continue
            if ours.get(key) != theirs:
                note = say(
                    "line %(line)s, %(column)s: %(ours)s in Workbridge, %(theirs)s on the roll",
                    line=line,
                    column=HEADINGS[key],
                    ours=_shown(key, ours.get(key)),
                    theirs=_shown(key, theirs),
                )
                notes.append((key, note))
    return notes


def _empties(household: RollHousehold, keys: set[str]) -> bool:
    """Whether the roll leaves one of ``keys`` empty where it differs: a blank cell never
    erases what Workbridge holds (a cleared column in Excel is not a person's decision)."""
    return any(values.get(key) is None for values in household.values for key in keys)


def corrections(
    household: RollHousehold, home: int, held: dict[str, dict], keys: set[str]
) -> list[Correction]:
    """What taking the roll's phone numbers and address means, row by row: each member whose
    phone differs (stored as the check normalised it) and the household if its address does."""
    found: list[Correction] = []
    if "phone" in keys:
        for given, values in zip(household.members, household.values, strict=True):
            ours = held[values["national_id"]]
            if ours.get("phone") != values.get("phone"):
                found.append(
                    Correction("member", ours[MEMBER_ID], "phone", ours[STORED_PHONE], given.phone)
                )
    if "address" in keys and household.place is not None:
        before = next(iter(held.values())).get("address")
        found.append(Correction("household", home, "address", before, household.place.address))
    return found


def plan_batch(
    session: Session, batch: Sequence[RollHousehold], params: dict[str, EntitlementParams]
) -> list[Plan]:
    """Match a batch of the roll's households against Workbridge (three queries for the
    batch, none per member) and decide what becomes of each."""
    ids = [member.national_id for household in batch for member in household.members]
    live = ids_in_live_households(session, ids)
    held = _held_values(session, live.values())
    plans: list[Plan] = []
    for household in batch:
        assessed, amount_notes = assess_roll(household, params[household.case["scheme"]])
        computed = assessed.monthly_amount
        found = {
            m.national_id: live[m.national_id] for m in household.members if m.national_id in live
        }
        if not found:
            plans.append(Plan(household, CREATED, None, computed, amount_notes, assessed=assessed))
            continue
        homes = set(found.values())
        home = next(iter(homes))
        people = {m.national_id for m in household.members}
        if len(homes) == 1 and len(found) == len(people) and set(held.get(home, {})) == people:
            found_differences = differences(household, held[home])
            keys = {key for key, _ in found_differences}
            notes = [note for _, note in found_differences]
            if not keys:
                plans.append(Plan(household, UNCHANGED, home, computed))
            elif keys <= APPLIED and not _empties(household, keys):
                fixes = corrections(household, home, held[home], keys)
                plans.append(Plan(household, UPDATED, home, computed, notes, fixes))
            else:
                plans.append(Plan(household, DIFFERS, home, computed, notes))
            continue
        notes = [
            say(
                "line %(line)s: this person already belongs to live household %(value)s",
                line=line,
                value=found[member.national_id],
            )
            for line, member in zip(household.lines, household.members, strict=True)
            if member.national_id in found
        ]
        if len(homes) == 1 and len(found) == len(people):
            notes.append(
                say(
                    "household %(value)s in Workbridge has other members than the roll, or "
                    "an application under way: a person must decide who belongs where",
                    value=home,
                )
            )
        plans.append(Plan(household, REFUSED, None, computed, notes))
    return plans
