"""The pruned batch ranking must give every person exactly the top-k that scoring every open
vacancy gives: the candidate columns of a block are a superset of its suitable pairs, and ties
at the k-th place are settled by id whichever columns were scored."""

import math
import random
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from factories import TODAY, TRADES, seeker, vacancy

from matching import bench
from matching.candidates import candidate_blocks
from matching.ranking import build_seeker_batch, build_vacancy_index, top_vacancies
from matching.rules import check_suitability, distance_km, score_vacancy

MINIMUM = Decimal("1500.00")
HOME = (32.53, 117.67)


def both_ways(seekers, vacancies, *, k=5, block=4, workers=1):
    index = build_vacancy_index(vacancies, TRADES)
    batch = build_seeker_batch(seekers, index)
    kwargs = dict(today=TODAY, minimum_wage=MINIMUM, k=k, block=block)
    pruned = top_vacancies(batch, index, workers=workers, **kwargs)
    full = top_vacancies(batch, index, exhaustive=True, **kwargs)
    return pruned, full


def by_rules(person, vacancies, k):
    ranked = sorted(
        (-score_vacancy(person, v, TRADES).total, v.vacancy_id)
        for v in vacancies
        if check_suitability(person, v, MINIMUM, TODAY).suitable
    )
    return [vid for _, vid in ranked[:k]]


@pytest.mark.parametrize(("seed", "block", "workers"), [(1, 3, 1), (2, 7, 2), (3, 256, 1)])
def test_pruned_ranking_equals_scoring_every_vacancy(seed, block, workers) -> None:
    rng = random.Random(seed)
    seekers = [seeker(rng, i) for i in range(1, 301)]
    vacancies = [vacancy(rng, 1000 + i) for i in range(400)]
    (ids, scores), (full_ids, full_scores) = both_ways(
        seekers, vacancies, k=10, block=block, workers=workers
    )
    assert np.array_equal(ids, full_ids)
    assert np.array_equal(scores, full_scores)
    assert (ids[:, 0] >= 0).sum() > 100  # most people had suitable work to rank
    for row in rng.sample(range(len(seekers)), 25):
        assert [int(i) for i in ids[row] if i >= 0] == by_rules(seekers[row], vacancies, 10)


def test_a_county_of_clustered_communities_ranks_the_same_pruned_or_not() -> None:
    """The benchmark's county: people and jobs around 60 community centres, so blocks hold
    many people and their columns are a small part of the county."""
    vacancies = bench.synthetic_vacancies(3_000, seed=5)
    seekers = bench.synthetic_seekers(4_000, seed=6)
    index = build_vacancy_index(vacancies, bench.TRADES)
    batch = build_seeker_batch(seekers, index)
    kwargs = dict(today=bench.TODAY, minimum_wage=bench.MINIMUM_WAGE, k=10)
    ids, scores = top_vacancies(batch, index, workers=2, **kwargs)
    full_ids, full_scores = top_vacancies(batch, index, exhaustive=True, **kwargs)
    assert np.array_equal(ids, full_ids)
    assert np.array_equal(scores, full_scores)
    columns = index.open_columns(bench.TODAY, bench.MINIMUM_WAGE)
    blocks = list(candidate_blocks(batch, index, columns, 256))
    scored = sum(len(b.rows) * len(b.columns) for b in blocks)
    assert scored < 0.5 * len(seekers) * len(columns)  # the pruning prunes
    assert sorted(np.concatenate([b.rows for b in blocks]).tolist()) == list(range(len(seekers)))


@pytest.mark.parametrize("seed", [11, 12])
def test_every_suitable_pair_is_among_its_blocks_columns(seed) -> None:
    rng = random.Random(seed)
    seekers = [seeker(rng, i) for i in range(1, 121)]
    vacancies = [vacancy(rng, 500 + i) for i in range(150)]
    index = build_vacancy_index(vacancies, TRADES)
    batch = build_seeker_batch(seekers, index)
    columns = index.open_columns(TODAY, MINIMUM)
    checked = 0
    for block in candidate_blocks(batch, index, columns, 5):
        allowed = set(block.columns.tolist())
        for row in block.rows:
            for column, job in enumerate(vacancies):
                if check_suitability(seekers[row], job, MINIMUM, TODAY).suitable:
                    assert column in allowed, (seekers[row], job)
                    checked += 1
    assert checked > 100


