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


def groups_of(
    township: str,
    community: str,
    scheme: str,
    category: str,
    members: Sequence[MemberFacts],
    on: date,
) -> dict[str, str]:
    head = next((m for m in members if m.relation == "head"), members[0] if members else None)
    return {
        "township": township,
        "community": community,
        "scheme": scheme,
        "category": category,
        "head_sex": head.sex if head else "unknown",
        "head_age_band": age_band(age_on(head.birth_date, on)) if head else "unknown",
        "children": "yes" if any(age_on(m.birth_date, on) < CHILD_UNDER for m in members) else "no",
        "disability": "yes" if any(m.disability != "none" for m in members) else "no",
    }


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
