"""The refusal rule told as people live it, through the API, on both databases (issue 3)."""

from datetime import date

import pytest
from sqlalchemy import text

from support import Desk, member, mother_and_child


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def test_a_35_year_old_woman_warned_then_sanctioned_then_back(desk: Desk, engine) -> None:
    home = desk.household_with_case(*mother_and_child())
    woman = home["members"][0]["id"]
    case_id = home["case_id"]
    assert desk.case(case_id)["monthly_amount"] == "200.00"
    assert desk.person(woman)["duty"]["obligated"] is True

    first = desk.decline(woman, "2026-03-05", "2026-03-09")
    assert first["refusal_counted"] is True
    warnings = desk.person(woman)["warnings"]
    assert len(warnings) == 1
    assert "如再无正当理由拒绝 1 个" in warnings[0]["text"]

    desk.decline(woman, "2026-04-01", "2026-04-03")
    queue = desk.call("GET", "/activation/sanctions?state=proposed", desk.officer)
    assert len(queue) == 1
    sanction = queue[0]
    assert sanction["member_id"] == woman and len(sanction["referral_ids"]) == 2
    assert desk.case(case_id)["monthly_amount"] == "200.00"  # nothing is cut by a proposal

    desk.on("2026-04-06")
    early = desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/decision",
        desk.officer,
        {"confirm": True, "reason": "确认"},
        status=409,
    )
    assert early["problems"][0]["rule"] == "vulnerability-reviewed"
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    confirmed = desk.call(
        "POST",
        f"/activation/sanctions/{sanction['id']}/decision",
        desk.officer2,
        {"confirm": True, "reason": "两次无正当理由拒绝适当岗位"},
    )
    assert confirmed["state"] == "confirmed"
    notice = confirmed["notice"]
    assert notice["starts_on"] == "2026-04-16"  # ten days' notice
    assert notice["parameter_version"] == "county-pilot@2020.1"
    assert "调研报告四" in notice["rule"]  # in the reader's language, Chinese by default
    assert notice["effect"] == "自 2026-04-16 起停发本户每月 200.00元 的低保金。"
    assert "2026-06-05" in notice["appeal"]  # 60 days from the notice
    assert sum("您予以拒绝" in fact for fact in notice["facts"]) == 2
    english = desk.client.get(
        f"/api/v1/activation/sanctions/{sanction['id']}",
        headers={**desk.officer, "Accept-Language": "en"},
    ).json()["notice"]
    assert english["effect"] == (
        "The household's payment of 200.00 yuan a month stops from 2026-04-16."
    )
    assert english["rule"].startswith("Report 4 §5.4, county pilot")

    assert desk.sweep("2026-04-15")["sanctions_started"] == 0
    assert desk.case(case_id)["status"] == "active"
    # still active, but whoever checks is told of the confirmed stop and its day
    before = desk.call("GET", f"/status/{national_id(engine, woman)}", desk.officer)
    assert before["status"] == "active" and before["coming_on"] == "2026-04-16"
    assert before["coming"] == "拒绝停发 1：自2026-04-16起每月停发200.00元"
    assert desk.sweep("2026-04-16")["sanctions_started"] == 1
    assert desk.sweep("2026-04-16")["sanctions_started"] == 0  # the sweep is idempotent
    case = desk.case(case_id)
    assert (case["status"], case["monthly_amount"], case["status_since"]) == (
        "suspended",
        "0.00",
        "2026-04-16",
    )
    status = desk.call("GET", f"/status/{national_id(engine, woman)}", desk.officer)
    assert status["status"] == "suspended" and "拒绝停发 1" in status["why"]
    assert status["coming_on"] is None and status["coming"] is None  # it has come

    accepted = desk.refer(woman, "2026-05-04")
    desk.answer(accepted["id"], "2026-05-04", "accepted", reason="")
    person = desk.person(woman)
    assert person["sanctions"][0]["resumes_on"] == "2026-05-16"  # not before the minimum month
    assert desk.sweep("2026-05-15")["sanctions_ended"] == 0
    assert desk.sweep("2026-05-16")["sanctions_ended"] == 1
    history = [
        (p["status"], p["effective_from"], p["effective_to"], p["monthly_amount"])
        for p in desk.case(case_id)["history"]
    ]
    assert history == [
        ("active", "2026-03-02", "2026-04-15", "200.00"),
        ("suspended", "2026-04-16", "2026-05-15", "0.00"),
        ("active", "2026-05-16", None, "200.00"),
    ]
    assert desk.person(woman)["sanctions"][0]["state"] == "ended"

    with engine.connect() as connection:
        ids = [
            row[0]
            for row in connection.execute(text("SELECT id FROM activation_decision ORDER BY id"))
        ]
    kinds = set()
    for decision_id in ids:
        replay = desk.call("GET", f"/activation/decisions/{decision_id}/replay", desk.counsellor)
        assert replay["agrees"] is True, replay
        kinds.add(desk.call("GET", f"/activation/decisions/{decision_id}", desk.counsellor)["kind"])
    assert {
        "registration-duty",
        "refusal-verdict",
        "refusal-count",
        "sanction-terms",
        "sanction-resumption",
    } <= kinds


def national_id(engine, member_id: int) -> str:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT national_id FROM member WHERE id = :id"), {"id": member_id}
        ).scalar_one()