def _person(**changes):
    base = replace(
        seeker(random.Random(1), 1),
        work_capacity="full",
        disability="none",
        serious_illness=False,
        physical_limit="none",
        hours_per_week=44,
        shifts=frozenset({"day", "evening", "night"}),
        childcare=False,
        community="东街社区",
        lat=HOME[0],
        lon=HOME[1],
        accepts_outside_county=False,
        reservation_wage=Decimal("0"),
        desired_occupations=("6-05-01-03",),
        max_commute_km=10.0,
    )
    return replace(base, **changes)


def _job(vacancy_id, **changes):
    base = replace(
        vacancy(random.Random(2), vacancy_id),
        occupation_code="6-05-01-03",
        community="东街社区",
        lat=HOME[0],
        lon=HOME[1],
        monthly_wage=Decimal("2000.00"),
        hours_per_week=40,
        shift="day",
        openings=1,
        physical_demand="light",
        source="local_employer",
        valid_until=TODAY,
        labour_dispute=False,
    )
    return replace(base, **changes)


NORTH = HOME[0] + 0.08  # about 8.9 km north of home
AT = distance_km(*HOME, NORTH, HOME[1])
JUST_SHORT = math.nextafter(AT, 0.0)

# (case, person's changes, vacancy's changes, suitable by the location rule)
LOCATION_TABLE = [
    ("commute exactly the distance", {"max_commute_km": AT}, {"lat": NORTH}, True),
    ("commute a hair short", {"max_commute_km": JUST_SHORT}, {"lat": NORTH}, False),
    ("coordinates decide, not community", {"max_commute_km": 3.0}, {"lat": NORTH}, False),
    ("no commute, same spot", {"max_commute_km": 0.0}, {}, True),
    ("person without coordinates, same community", {"lat": None, "lon": None}, {}, True),
    (
        "person without coordinates, other community",
        {"lat": None, "lon": None},
        {"community": "西街社区"},
        False,
    ),
    ("job without coordinates, same community", {}, {"lat": None, "lon": None}, True),
    (
        "job without coordinates, other community",
        {},
        {"lat": None, "lon": None, "community": "西街社区"},
        False,
    ),
    (
        "outside the county, accepted",
        {"accepts_outside_county": True},
        {"source": "outside_county", "lat": 30.0, "community": ""},
        True,
    ),
    (
        "outside the county, not accepted",
        {},
        {"source": "outside_county", "lat": HOME[0], "community": "东街社区"},
        False,
    ),
]


@pytest.mark.parametrize(
    ("case", "person", "job", "suitable"), LOCATION_TABLE, ids=[c[0] for c in LOCATION_TABLE]
)
def test_location_boundaries_rank_the_same_pruned_or_not(case, person, job, suitable) -> None:
    target = _job(77, **job)
    someone = _person(**person)
    assert check_suitability(someone, target, MINIMUM, TODAY).suitable is suitable, case
    # The person among neighbours with every commute, so blocks hold several people and the
    # block's reach comes from the triangle inequality, not from one person alone.
    rng = random.Random(3)
    people = [someone] + [
        _person(
            member_id=10 + i,
            lat=HOME[0] + rng.uniform(-0.02, 0.02),
            lon=HOME[1] + rng.uniform(-0.02, 0.02),
            max_commute_km=rng.choice([0.0, 2.0, 5.0, AT]),
        )
        for i in range(20)
    ]
    others = [_job(100 + i, lat=HOME[0] + rng.uniform(-0.1, 0.1)) for i in range(30)]
    (ids, _), (full_ids, _) = both_ways(people, [target, *others], k=40, block=8)
    assert np.array_equal(ids, full_ids)
    assert (77 in ids[0].tolist()) is suitable, case


def test_ties_at_the_last_place_go_to_the_lowest_ids_either_way() -> None:
    ids_in_index_order = [9, 3, 14, 1, 12, 7, 5, 11, 2, 13]
    jobs = [_job(i) for i in ids_in_index_order]  # identical but for the id: all tie
    (ids, scores), (full_ids, _) = both_ways([_person()], jobs, k=4)
    assert ids[0].tolist() == [1, 2, 3, 5] == full_ids[0].tolist()
    assert len(set(scores[0].tolist())) == 1
