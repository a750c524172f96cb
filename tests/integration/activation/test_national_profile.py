"""The same story under the national 2014 measures: three in a row, only the member's share."""

from datetime import date

import pytest

from kernel.settings import Settings
from support import Desk, member


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, policy_profile="national-2014")


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def test_three_consecutive_refusals_withhold_only_the_members_share(desk: Desk) -> None:
    home = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100.00")]),
        member(
            "刘小宝", birth=date(2016, 4, 1), sex="male", relation="child", student=True, phone=None
        ),
    )
    woman, case_id = home["members"][0]["id"], home["case_id"]
    assert desk.case(case_id)["parameter_version"] == "national-2014@2014.1"

    desk.decline(woman, "2026-03-05", "2026-03-06")
    desk.decline(woman, "2026-03-10", "2026-03-11")
    accepted = desk.refer(woman, "2026-03-15")  # an acceptance breaks the run (art. 45: 连续)
    desk.answer(accepted["id"], "2026-03-15", "accepted", reason="")
    desk.answer(accepted["id"], "2026-03-20", "not_hired", reason="")
    desk.decline(woman, "2026-03-25", "2026-03-26")
    desk.decline(woman, "2026-04-01", "2026-04-02")
    person = desk.person(woman)
    assert [w["refusal_count"] for w in person["warnings"]] == [1, 2, 1, 2]
    assert "如再连续无正当理由拒绝 1 个" in person["warnings"][-1]["text"]
    assert person["sanctions"] == []

    desk.decline(woman, "2026-04-05", "2026-04-06")
    sanction = desk.person(woman)["sanctions"][0]
    assert sanction["state"] == "proposed" and len(sanction["referral_ids"]) == 3
    desk.on("2026-04-07")
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
        {"confirm": True, "reason": "连续三次拒绝"},
    )
    assert confirmed["terms"]["scope"] == "member_share"
    assert confirmed["terms"]["monthly_reduction"] == "100.00"
    assert "第四十五条" in confirmed["notice"]["rule"]

    desk.sweep("2026-04-17")
    case = desk.case(case_id)
    assert (case["status"], case["monthly_amount"]) == ("active", "100.00")
    assert case["history"][-1]["rule"] == "refusal-sanction-member-share"
    assert case["history"][-1]["effective_from"] == "2026-04-17"
