"""Forbidden moves get a clear 4xx and change nothing."""

from datetime import date

import pytest
from sqlalchemy import text

from support import Desk, member

TABLES = [
    "referral",
    "refusal",
    "activation_warning",
    "sanction",
    "appeal",
    "good_reason_review",
    "activation_decision",
    "registration",
    "case_status_period",
]


def counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES
        }


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


@pytest.fixture
def woman(desk: Desk) -> int:
    home = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100")])
    )
    return home["members"][0]["id"]


def test_answering_a_closed_referral(desk: Desk, woman: int, engine) -> None:
    referral = desk.refer(woman, "2026-03-05")
    desk.answer(referral["id"], "2026-03-05", "accepted", reason="")
    before = counts(engine)
    problem = desk.answer(referral["id"], "2026-03-06", "declined", status=409)
    assert problem["problems"][0]["rule"] == "referral-open"
    assert counts(engine) == before


def test_counting_a_refusal_twice(desk: Desk, woman: int, engine) -> None:
    first = desk.decline(woman, "2026-03-05", "2026-03-06")
    assert first["refusal_counted"]
    before = counts(engine)
    again = desk.review(first["id"], "2026-03-07", status=409)
    assert again["problems"][0]["rule"] == "review-pending"
    assert counts(engine) == before


@pytest.mark.clause("safeguard-human-decision")
def test_confirming_your_own_proposal(desk: Desk, woman: int, engine) -> None:
    first = desk.refer(woman, "2026-03-05")
    desk.answer(first["id"], "2026-03-05", "declined")
    desk.review(first["id"], "2026-03-06", headers=desk.officer)
    second = desk.refer(woman, "2026-03-10")
    desk.answer(second["id"], "2026-03-10", "declined")
    desk.review(second["id"], "2026-03-11", headers=desk.officer)  # the officer proposes
    sanction = desk.person(woman)["sanctions"][0]
    before = counts(engine)
    review = desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
        status=403,
    )
    assert review["problems"][0]["rule"] == "four-eyes"
    own = desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/decision",
        desk.officer,
        {"confirm": True, "reason": "确认"},
        status=403,
    )
    assert own["problems"][0]["rule"] == "four-eyes"
    assert counts(engine) == before


@pytest.mark.clause("safeguard-human-decision", "safeguard-capability")
def test_sanctioning_a_person_who_has_become_exempt(desk: Desk, woman: int, engine) -> None:
    desk.decline(woman, "2026-03-05", "2026-03-06")
    desk.decline(woman, "2026-03-10", "2026-03-11")
    sanction = desk.person(woman)["sanctions"][0]
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    desk.call("PATCH", f"/members/{woman}", desk.counsellor, {"pregnant": True})
    before = counts(engine)
    refused = desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/decision",
        desk.officer,
        {"confirm": True, "reason": "确认"},
        status=409,
    )
    assert refused["problems"][0]["rule"] == "duty-applies"
    assert "怀孕" in refused["problems"][0]["message"]  # the exemption, in the reader's words
    assert counts(engine) == before


@pytest.mark.clause("safeguard-verified")
def test_evidence_reopens_the_review_and_stops_the_proposal(desk: Desk, woman: int) -> None:
    desk.decline(woman, "2026-03-05", "2026-03-06")
    second = desk.decline(woman, "2026-03-10", "2026-03-11")
    assert desk.person(woman)["sanctions"][0]["state"] == "proposed"
    desk.on("2026-03-12")
    desk.call(
        "POST",
        f"/activation/referrals/{second['id']}/evidence",
        desk.counsellor,
        {"text": "医院证明: 当日住院", "source": "person"},
    )
    person = desk.person(woman)
    assert person["sanctions"][0]["state"] == "cancelled"
    assert person["referrals"][1]["refusal_counted"] is False
    assert person["referrals"][1]["review"]["state"] == "pending"
    decided = desk.review(second["id"], "2026-03-13", good_reason=True, reason_code="illness")
    assert decided["refusal_counted"] is False


def test_evidence_after_the_sanction_took_effect_goes_to_appeal(
    desk: Desk, woman: int, engine
) -> None:
    desk.decline(woman, "2026-03-05", "2026-03-06")
    second = desk.decline(woman, "2026-03-10", "2026-03-11")
    sanction = desk.person(woman)["sanctions"][0]
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/decision",
        desk.officer,
        {"confirm": True, "reason": "确认"},
    )
    desk.sweep("2026-03-21")
    before = counts(engine)
    late = desk.call(
        "POST",
        f"/activation/referrals/{second['id']}/evidence",
        desk.counsellor,
        {"text": "证明"},
        status=409,
    )
    assert late["problems"][0]["rule"] == "evidence-before-effect"
    assert counts(engine) == before


def test_referral_of_an_unregistered_person_and_bad_answers(desk: Desk, engine) -> None:
    desk.on("2026-02-20")
    from support import create_household, household

    created = create_household(desk.client, desk.officer, household(member()))
    unregistered = created["members"][0]["id"]
    vacancy_id = desk.vacancy()["id"]
    before = counts(engine)
    both = desk.call(
        "POST",
        "/activation/referrals",
        desk.counsellor,
        {"member_id": unregistered, "vacancy_id": vacancy_id, "course_id": 1},
        status=422,
    )
    assert "vacancy_id 与 course_id 须填且只填一项" in both["problems"][0]["message"]
    bad = desk.call(
        "POST",
        "/activation/referrals",
        desk.counsellor,
        {"member_id": "x", "vacancy_id": vacancy_id, "channel": "pigeon"},
        status=422,
    )
    assert {p["field"] for p in bad["problems"]} == {"member_id", "channel"}
    not_registered = desk.call(
        "POST",
        "/activation/referrals",
        desk.counsellor,
        {"member_id": unregistered, "vacancy_id": vacancy_id},
        status=409,
    )
    assert not_registered["problems"][0]["rule"] == "registered"
    assert counts(engine) == before


def test_an_applicant_under_sanction_is_not_accepted(desk: Desk, engine) -> None:
    from support import create_household, household, register_obligated, walk_to_notice

    desk.on("2026-02-20")
    created = create_household(
        desk.client, desk.officer, household(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    )
    woman = created["members"][0]["id"]
    app_id = walk_to_notice(desk.client, desk.officer, created["id"], desk.clock)
    register_obligated(desk.client, desk.counsellor, created["id"])
    desk.decline(woman, "2026-02-27", "2026-02-27")
    desk.decline(woman, "2026-02-28", "2026-02-28")
    sanction = desk.person(woman)["sanctions"][0]
    assert sanction["application_id"] == app_id and sanction["case_id"] is None
    desk.on("2026-03-02")
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    confirmed = desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/decision",
        desk.officer,
        {"confirm": True, "reason": "确认"},
    )
    assert confirmed["notice"]["effect"] == "停发期间不受理低保申请。"
    blocked = desk.call(
        "POST", f"/applications/{app_id}/decision", desk.officer, {"approve": True}, status=422
    )
    assert [p["rule"] for p in blocked["problems"]] == ["refusal-sanction"]
