"""Boundary tables for POLICY.md rule 1 (report 1 categories; report 4 standard of 150)."""

from datetime import date
from decimal import Decimal

import pytest

from benefits.rules import EntitlementParams, Scheme, assess_entitlement
from kernel.policy import load_profile, parse_profile

COUNTY = load_profile("county-pilot").at(date(2026, 1, 1))
NATIONAL = load_profile("national-2014").at(date(2026, 1, 1))
URBAN = EntitlementParams.from_policy(COUNTY, Scheme.URBAN)
RURAL = EntitlementParams.from_policy(COUNTY, Scheme.RURAL)


def urban(category: str, members: int, *incomes: str, params: EntitlementParams = URBAN):
    return assess_entitlement(
        scheme="urban",
        category=category,
        member_count=members,
        incomes=[Decimal(i) for i in incomes],
        params=params,
    )


@pytest.mark.clause("rule-1")
@pytest.mark.parametrize(
    ("per_capita", "eligible", "amount"),
    [
        ("0.00", True, "150.00"),
        ("149.99", True, "0.01"),
        ("150.00", False, "0.00"),
        ("150.01", False, "0.00"),
    ],
)
def test_category_c_pays_the_gap_only_below_the_standard(
    per_capita: str, eligible: bool, amount: str
) -> None:
    result = urban("C", 1, per_capita)
    assert result.eligible is eligible
    assert result.monthly_amount == Decimal(amount)


@pytest.mark.parametrize(
    ("household_income", "members", "amount"),
    [
        ("0", 1, "195.00"),  # 150 × 1.3
        ("100", 1, "65.00"),  # (150 − 100) × 1.3
        ("449.97", 3, "0.04"),  # gap 0.03 for 3 → 0.039 → 0.04 (half up, once)
        ("449.99", 3, "0.01"),  # 0.013 → 0.01
        ("450", 3, "0.00"),
    ],
)
def test_category_b_is_the_gap_times_1_3(household_income: str, members: int, amount: str) -> None:
    assert urban("B", members, household_income).monthly_amount == Decimal(amount)


@pytest.mark.parametrize(
    ("income", "amount"), [("0", "300.00"), ("299.99", "300.00"), ("300", "0.00")]
)
def test_category_a_pays_the_full_standard_while_eligible(income: str, amount: str) -> None:
    assert urban("A", 2, income).monthly_amount == Decimal(amount)


def test_gap_is_computed_without_rounding_per_person() -> None:
    # 100 yuan over 3 people: per capita 33.333…; gap × 3 must be exactly 350.00.
    result = urban("C", 3, "100")
    assert result.monthly_amount == Decimal("350.00")
    lines = {line.item: line.value for line in result.lines}
    assert lines["per_capita_income"] == "33.33"
    assert lines["monthly_amount"] == "350.00"


def test_incomes_of_all_members_and_sources_are_summed() -> None:
    assert urban("C", 4, "120", "80.50", "0", "99.50").household_income == Decimal("300.00")


@pytest.mark.parametrize(
    ("category", "members", "per_capita", "amount"),
    [
        ("A", 1, "0", "120.00"),
        ("B", 3, "10", "300.00"),
        ("C", 2, "79.99", "140.00"),
        ("C", 2, "80", "0.00"),
    ],
)
def test_rural_fixed_amounts_per_person(
    category: str, members: int, per_capita: str, amount: str
) -> None:
    result = assess_entitlement(
        scheme="rural",
        category=category,
        member_count=members,
        incomes=[Decimal(per_capita) * members],
        params=RURAL,
    )
    assert result.monthly_amount == Decimal(amount)


def test_rounding_is_a_parameter() -> None:
    whole_yuan = EntitlementParams.from_policy(NATIONAL, Scheme.URBAN)
    assert urban("B", 1, "100.10", params=whole_yuan).monthly_amount == Decimal("65.00")  # 64.87
    assert urban("B", 1, "100.10").monthly_amount == Decimal("64.87")


def test_four_configurable_classes_like_seed_000() -> None:
    doc = {
        "profile": "shahe",
        "version": [
            {
                "id": "1",
                "effective_from": date(2026, 1, 1),
                "params": {
                    "benefits.urban.standard": {"value": "150.00", "basis": "t"},
                    "benefits.urban.categories": {
                        "value": [
                            {"code": "1", "method": "standard"},
                            {"code": "2", "method": "gap", "factor": "1.5"},
                            {"code": "3", "method": "gap", "factor": "1"},
                            {"code": "4", "method": "fixed", "amount": "40"},
                        ],
                        "basis": "seed 000: 一类 … 四类",
                    },
                    "benefits.rounding.quantum": {"value": "0.01", "basis": "t"},
                    "benefits.rounding.mode": {"value": "ROUND_HALF_UP", "basis": "t"},
                },
            }
        ],
    }
    params = EntitlementParams.from_policy(parse_profile(doc).at(date(2026, 1, 1)), "urban")
    amounts = [urban(code, 2, "100", params=params).monthly_amount for code in "1234"]
    assert amounts == [Decimal("300.00"), Decimal("300.00"), Decimal("200.00"), Decimal("80.00")]


def test_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="category 'D'"):
        urban("D", 1, "0")


def test_explanation_names_the_parameter_version_and_each_step() -> None:
    explained = urban("C", 2, "100").explanation()
    assert explained["parameter_version"] == "county-pilot@2020.1"
    items = [line["item"] for line in explained["lines"]]
    assert items == [
        "household_income",
        "per_capita_income",
        "standard",
        "gap",
        "category",
        "per_person_amount",
        "monthly_amount",
    ]
    assert explained["monthly_amount"] == "200.00"


def test_ineligible_explanation_says_why() -> None:
    explained = urban("C", 1, "150").explanation()
    assert explained["eligible"] is False
    assert any("not below the standard" in line["text"] for line in explained["lines"])
