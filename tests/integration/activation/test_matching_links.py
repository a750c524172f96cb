"""Activation uses matching's profile and suitability, and training's courses."""

from datetime import date

import pytest

from support import Desk, member


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


@pytest.fixture
def woman(desk: Desk) -> int:
    home = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100")])
    )
    return home["members"][0]["id"]


def course(desk: Desk, trade: str, **fields) -> dict:
    provider = desk.call("POST", "/training/providers", desk.officer, {"name": f"{trade} 培训学校"})
    body = {
        "provider_id": provider["id"],
        "trade": trade,
        "title": f"{trade} 培训班",
        "capacity": 20,
        "starts_on": "2026-04-01",
        "ends_on": "2026-05-15",
        "sessions_total": 30,
        "community": "东街社区",
        "cost_per_trainee": "1200.00",
        "subsidy_per_trainee": "800.00",
        **fields,
    }
    return desk.call("POST", "/training/courses", desk.counsellor, body)


def test_registration_writes_the_seeker_profile_matching_uses(desk: Desk, woman: int) -> None:
    person = desk.person(woman)
    profile = person["registration"]["profile"]
    assert profile["community"] == "东街社区"  # the household's, by default
    assert profile["labour_office"] == "东街社区劳动保障服务站"
    assert profile["desired_occupations"] == ["4-09-08-01"]
    desk.call("PATCH", f"/members/{woman}", desk.counsellor, {"work_capacity": "partial"})
    synced = desk.call("GET", f"/matching/seekers/{woman}", desk.counsellor)
    assert synced["work_capacity"] == "partial"


def test_bad_registration_lists_every_problem(desk: Desk, woman: int) -> None:
    bad = desk.call(
        "POST",
        f"/activation/people/{woman}/registration",
        desk.counsellor,
        {
            "office": "",
            "hours_per_week": 0,
            "shifts": ["dawn"],
            "max_commute_km": -1,
            "desired_occupations": ["9-99-99-99"],
            "reservation_wage": "1.005",
        },
        status=422,
    )
    fields = {p["field"] for p in bad["problems"]}
    assert {
        "office",
        "hours_per_week",
        "shifts.0",
        "max_commute_km",
        "desired_occupations",
        "reservation_wage",
    } <= fields
    unknown_trade = desk.call(
        "POST",
        f"/activation/people/{woman}/registration",
        desk.counsellor,
        {
            "office": "x站",
            "hours_per_week": 40,
            "shifts": ["day"],
            "max_commute_km": 5,
            "training_wishes": ["astronaut"],
        },
        status=422,
    )
    assert unknown_trade["problems"][0]["rule"] == "known-trade"


def test_a_person_who_cannot_do_heavy_work_is_never_offered_coal_mining(
    desk: Desk, woman: int
) -> None:
    desk.call("PATCH", f"/members/{woman}", desk.counsellor, {"disability": "mild"})
    desk.on("2026-03-05")
    coal = course(desk, "coal_mining")
    sewing = course(desk, "electric_sewing")
    heavy_job = desk.vacancy(
        title="井下采掘工",
        occupation_code="4-02-05-01",
        physical_demand="heavy",
    )
    matches = desk.call("GET", f"/activation/people/{woman}/matches", desk.counsellor)
    assert [c["course_id"] for c in matches["courses"]] == [sewing["id"]]
    assert heavy_job["id"] not in [v["vacancy_id"] for v in matches["vacancies"]]
    referred = desk.call(
        "POST",
        "/activation/referrals",
        desk.counsellor,
        {"member_id": woman, "course_id": coal["id"]},
    )
    assert referred["suitable"] is False
    assert "capacity_health" in referred["suitability"]["failed"]


def test_accepting_a_course_place_enrols_the_person_and_is_compliance(
    desk: Desk, woman: int
) -> None:
    desk.on("2026-03-05")
    sewing = course(desk, "electric_sewing")
    referral = desk.call(
        "POST",
        "/activation/referrals",
        desk.counsellor,
        {"member_id": woman, "course_id": sewing["id"]},
    )
    assert referral["suitable"] is True and referral["kind"] == "course"
    desk.answer(referral["id"], "2026-03-06", "accepted", reason="")
    enrolments = desk.call("GET", f"/training/courses/{sewing['id']}/enrolments", desk.counsellor)
    assert [(e["member_id"], e["status"]) for e in enrolments] == [(woman, "enrolled")]
