"""The vectorised ranking must say exactly what the pure rules say, pair by pair."""

import random
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from factories import TODAY, TRADES, seeker, vacancy

from matching.ranking import (
    build_seeker_batch,
    build_vacancy_index,
    pair_scores,
    rank_seekers_for,
    rank_vacancies_for,
    top_vacancies,
)
from matching.rules import check_suitability, grams, overlap, score_vacancy

MINIMUM = Decimal("1500.00")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_filters_and_scores_equal_the_pure_rules(seed) -> None:
    rng = random.Random(seed)
    seekers = [seeker(rng, i) for i in range(1, 61)]
    vacancies = [vacancy(rng, 100 + i) for i in range(90)]
    index = build_vacancy_index(vacancies, TRADES)
    batch = build_seeker_batch(seekers, index)
    columns = index.open_columns(TODAY, MINIMUM)
    scores = np.full((len(seekers), len(vacancies)), -np.inf)
    scores[:, columns] = pair_scores(batch, slice(0, len(seekers)), index, columns)
    suitable = 0
    for i, s in enumerate(seekers):
        for j, v in enumerate(vacancies):
            ok = check_suitability(s, v, MINIMUM, TODAY).suitable
            assert ok == bool(np.isfinite(scores[i, j])), (s, v)
            if ok:
                suitable += 1
                assert scores[i, j] == pytest.approx(score_vacancy(s, v, TRADES).total, abs=1e-9)
    assert suitable > 50  # the comparison covered real matches, not only rejections


@pytest.mark.clause("matching")
def test_top_k_is_the_best_suitable_in_score_order() -> None:
    rng = random.Random(5)
    seekers = [seeker(rng, i) for i in range(1, 31)]
    vacancies = [vacancy(rng, 100 + i) for i in range(200)]
    index = build_vacancy_index(vacancies, TRADES)
    ids, _ = top_vacancies(
        build_seeker_batch(seekers, index), index, today=TODAY, minimum_wage=MINIMUM, k=5
    )
    for row, s in enumerate(seekers):
        expected = sorted(
            (
                (-score_vacancy(s, v, TRADES).total, v.vacancy_id)
                for v in vacancies
                if check_suitability(s, v, MINIMUM, TODAY).suitable
            ),
        )[:5]
        got = [int(i) for i in ids[row] if i >= 0]
        assert got == [vid for _, vid in expected]


def test_chinese_bigrams_find_shared_skills() -> None:
    assert grams(["电子装配"]) == {"电子", "子装", "装配"}
    assert grams(["焊"]) == {"焊"}
    assert grams(["C1驾驶证"]) == {"c1", "驾驶", "驶证"}
    assert overlap(grams(["电子装配"]), grams(["电子元件装配"])) > 0
    assert overlap(grams(["缝纫"]), grams(["电焊"])) == 0


@pytest.mark.clause("matching")
def test_a_ranked_match_explains_why_it_fits_and_what_does_not() -> None:
    rng = random.Random(8)
    person = replace(
        seeker(rng, 1),
        work_capacity="full",
        disability="none",
        serious_illness=False,
        physical_limit="none",
        hours_per_week=44,
        shifts=frozenset({"day"}),
        childcare=False,
        community="东街社区",
        lat=None,
        lon=None,
        reservation_wage=Decimal("3000"),
        desired_occupations=("6-05-01-03",),
        skills=("缝纫", "熨烫"),
    )
    job = replace(
        vacancy(rng, 7),
        occupation_code="6-05-01-03",
        title="服装缝纫工",
        skills=("平车",),
        community="东街社区",
        lat=None,
        lon=None,
        monthly_wage=Decimal("2400.00"),
        hours_per_week=40,
        shift="day",
        openings=2,
        physical_demand="light",
        source="local_employer",
        valid_until=TODAY,
        labour_dispute=False,
    )
    (match,) = rank_vacancies_for(
        person, build_vacancy_index([job], TRADES), today=TODAY, minimum_wage=MINIMUM
    )
    assert match.suitability.suitable
    assert any("asked for" in f for f in match.detail.fits)
    assert any("缝纫" in f for f in match.detail.fits)
    assert any("below the 3000.00" in m for m in match.detail.misfits)


def test_people_ranked_for_a_vacancy_are_all_suitable() -> None:
    rng = random.Random(9)
    seekers = [seeker(rng, i) for i in range(1, 200)]
    job = replace(
        vacancy(rng, 1),
        openings=3,
        valid_until=TODAY,
        labour_dispute=False,
        monthly_wage=Decimal("2600.00"),
        shift="day",
        hours_per_week=20,
        physical_demand="light",
        source="local_employer",
    )
    matches = rank_seekers_for(job, seekers, today=TODAY, minimum_wage=MINIMUM, k=10)
    assert matches
    assert all(m.suitability.suitable for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
