"""The replay reads each case's household summed by the database (``reads._households``): the
same facts ``groups.summary`` sums from the members one by one, on generated households and on
the awkward ones — no head, a disabled member, a child turning 18 on the range's last day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from activation.replay import reads
from activation.replay.groups import MemberFacts, household_groups, summary
from activation.replay.reads import PACKED, _households, packed_range
from benefits.bench import generate
from benefits.models import BenefitCase, Household, Member
from benefits.payment_rules import Month

TODAY = date(2026, 3, 20)


def by_member(session: Session) -> dict:
    members: dict[int, list[MemberFacts]] = {}
    places = {}
    for (
        case_id,
        town,
        community,
        scheme,
        category,
        relation,
        sex,
        birth,
        disability,
    ) in session.execute(
        select(
            BenefitCase.id,
            Household.township,
            Household.community,
            Household.scheme,
            BenefitCase.category,
            Member.relation,
            Member.sex,
            Member.birth_date,
            Member.disability,
        )
        .join(Household, Household.id == BenefitCase.household_id)
        .join(Member, Member.household_id == Household.id)
        .order_by(BenefitCase.id, Member.id)
    ):
        places[case_id] = (town, community, scheme, category)
        members.setdefault(case_id, []).append(MemberFacts(relation, sex, birth, disability))
    return {case_id: summary(*places[case_id], found) for case_id, found in members.items()}


@pytest.mark.parametrize("packed", [PACKED, 0])  # one range of households; one by one
def test_the_database_sums_each_household_as_the_rules_do(engine, app, monkeypatch, packed) -> None:
    monkeypatch.setattr(reads, "PACKED", packed)
    generate(engine, 150, Month.of(TODAY), app.state.policy.at(TODAY).version_id, seed=8)
    with engine.begin() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT id FROM household ORDER BY id"))]
        # no head: the first member stands for the household
        conn.execute(
            text("UPDATE member SET relation = 'spouse' WHERE household_id = :h"), {"h": ids[0]}
        )
        conn.execute(
            text("UPDATE member SET disability = 'severe' WHERE household_id = :h"), {"h": ids[1]}
        )
        conn.execute(  # 18 on 31 March 2026: not a child on the last day
            text("UPDATE member SET birth_date = :d WHERE household_id = :h"),
            {"d": date(2008, 3, 31), "h": ids[2]},
        )
        # the head recorded last: the head, not the first member, stands for the household
        many = conn.execute(
            text(
                "SELECT household_id FROM member WHERE household_id > :h GROUP BY household_id "
                "HAVING count(*) > 1 AND min(birth_date) <> max(birth_date) ORDER BY household_id"
            ),
            {"h": ids[2]},
        ).first()[0]
        conn.execute(
            text("UPDATE member SET relation = 'child' WHERE household_id = :h"), {"h": many}
        )
        # the last case moved to the first household: two cases of one household, one of them
        # far from the households of the cases around it
        conn.execute(
            text(
                "UPDATE benefit_case SET household_id = :h "
                "WHERE id = (SELECT max(id) FROM benefit_case)"
            ),
            {"h": ids[0]},
        )
        conn.execute(
            text(
                "UPDATE member SET relation = 'head' WHERE id = "
                "(SELECT max(id) FROM member WHERE household_id = :h)"
            ),
            {"h": many},
        )
    with Session(engine) as session:
        expected = by_member(session)
        low, high = min(expected), max(expected)
        found, members = _households(session, low, high)
        ids = session.execute(  # the members of the households with a case
            text(
                "SELECT min(id), max(id) FROM member "
                "WHERE household_id IN (SELECT household_id FROM benefit_case)"
            )
        ).one()
    assert len(found) == len(expected) == 150
    assert found == expected
    # the members' ids as one range when close (all of them here), none when never
    assert members == (tuple(ids) if packed else None)
    twice = found[max(found)], found[min(found)]  # the same household's two cases
    assert replace(twice[0], category="") == replace(twice[1], category="")
    last_day = Month(2026, 3).last
    groups = [household_groups(facts, last_day) for facts in found.values()]
    assert {g["disability"] for g in groups} == {"yes", "no"}
    assert {g["children"] for g in groups} == {"yes", "no"}
    headless = found[min(found)]
    assert headless.head_sex is not None and headless.persons >= 1


@pytest.mark.parametrize(
    ("lows", "highs", "items", "packed", "span"),
    [
        ([], [], 0, 4, None),
        # a chunk's households: each its own low and high, one item a case
        ([7], [7], 1, 4, (7, 7)),
        ([10, 11, 12, 13], [10, 11, 12, 13], 4, 4, (10, 13)),
        ([1, 16], [1, 16], 2, 8, (1, 16)),  # 15 apart for 2 cases: under 16
        ([1, 17], [1, 17], 2, 8, None),  # 16 apart: the range would read 8 a case or more
        ([5, 3, 9, 3], [5, 3, 9, 3], 4, 4, (3, 9)),  # any order, repeats counted as cases
        ([1, 2, 3], [1, 2, 3], 3, 0, None),  # 0: never a range
        # a chunk's members: each household's lowest and highest member, one item a person
        ([10], [12], 3, 4, (10, 12)),
        ([10, 20], [12, 22], 6, 4, (10, 22)),
        ([10, 33], [12, 33], 6, 4, (10, 33)),  # 23 apart for 6 members: under 24
        ([10, 34], [12, 34], 6, 4, None),  # 24 apart: four ids a member or more
        ([20, 10], [22, 12], 6, 4, (10, 22)),  # the least low and greatest high, any order
    ],
)
def test_a_chunks_rows_are_one_range_only_when_close(lows, highs, items, packed, span) -> None:
    assert packed_range(lows, highs, items, packed) == span
