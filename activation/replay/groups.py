"""Who a replayed case is, for the figures by group (issue 16: "by township, community, sex,
age band, category, disability, household with children").

A case counts in one group of each dimension: its household's township, community and scheme,
its category, the household head's sex and age band, whether any member is a child and
whether any member has a disability — each taken on the last day of the replay's range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kernel.messages import Text, say

DIMENSIONS = (
    "township",
    "community",
    "scheme",
    "category",
    "head_sex",
    "head_age_band",
    "children",
    "disability",
)
AGE_BANDS = ((30, "under-30"), (40, "30-39"), (50, "40-49"), (60, "50-59"))
CHILD_UNDER = 18


@dataclass(frozen=True)
class MemberFacts:
    relation: str
    sex: str
    birth_date: date
    disability: str


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> str:
    for limit, band in AGE_BANDS:
        if age < limit:
            return band
    return "60-and-over"


@dataclass(frozen=True)
class HouseholdFacts:
    """What the figures by group need of a case's household, summed over its members: the
    replay reads this one row per case (``reads._households``, summed by the database) instead
    of a row per member; ``summary`` is the same sum in Python, and the tests hold them equal."""

    township: str
    community: str
    scheme: str
    category: str
    persons: int
    head_sex: str | None  # the head's, or the first member's when none is the head
    head_birth: date | None
    youngest_birth: date | None
    disabled: bool


def summary(
    township: str, community: str, scheme: str, category: str, members: Sequence[MemberFacts]
) -> HouseholdFacts:
    head = next((m for m in members if m.relation == "head"), members[0] if members else None)
    return HouseholdFacts(
        township,
        community,
        scheme,
        category,
        persons=len(members),
        head_sex=head.sex if head else None,
        head_birth=head.birth_date if head else None,
        youngest_birth=max((m.birth_date for m in members), default=None),
        disabled=any(m.disability != "none" for m in members),
    )


def groups_of(
    township: str,
    community: str,
    scheme: str,
    category: str,
    members: Sequence[MemberFacts],
    on: date,
) -> dict[str, str]:
    return household_groups(summary(township, community, scheme, category, members), on)


def household_groups(facts: HouseholdFacts, on: date) -> dict[str, str]:
    return dict(group_key(facts, on))


GroupKey = tuple[tuple[str, str], ...]


def group_key(facts: HouseholdFacts, on: date) -> GroupKey:
    """The household's group in each dimension, as (dimension, value) pairs in ``DIMENSIONS``'
    order: hashable, so the figures add a case to its whole set of groups at once
    (``figures.add_recorded``) and spread the sums over the dimensions at the end."""
    young = facts.youngest_birth
    return (
        ("township", facts.township),
        ("community", facts.community),
        ("scheme", facts.scheme),
        ("category", facts.category),
        ("head_sex", facts.head_sex or "unknown"),
        (
            "head_age_band",
            age_band(age_on(facts.head_birth, on)) if facts.head_birth else "unknown",
        ),
        ("children", "yes" if young is not None and age_on(young, on) < CHILD_UNDER else "no"),
        ("disability", "yes" if facts.disabled else "no"),
    )


DIMENSION_WORDS = {
    "township": say("township"),
    "community": say("community"),
    "scheme": say("scheme"),
    "category": say("category"),
    "head_sex": say("sex of the household head"),
    "head_age_band": say("age of the household head"),
    "children": say("household with children"),
    "disability": say("household with a disabled member"),
}
VALUE_WORDS = {
    "urban": say("urban"),
    "rural": say("rural"),
    "male": say("male"),
    "female": say("female"),
    "unknown": say("unknown"),
    "under-30": say("under 30"),
    "30-39": say("30 to 39"),
    "40-49": say("40 to 49"),
    "50-59": say("50 to 59"),
    "60-and-over": say("60 and over"),
    "yes": say("yes"),
    "no": say("no"),
}


def value_words(dimension: str, value: str) -> Text | str:
    """A group's value as a reader reads it: places and categories as recorded, codes in words."""
    if dimension in ("township", "community", "category"):
        return value
    return VALUE_WORDS.get(value, value)
