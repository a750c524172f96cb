from datetime import date
from decimal import Decimal

import pytest

from benefits.rules import (
    APPLICATION_TRANSITIONS,
    ApplicationState,
    ApprovalFacts,
    CaseStatus,
    CategoryRule,
    EntitlementParams,
    MemberIdentity,
    application_transition_problem,
    approval_problems,
    assess_entitlement,
    case_transition_problem,
    household_input_problems,
    needs_second_approver,
    next_review_on,
    notice_last_day,
)
from kernel.national_id import make_national_id
from kernel.policy import load_profile

PARAMS = load_profile("county-pilot").at(date(2026, 1, 1))
URBAN = EntitlementParams.from_policy(PARAMS, "urban")
REQUIRED = frozenset(PARAMS.raw("benefits.required_documents"))


def facts(**overrides) -> ApprovalFacts:
    base = dict(
        entitlement=assess_entitlement(
            scheme="urban", category="C", member_count=2, incomes=[Decimal(100)], params=URBAN
        ),
        documents=REQUIRED,
        required_documents=REQUIRED,
        appraisal_passed=True,
        notice_last_day=date(2026, 3, 8),
        decided_on=date(2026, 3, 9),
        open_objections=0,
        upheld_objections=0,
        member_circumstances=frozenset(),
        category_rule=URBAN.categories["C"],
    )
    base.update(overrides)
    return ApprovalFacts(**base)


def test_a_complete_application_has_no_problems() -> None:
    assert approval_problems(facts()) == []


def test_every_problem_is_listed_at_once() -> None:
    problems = approval_problems(
        facts(
            entitlement=assess_entitlement(
                scheme="urban", category="A", member_count=1, incomes=[Decimal(200)], params=URBAN
            ),
            documents=frozenset({"identity_cards"}),
            appraisal_passed=False,
            decided_on=date(2026, 3, 8),
            open_objections=1,
            upheld_objections=1,
            category_rule=URBAN.categories["A"],
        )
    )
    rules = [p.rule for p in problems]
    assert rules.count("documents-complete") == 2
    assert {
        "income-below-standard",
        "democratic-appraisal",
        "public-notice",
        "objections-resolved",
        "category-conditions",
    } <= set(rules)
    assert len(problems) == 8


@pytest.mark.clause("rule-7")
@pytest.mark.parametrize(
    ("decided", "blocked"), [(date(2026, 3, 8), True), (date(2026, 3, 9), False)]
)
def test_decision_waits_for_the_notice_to_end(decided: date, blocked: bool) -> None:
    problems = approval_problems(facts(decided_on=decided))
    assert any(p.rule == "public-notice" for p in problems) is blocked


def test_notice_of_three_days() -> None:
    assert notice_last_day(date(2026, 3, 6), 3) == date(2026, 3, 8)


def test_category_a_needs_a_three_nos_member() -> None:
    without = facts(category_rule=URBAN.categories["A"])
    with_member = facts(
        category_rule=URBAN.categories["A"], member_circumstances=frozenset({"three_nos"})
    )
    assert [p.rule for p in approval_problems(without)] == ["category-conditions"]
    assert approval_problems(with_member) == []


def test_category_rule_describes_itself() -> None:
    assert "× 1.3" in CategoryRule("B", "gap", factor=Decimal("1.3")).describe()


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("applied", "investigated", True),
        ("applied", "appraised", False),
        ("investigated", "appraised", True),
        ("appraised", "public_notice", True),
        ("appraised", "approved", False),
        ("public_notice", "approved", True),
        ("public_notice", "awaiting_second_approval", True),
        ("awaiting_second_approval", "approved", True),
        ("approved", "rejected", False),
        ("rejected", "approved", False),
        ("applied", "rejected", True),
    ],
)
def test_application_procedure_order(current: str, target: str, allowed: bool) -> None:
    assert (application_transition_problem(current, target) is None) is allowed


def test_every_state_is_in_the_transition_table() -> None:
    assert set(APPLICATION_TRANSITIONS) == set(ApplicationState)


@pytest.mark.clause("rule-8")
@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("active", "suspended", True),
        ("suspended", "active", True),
        ("active", "continuation_half", True),
        ("continuation_half", "continuation_full", True),
        ("terminated", "active", False),
        ("suspended", "continuation_full", False),
        ("active", "active", False),
    ],
)
def test_case_status_transitions(current: str, target: str, allowed: bool) -> None:
    assert (case_transition_problem(current, target) is None) is allowed
    assert CaseStatus(target)


@pytest.mark.clause("rule-8")
@pytest.mark.parametrize(
    ("scheme", "expected"), [("urban", date(2026, 9, 15)), ("rural", date(2027, 3, 15))]
)
def test_re_review_twice_a_year_urban_once_rural(scheme: str, expected: date) -> None:
    assert next_review_on(date(2026, 3, 15), scheme, PARAMS) == expected


@pytest.mark.clause("rule-9")
def test_official_relatives_need_a_second_approver() -> None:
    assert needs_second_approver([False, True]) is True
    assert needs_second_approver([False, False]) is False


def test_household_input_problems_are_all_listed() -> None:
    woman = make_national_id("341125", date(1987, 3, 15), 1, "female")
    man = make_national_id("341125", date(1985, 6, 1), 2, "male")
    problems = household_input_problems(
        [
            MemberIdentity(woman, "male", date(1987, 3, 16), "head"),
            MemberIdentity(man, None, None, "head"),
            MemberIdentity(woman, None, None, "child"),
        ],
        today=date(2026, 3, 1),
    )
    fields = [(p.field, p.rule) for p in problems]
    assert ("members.0.sex", "id-agrees") in fields
    assert ("members.0.birth_date", "id-agrees") in fields
    assert ("members.2.national_id", "one-person-once") in fields
    assert ("members", "one-head") in fields
