"""Every hard suitability check, walked at its boundaries (POLICY.md safeguards)."""

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from matching.rules import CHECK_ORDER, SeekerFacts, VacancyFacts, check_suitability

TODAY = date(2026, 3, 1)
MINIMUM = Decimal("1500.00")
PERSON = SeekerFacts(
    member_id=1,
    hours_per_week=40,
    shifts=frozenset({"day", "evening"}),
    max_commute_km=10,
    community="东街社区",
    lat=32.5,
    lon=117.6,
    reservation_wage=Decimal("2000"),
)
JOB = VacancyFacts(
    vacancy_id=9,
    occupation_code="6-05-01-03",
    title="缝纫工",
    monthly_wage=Decimal("2400.00"),
    hours_per_week=40,
    shift="day",
    physical_demand="light",
    valid_until=TODAY,
    openings=1,
    community="东街社区",
    lat=32.5,
    lon=117.65,
)


def failed(seeker: SeekerFacts = PERSON, vacancy: VacancyFacts = JOB) -> set[str]:
    return {c.name for c in check_suitability(seeker, vacancy, MINIMUM, TODAY).failed}


def test_a_plain_match_passes_every_check_with_a_reason() -> None:
    result = check_suitability(PERSON, JOB, MINIMUM, TODAY, parameter_version="county-pilot@2020.1")
    assert result.suitable
    assert [c.name for c in result.checks] == list(CHECK_ORDER)
    assert all(c.reason for c in result.checks)
    stored = json.loads(json.dumps(result.as_dict()))
    assert stored["suitable"] is True
    assert stored["parameter_version"] == "county-pilot@2020.1"
    assert stored["minimum_wage"] == "1500.00"
    assert stored["failed"] == []


@pytest.mark.clause("safeguard-suitable")
@pytest.mark.parametrize(
    ("capacity", "disability", "ill", "demand", "ok"),
    [
        ("full", "none", False, "heavy", True),
        ("partial", "none", False, "heavy", False),
        ("partial", "none", False, "medium", True),
        ("full", "mild", False, "heavy", False),
        ("full", "severe", False, "light", True),
        ("full", "none", True, "heavy", False),
        ("full", "none", True, "medium", True),
    ],
)
def test_no_heavy_work_for_partial_capacity_disability_or_serious_illness(
    capacity, disability, ill, demand, ok
) -> None:
    seeker = replace(PERSON, work_capacity=capacity, disability=disability, serious_illness=ill)
    assert ("capacity_health" not in failed(seeker, replace(JOB, physical_demand=demand))) is ok


@pytest.mark.clause("safeguard-suitable")
@pytest.mark.parametrize(
    ("limit", "demand", "ok"),
    [
        ("none", "heavy", True),
        ("no_heavy", "heavy", False),
        ("no_heavy", "medium", True),
        ("light_only", "medium", False),
        ("light_only", "light", True),
    ],
)
def test_physical_limit_against_demand(limit, demand, ok) -> None:
    result = failed(replace(PERSON, physical_limit=limit), replace(JOB, physical_demand=demand))
    assert ("physical_limit" not in result) is ok


@pytest.mark.clause("safeguard-suitable")
@pytest.mark.parametrize(("limit", "ok"), [(4.60, False), (4.70, True), (10, True)])
def test_commute_distance_against_the_limit(limit, ok) -> None:
    # 0.05° of longitude at 32.5° N is about 4.69 km
    assert ("commute" not in failed(replace(PERSON, max_commute_km=limit))) is ok


def test_unknown_distance_same_community_passes_otherwise_the_assumption_is_stated() -> None:
    no_coords = replace(JOB, lat=None, lon=None)
    assert "commute" not in failed(vacancy=no_coords)
    elsewhere = replace(no_coords, community="西街社区")
    result = check_suitability(PERSON, elsewhere, MINIMUM, TODAY)
    commute = next(c for c in result.checks if c.name == "commute")
    assert not commute.passed
    assert "distance unknown" in commute.reason and "assumed" in commute.reason


@pytest.mark.clause("safeguard-suitable")
def test_outside_county_work_only_for_people_who_said_they_would_consider_it() -> None:
    away = replace(JOB, source="outside_county", lat=None, lon=None, community="苏州")
    assert "commute" in failed(vacancy=away)
    assert "commute" not in failed(replace(PERSON, accepts_outside_county=True), away)


@pytest.mark.clause("safeguard-suitable")
@pytest.mark.parametrize(("hours", "ok"), [(39, True), (40, True), (41, False)])
def test_hours_against_availability(hours, ok) -> None:
    assert ("hours" not in failed(vacancy=replace(JOB, hours_per_week=hours))) is ok


@pytest.mark.clause("safeguard-suitable")
@pytest.mark.parametrize(
    ("shift", "childcare", "ok"),
    [
        ("day", False, True),
        ("evening", False, True),
        ("night", False, False),
        ("day", True, True),
        ("evening", True, False),
    ],
)
def test_shift_and_childcare(shift, childcare, ok) -> None:
    seeker = replace(PERSON, childcare=childcare)
    assert ("shift" not in failed(seeker, replace(JOB, shift=shift))) is ok


@pytest.mark.clause("safeguard-suitable")
@pytest.mark.parametrize(("wage", "ok"), [("1499.99", False), ("1500.00", True), ("1500.01", True)])
def test_wage_at_or_above_the_local_minimum(wage, ok) -> None:
    assert ("minimum_wage" not in failed(vacancy=replace(JOB, monthly_wage=Decimal(wage)))) is ok


def test_a_reservation_wage_above_the_minimum_never_makes_a_job_unsuitable() -> None:
    hopeful = replace(PERSON, reservation_wage=Decimal("5000"))
    result = check_suitability(hopeful, replace(JOB, monthly_wage=MINIMUM), MINIMUM, TODAY)
    assert result.suitable


@pytest.mark.clause("safeguard-suitable")
def test_a_labour_dispute_makes_the_job_unsuitable() -> None:
    result = check_suitability(PERSON, replace(JOB, labour_dispute=True), MINIMUM, TODAY)
    assert not result.suitable
    assert "dispute" in result.failed[0].reason


@pytest.mark.clause("safeguard-suitable")
@pytest.mark.parametrize(
    ("valid_until", "openings", "ok"),
    [
        (TODAY - timedelta(days=1), 1, False),
        (TODAY, 1, True),
        (TODAY, 0, False),
    ],
)
def test_vacancy_still_valid_and_with_openings(valid_until, openings, ok) -> None:
    vacancy = replace(JOB, valid_until=valid_until, openings=openings)
    assert ("vacancy_open" not in failed(vacancy=vacancy)) is ok


def test_every_failure_is_listed_at_once_with_a_plain_reason() -> None:
    frail = replace(PERSON, work_capacity="partial", childcare=True, hours_per_week=20)
    bad = replace(
        JOB,
        physical_demand="heavy",
        shift="night",
        hours_per_week=44,
        monthly_wage=Decimal("1000"),
        labour_dispute=True,
        openings=0,
    )
    result = check_suitability(frail, bad, MINIMUM, TODAY)
    assert {c.name for c in result.failed} == {
        "capacity_health",
        "hours",
        "shift",
        "minimum_wage",
        "labour_dispute",
        "vacancy_open",
    }
    assert all(len(str(c.reason)) > 20 for c in result.failed)
