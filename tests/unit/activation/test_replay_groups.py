"""The groups a replayed case counts in (activation/replay/groups.py): boundary tables for
the age bands and for who is a child, on the range's last day."""

from datetime import date

import pytest

from activation.replay.groups import MemberFacts, age_band, age_on, groups_of

DAY = date(2026, 12, 31)


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, "under-30"), (29, "under-30"), (30, "30-39"), (39, "30-39"), (40, "40-49"),
     (49, "40-49"), (50, "50-59"), (59, "50-59"), (60, "60-and-over"), (95, "60-and-over")],
)  # fmt: skip
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band


@pytest.mark.parametrize(
    ("birth", "age"),
    [(date(2008, 12, 31), 18), (date(2009, 1, 1), 17), (date(1966, 12, 31), 60),
     (date(1967, 1, 1), 59), (date(2008, 2, 29), 18)],
)  # fmt: skip
def test_age_on_the_day(birth: date, age: int) -> None:
    assert age_on(birth, DAY) == age


def member(relation="head", sex="female", birth=date(1980, 5, 1), disability="none"):
    return MemberFacts(relation, sex, birth, disability)


@pytest.mark.parametrize(
    ("child_birth", "children"),
    [(date(2008, 12, 31), "no"), (date(2009, 1, 1), "yes")],  # 18 on the day is not a child
)
def test_a_household_with_children(child_birth: date, children: str) -> None:
    found = groups_of(
        "定城镇", "东街社区", "urban", "B", [member(), member("child", birth=child_birth)], DAY
    )
    assert found["children"] == children


def test_the_head_decides_sex_and_age_and_any_member_a_disability() -> None:
    found = groups_of(
        "定城镇",
        "东街社区",
        "rural",
        "A",
        [member("spouse", "male", date(1990, 1, 1)), member(), member("parent", disability="mild")],
        DAY,
    )
    assert found == {
        "township": "定城镇",
        "community": "东街社区",
        "scheme": "rural",
        "category": "A",
        "head_sex": "female",
        "head_age_band": "40-49",
        "children": "no",
        "disability": "yes",
    }
    assert groups_of("t", "c", "urban", "C", [], DAY)["head_sex"] == "unknown"
