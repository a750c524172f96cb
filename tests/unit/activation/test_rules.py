"""Boundary tables for POLICY.md rules 2-3 and the safeguards."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from activation.rules import (
    Answer,
    Outcome,
    PersonFacts,
    RefusalTest,
    answer_problem,
    count_refusals,
    decline_counts,
    registration_deadline,
    registration_duty,
    registration_warning_day,
    replay,
    resumption_day,
    sanction_terms,
    warning_text,
)
from kernel.policy import load_profile

COUNTY = load_profile("county-pilot").at(date(2026, 1, 1))
NATIONAL = load_profile("national-2014").at(date(2026, 1, 1))
ON = date(2026, 6, 15)


def person(sex: str = "male", age_years: int = 30, **overrides) -> PersonFacts:
    born = date(ON.year - age_years, ON.month, ON.day)
    base = PersonFacts(
        sex=sex,
        birth_date=born,
        work_capacity="full",
        disability="none",
        serious_illness=False,
        carer=False,
        pregnant=False,
        student=False,
        three_nos=False,
    )
    return replace(base, **overrides)


@pytest.mark.clause("rule-2")
@pytest.mark.parametrize(
    ("sex", "age", "obligated"),
    [
        ("male", 47, True),
        ("male", 48, False),
        ("female", 37, True),
        ("female", 38, False),
        ("male", 16, True),
        ("male", 15, False),
        ("female", 47, False),
    ],
)
def test_age_and_sex_thresholds(sex: str, age: int, obligated: bool) -> None:
    duty = registration_duty(person(sex, age), ON, COUNTY)
    assert duty.obligated is obligated
    assert duty.age == age
    assert duty.parameter_version == "county-pilot@2020.1"


@pytest.mark.clause("rule-2")
def test_the_day_before_and_on_the_48th_birthday() -> None:
    born = date(1978, 6, 15)
    facts = replace(person("male"), birth_date=born)
    assert registration_duty(facts, date(2026, 6, 14), COUNTY).obligated is True
    assert registration_duty(facts, date(2026, 6, 15), COUNTY).rule == "above-age-threshold"


@pytest.mark.clause("rule-2", "safeguard-capability")
@pytest.mark.parametrize(
    ("change", "exemption"),
    [
        ({"serious_illness": True}, "serious_illness"),
        ({"disability": "severe"}, "disability"),
        ({"carer": True}, "carer"),
        ({"pregnant": True}, "pregnant"),
        ({"student": True}, "student"),
        ({"three_nos": True}, "three_nos"),
    ],
)
def test_exemptions(change: dict, exemption: str) -> None:
    duty = registration_duty(person("female", 30, **change), ON, COUNTY)
    assert duty.obligated is False
    assert duty.rule == "exempt"
    assert exemption in duty.exemptions


@pytest.mark.clause("rule-2", "safeguard-capability")
def test_mild_disability_does_not_exempt_but_no_capacity_does() -> None:
    assert registration_duty(person(disability="mild"), ON, COUNTY).obligated is True
    none = registration_duty(person(work_capacity="none"), ON, COUNTY)
    assert (none.obligated, none.rule) == (False, "no-work-capacity")
    assert registration_duty(person(work_capacity="partial"), ON, COUNTY).obligated is True


@pytest.mark.clause("rule-2")
def test_registration_deadline_then_warning() -> None:
    assert registration_deadline(date(2026, 3, 1), COUNTY) == date(2026, 3, 31)
    assert registration_warning_day(date(2026, 3, 1), COUNTY) == date(2026, 4, 14)


@pytest.mark.clause("rule-3", "safeguard-verified")
@pytest.mark.parametrize(
    ("state", "answer", "allowed"),
    [
        ("open", Answer.DECLINED, True),
        ("open", Answer.NO_ANSWER, True),
        ("no_answer", Answer.DECLINED, True),
        ("no_answer", Answer.NO_ANSWER, False),
        ("accepted", Answer.NOT_HIRED, True),
        ("accepted", Answer.DECLINED, False),
        ("declined", Answer.DECLINED, False),
        ("declined", Answer.ACCEPTED, False),
        ("withdrawn", Answer.ACCEPTED, False),
    ],
)
def test_which_answers_a_referral_takes(state: str, answer: Answer, allowed: bool) -> None:
    assert (answer_problem(state, answer) is None) is allowed


@pytest.mark.clause("rule-3", "safeguard-suitable", "safeguard-verified")
@pytest.mark.parametrize(
    ("test", "counts", "last_step"),
    [
        (RefusalTest(True, True, True, True, False), True, "no-good-reason"),
        (RefusalTest(True, False, True, True, False), False, "not-suitable"),
        (RefusalTest(True, True, False, True, False), False, "not-delivered"),
        (RefusalTest(True, True, True, False, False), False, "not-good-reason-reviewed"),
        (RefusalTest(True, True, True, True, True), False, "not-no-good-reason"),
        (RefusalTest(False, True, True, True, False), False, "not-declined"),
    ],
)
def test_a_decline_counts_only_past_every_safeguard(test, counts, last_step) -> None:
    verdict = decline_counts(test)
    assert verdict.counts is counts
    assert verdict.rule_path[-1] == last_step


def refusals(*days: str, kinds: str | None = None) -> list[Outcome]:
    kinds = kinds or "r" * len(days)
    return [
        Outcome(date.fromisoformat(d), "refusal" if k == "r" else "compliance", i)
        for i, (d, k) in enumerate(zip(days, kinds, strict=True), start=1)
    ]


@pytest.mark.clause("rule-3", "safeguard-warning")
@pytest.mark.parametrize(
    ("days", "consequence", "count"),
    [
        ((), "none", 0),
        (("2026-05-01",), "warning", 1),
        (("2026-05-01", "2026-06-01"), "sanction_proposal", 2),
    ],
)
def test_county_threshold_is_two(days, consequence, count) -> None:
    result = count_refusals(refusals(*days), ON, COUNTY)
    assert (result.consequence, result.count) == (consequence, count)


@pytest.mark.clause("rule-3", "safeguard-window")
@pytest.mark.parametrize(
    ("first", "counted"),
    [("2025-06-15", 1), ("2025-06-16", 2)],
)
def test_rolling_twelve_month_window_edge(first: str, counted: int) -> None:
    result = count_refusals(refusals(first, "2026-06-01"), ON, COUNTY)
    assert result.window_start == date(2025, 6, 16)
    assert result.count == counted


@pytest.mark.clause("rule-3", "safeguard-window")
def test_national_profile_needs_three_in_a_row() -> None:
    broken = refusals("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", kinds="rrcr")
    assert count_refusals(broken, ON, NATIONAL).count == 1
    assert count_refusals(broken, ON, COUNTY).count == 3  # report 4 counts every refusal
    run = refusals("2026-01-01", "2026-02-01", "2026-03-01")
    two = count_refusals(run[:2], ON, NATIONAL)
    assert (two.count, two.consequence) == (2, "warning")
    assert count_refusals(run, ON, NATIONAL).consequence == "sanction_proposal"


@pytest.mark.clause("safeguard-warning")
def test_warning_states_the_consequence() -> None:
    county = warning_text(count_refusals(refusals("2026-05-01"), ON, COUNTY), "household")
    assert "If 1 more is declined" in county and "household's dibao payment" in county
    national = warning_text(count_refusals(refusals("2026-05-01"), ON, NATIONAL), "member_share")
    assert "If 2 more are declined in a row" in national and "your share" in national


@pytest.mark.clause("rule-3", "safeguard-notice", "safeguard-appeal", "safeguard-way-back")
def test_county_sanction_stops_the_household_after_notice() -> None:
    terms = sanction_terms(
        confirmed_on=date(2026, 6, 1),
        household_amount=Decimal("300.00"),
        member_count=3,
        params=COUNTY,
    )
    assert terms.scope == "household"
    assert terms.starts_on == date(2026, 6, 11)  # 10 days' notice
    assert terms.monthly_reduction == Decimal("300.00")
    assert terms.earliest_end_on == date(2026, 7, 11)
    assert terms.appeal_by == date(2026, 7, 31)


@pytest.mark.clause("rule-3")
def test_national_sanction_takes_the_members_share_rounded_by_the_policy() -> None:
    terms = sanction_terms(
        confirmed_on=date(2026, 6, 1),
        household_amount=Decimal("301.00"),
        member_count=3,
        params=NATIONAL,
    )
    assert terms.scope == "member_share"
    assert terms.monthly_reduction == Decimal("100.00")  # 100.33 → whole yuan in this profile


@pytest.mark.clause("safeguard-way-back")
@pytest.mark.parametrize(
    ("complied", "resumes"),
    [("2026-07-10", "2026-07-11"), ("2026-07-11", "2026-07-11"), ("2026-07-12", "2026-07-12")],
)
def test_way_back_after_the_minimum_period(complied: str, resumes: str) -> None:
    assert resumption_day(date.fromisoformat(complied), date(2026, 7, 11)) == date.fromisoformat(
        resumes
    )


@pytest.mark.clause("safeguard-replayable")
def test_replay_agrees_with_each_rule() -> None:
    facts = person("female", 35)
    duty = registration_duty(facts, ON, COUNTY)
    assert (
        replay("registration-duty", {"person": facts.as_dict(), "on": ON.isoformat()}, COUNTY)
        == duty.as_dict()
    )
    outcomes = refusals("2026-05-01", "2026-06-01")
    count = count_refusals(outcomes, ON, COUNTY)
    inputs = {
        "on": ON.isoformat(),
        "outcomes": [
            {"on": o.on.isoformat(), "kind": o.kind, "referral_id": o.referral_id} for o in outcomes
        ],
    }
    assert replay("refusal-count", inputs, COUNTY) == count.as_dict()
    terms = sanction_terms(
        confirmed_on=ON, household_amount=Decimal("150"), member_count=1, params=COUNTY
    )
    assert (
        replay(
            "sanction-terms",
            {"confirmed_on": ON.isoformat(), "household_amount": "150", "member_count": 1},
            COUNTY,
        )
        == terms.as_dict()
    )


def test_offer_codes_mix_letters_and_digits_and_avoid_opt_out_letters() -> None:
    from unittest.mock import MagicMock

    from activation.referrals import CODE_ALPHABET, _new_code
    from notifications.replies import is_offer_code

    session = MagicMock()
    session.exec.return_value.first.return_value = None
    codes = {_new_code(session) for _ in range(300)}
    assert all(is_offer_code(code) for code in codes)
    assert not set("TRND01OI") & set(CODE_ALPHABET)