@pytest.mark.parametrize(
    ("age_born", "obligated"), [(date(1978, 3, 3), True), (date(1978, 3, 2), False)]
)
def test_a_man_of_47_or_48_on_the_day_of_approval(
    desk: Desk, age_born: date, obligated: bool
) -> None:
    man = member("张建国", birth=age_born, sex="male", incomes=[("wages", "50")])
    home = desk.household_with_case(man)  # approved 2026-03-02: 47 or 48 that day
    person = desk.person(home["members"][0]["id"])
    assert person["duty"]["obligated"] is obligated
    assert person["duty"]["age"] == (47 if obligated else 48)
    assert (person["registration"] is not None) is obligated


def test_decline_with_good_reason_does_not_count(desk: Desk) -> None:
    home = desk.household_with_case(*mother_and_child())
    woman = home["members"][0]["id"]
    referral = desk.refer(woman, "2026-03-05")
    desk.answer(referral["id"], "2026-03-05", "declined", reason="孩子住院, 需陪护")
    decided = desk.review(referral["id"], "2026-03-06", good_reason=True, reason_code="caring")
    assert decided["refusal_counted"] is False
    assert decided["review"]["good_reason"] is True
    assert desk.person(woman)["warnings"] == []


def test_benefit_of_the_doubt(desk: Desk) -> None:
    home = desk.household_with_case(*mother_and_child())
    referral = desk.refer(home["members"][0]["id"], "2026-03-05")
    desk.answer(referral["id"], "2026-03-05", "declined", reason="说不清楚")
    desk.on("2026-03-06")
    result = desk.call(
        "POST",
        f"/activation/referrals/{referral['id']}/good-reason",
        desk.counsellor,
        {"good_reason": False, "doubt": True, "notes": "无法核实, 存疑"},
    )
    assert result["refusal_counted"] is False
    assert "benefit of the doubt" in result["review"]["notes"]


def test_an_unsuitable_referral_declined_never_counts(desk: Desk) -> None:
    home = desk.household_with_case(*mother_and_child())
    woman = home["members"][0]["id"]
    night = desk.refer(woman, "2026-03-05", shift="night", monthly_wage="1400.00")
    assert night["suitable"] is False
    failed = {c["name"] for c in night["suitability"]["checks"] if not c["passed"]}
    assert failed == {"shift", "minimum_wage"}
    desk.answer(night["id"], "2026-03-05", "declined")
    decided = desk.review(night["id"], "2026-03-06")
    assert decided["refusal_counted"] is False


def test_no_answer_is_a_follow_up_not_a_refusal(desk: Desk) -> None:
    home = desk.household_with_case(*mother_and_child())
    woman = home["members"][0]["id"]
    referral = desk.refer(woman, "2026-03-05")
    assert referral["answer_due_on"] == "2026-03-12"
    assert desk.sweep("2026-03-12")["no_answer"] == 0
    assert desk.sweep("2026-03-13")["no_answer"] == 1
    person = desk.person(woman)
    assert person["referrals"][0]["state"] == "no_answer"
    assert [t["kind"] for t in person["open_tasks"]] == ["no_answer_follow_up"]
    assert person["warnings"] == []
    late = desk.answer(referral["id"], "2026-03-14", "accepted", reason="")
    assert late["state"] == "accepted"
    assert desk.person(woman)["open_tasks"] == []


@pytest.mark.clause("safeguard-appeal")
def test_appeal_upheld_restores_payment_with_back_pay(desk: Desk, engine) -> None:
    home = desk.household_with_case(*mother_and_child())
    woman, case_id = home["members"][0]["id"], home["case_id"]
    desk.decline(woman, "2026-03-05", "2026-03-09")
    desk.decline(woman, "2026-04-01", "2026-04-03")
    sanction_id = desk.call("GET", "/activation/sanctions?state=proposed", desk.officer)[0]["id"]
    desk.on("2026-04-06")
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction_id}/vulnerability-review",
        desk.officer,
        {"proceed": True, "findings": "无脆弱因素"},
    )
    desk.call(
        "POST",
        f"/activation/sanctions/{sanction_id}/decision",
        desk.officer,
        {"confirm": True, "reason": "确认"},
    )
    desk.sweep("2026-04-16")
    desk.on("2026-04-20")
    appealed = desk.call(
        "POST",
        f"/activation/sanctions/{sanction_id}/appeals",
        desk.counsellor,
        {"grounds": "第二个岗位实为夜班, 本人需照顾孩子"},
    )
    appeal_id = appealed["appeals"][0]["id"]
    desk.on("2026-05-01")
    own = desk.call(
        "POST",
        f"/activation/appeals/{appeal_id}/decision",
        desk.officer,
        {"upheld": True, "reasons": "x理由"},
        status=403,
    )
    assert own["problems"][0]["rule"] == "four-eyes"
    decided = desk.call(
        "POST",
        f"/activation/appeals/{appeal_id}/decision",
        desk.officer2,
        {"upheld": True, "reasons": "岗位与照护义务冲突, 非适当岗位"},
    )
    assert decided["state"] == "overturned"
    assert decided["appeals"][0]["back_pay"] == "100.00"  # 200 × 15/30 days of April
    case = desk.case(case_id)
    assert (case["status"], case["monthly_amount"], case["status_since"]) == (
        "active",
        "200.00",
        "2026-05-01",
    )
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT kind, amount_fen, covers_from, covers_to, settled_period"
                " FROM payment_adjustment"
            )
        ).one()
    assert (row[0], row[1], str(row[2]), str(row[3]), row[4]) == (
        "back_pay",
        10000,
        "2026-04-16",
        "2026-04-30",
        None,
    )
    assert all(not r["refusal_counted"] for r in desk.person(woman)["referrals"])
