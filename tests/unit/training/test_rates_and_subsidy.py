"""Report 4 §五1: under 60% placed → accountability review; over 95% → reward; subsidies tied to
completion and placement. Boundaries walked with Decimal."""

from datetime import date
from decimal import Decimal

import pytest

from kernel.policy import load_profile
from training.rules import Counts, placement_flags, rates, subsidy, trades_from_policy

PARAMS = load_profile("county-pilot").at(date(2026, 3, 1))
REVIEW, REWARD = Decimal("0.60"), Decimal("0.95")


@pytest.mark.clause("rule-6")
@pytest.mark.parametrize(
    ("percent", "review", "reward"),
    [
        ("59.9", True, False),
        ("60", False, False),
        ("60.1", False, False),
        ("94.9", False, False),
        ("95", False, False),
        ("95.1", False, True),
    ],
)
def test_placement_flags_at_the_boundaries(percent, review, reward) -> None:
    flags = placement_flags(Decimal(percent) / 100, REVIEW, REWARD)
    assert (flags.review, flags.reward) == (review, reward)


@pytest.mark.clause("rule-6")
@pytest.mark.parametrize(
    ("placed", "review", "reward"),
    [(599, True, False), (600, False, False), (950, False, False), (951, False, True)],
)
def test_flags_from_counts_placed_over_completed(placed, review, reward) -> None:
    result = rates(Counts(enrolled=1200, dropped=200, completed=1000, placed=placed), PARAMS)
    assert result.placement_rate == Decimal(placed) / 1000
    assert result.flags is not None
    assert (result.flags.review, result.flags.reward) == (review, reward)
    assert result.completion_rate == Decimal(1000) / 1200


def test_no_completions_no_verdict() -> None:
    result = rates(Counts(enrolled=20), PARAMS)
    assert result.placement_rate is None and result.flags is None
    assert result.as_dict()["accountability_review"] is False


@pytest.mark.clause("rule-6")
def test_subsidy_half_on_completion_half_on_placement() -> None:
    per_trainee = Decimal("800.00")
    middle = rates(Counts(enrolled=20, completed=10, certified=8, placed=7), PARAMS)
    paid = subsidy(per_trainee, middle, PARAMS)
    assert paid.on_completion == Decimal("4000.00")
    assert paid.on_placement == Decimal("2800.00")
    assert paid.reward_bonus == 0 and paid.held_for_review == 0
    assert paid.payable == Decimal("6800.00")


@pytest.mark.clause("rule-6")
def test_subsidy_reward_bonus_and_hold_for_review() -> None:
    per_trainee = Decimal("333.33")
    best = subsidy(per_trainee, rates(Counts(enrolled=20, completed=20, placed=20), PARAMS), PARAMS)
    assert best.on_completion == Decimal("3333.30")
    assert best.reward_bonus == Decimal("666.66")
    assert best.payable == Decimal("7333.26")
    poor = subsidy(per_trainee, rates(Counts(enrolled=20, completed=10, placed=5), PARAMS), PARAMS)
    assert poor.held_for_review == poor.on_placement == Decimal("833.33")
    assert poor.payable == poor.on_completion


def test_report_4_trades_are_all_there_and_coal_mining_is_heavy() -> None:
    for name in ("county-pilot", "national-2014"):
        trades = trades_from_policy(load_profile(name).at(date(2026, 3, 1)))
        assert {t.label for t in trades.values()} == {
            "电动缝纫",
            "电子装配",
            "车焊钳工",
            "计算机操作与维修",
            "物业管理",
            "餐饮服务",
            "保安",
            "创业规划",
            "煤炭采掘",
        }
        assert trades["coal_mining"].physical_demand == "heavy"
