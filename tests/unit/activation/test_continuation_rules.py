"""Boundary tables for POLICY.md rules 4 and 5 (report 4 §五4)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from activation.rules import (
    continuation_fraction,
    continuation_terms,
    in_continuation,
    reentry_right,
    replay,
)
from kernel.policy import PolicyError, load_profile, parse_profile
from kernel.working_days import WorkingCalendar

COUNTY = load_profile("county-pilot").at(date(2026, 1, 1))
START = date(2026, 3, 10)


@pytest.mark.clause("rule-4")
@pytest.mark.parametrize(
    ("income", "status", "amount"),
    [
        ("0.00", "continuation_full", "300.00"),
        ("799.99", "continuation_full", "300.00"),
        ("800.00", "continuation_half", "150.00"),
        ("800.01", "continuation_half", "150.00"),
        ("5000.00", "continuation_half", "150.00"),
    ],
)
def test_full_below_800_half_at_or_above(income: str, status: str, amount: str) -> None:
    terms = continuation_terms(
        job_start=START,
        monthly_income=Decimal(income),
        previous_amount=Decimal("300.00"),
        params=COUNTY,
    )
    assert (terms.status, terms.monthly_amount) == (status, Decimal(amount))
    assert terms.parameter_version == "county-pilot@2020.1"


def test_half_of_an_odd_amount_is_rounded_once_by_the_policy() -> None:
    terms = continuation_terms(
        job_start=START,
        monthly_income=Decimal("900"),
        previous_amount=Decimal("97.25"),
        params=COUNTY,
    )
    assert terms.monthly_amount == Decimal("48.63")  # 48.625 half up


@pytest.mark.clause("rule-4")
@pytest.mark.parametrize(
    ("day", "inside"),
    [("2026-03-09", False), ("2026-03-10", True), ("2026-09-09", True), ("2026-09-10", False)],
)
def test_six_calendar_months_end_the_day_before_the_same_date(day: str, inside: bool) -> None:
    terms = continuation_terms(
        job_start=START,
        monthly_income=Decimal("650"),
        previous_amount=Decimal("200"),
        params=COUNTY,
    )
    assert in_continuation(date.fromisoformat(day), terms.starts_on, terms.ends_on) is inside
    assert terms.ends_on == date(2026, 9, 9)


@pytest.mark.clause("rule-4")
@pytest.mark.parametrize(
    ("start", "last_day"),
    [
        ("2026-11-01", "2027-04-30"),  # the example: not 29 April (180 days)
        ("2026-03-10", "2026-09-09"),
        ("2026-08-31", "2027-02-28"),  # no 31 February: the month's last day
        ("2027-08-31", "2028-02-29"),  # a leap February
        ("2026-08-29", "2027-02-28"),  # 29 Feb 2027 does not exist either
        ("2026-08-28", "2027-02-27"),
        ("2026-07-31", "2027-01-30"),
        ("2026-12-31", "2027-06-30"),  # the year turns; June has no 31st
    ],
)
def test_where_six_calendar_months_end(start: str, last_day: str) -> None:
    terms = continuation_terms(
        job_start=date.fromisoformat(start),
        monthly_income=Decimal("650"),
        previous_amount=Decimal("200"),
        params=COUNTY,
    )
    assert terms.ends_on == date.fromisoformat(last_day)


def _with(**params: object):
    doc = {
        "profile": "variant",
        "version": [
            {
                "id": "1",
                "effective_from": date(2026, 1, 1),
                "params": {
                    **{k: {"value": p.value, "basis": p.basis} for k, p in COUNTY.params.items()},
                    **{k: {"value": v, "basis": "test"} for k, v in params.items()},
                },
            }
        ],
    }
    return parse_profile(doc).at(date(2026, 1, 1))


@pytest.mark.clause("rule-4")
@pytest.mark.parametrize(("day_number", "inside"), [(1, True), (180, True), (181, False)])
def test_a_profile_may_count_months_of_30_days(day_number: int, inside: bool) -> None:
    terms = continuation_terms(
        job_start=START,
        monthly_income=Decimal("650"),
        previous_amount=Decimal("200"),
        params=_with(**{"continuation.month_basis": "days"}),
    )
    day = START + timedelta(days=day_number - 1)
    assert in_continuation(day, terms.starts_on, terms.ends_on) is inside
    assert terms.ends_on == date(2026, 9, 5)


def test_an_unknown_month_basis_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="month_basis"):
        continuation_terms(
            job_start=START,
            monthly_income=Decimal("650"),
            previous_amount=Decimal("200"),
            params=_with(**{"continuation.month_basis": "lunar"}),
        )


def taper_profile(end: str):
    doc = {
        "profile": "taper",
        "version": [
            {
                "id": "1",
                "effective_from": date(2026, 1, 1),
                "params": {
                    **{k: {"value": p.value, "basis": p.basis} for k, p in COUNTY.params.items()},
                    "continuation.taper_end": {"value": end, "basis": "test: a taper"},
                },
            }
        ],
    }
    return parse_profile(doc).at(date(2026, 1, 1))


@pytest.mark.clause("rule-4")
@pytest.mark.parametrize(
    ("income", "fraction"),
    [("799.99", "1"), ("800", "1"), ("1200", "0.75"), ("1600", "0.5"), ("2000", "0.5")],
)
def test_a_profile_may_taper_instead_of_the_cliff(income: str, fraction: str) -> None:
    got, path = continuation_fraction(Decimal(income), taper_profile("1600"))
    assert got == Decimal(fraction)
    assert path[0] in ("income-below-threshold", "income-at-or-above-threshold")


EXIT = date(2026, 5, 1)


@pytest.mark.clause("rule-5")
@pytest.mark.parametrize(
    ("job_ended", "eligible"),
    [("2026-04-30", False), ("2026-05-01", True), ("2027-05-01", True), ("2027-05-02", False)],
)
def test_re_entry_window_edges(job_ended: str, eligible: bool) -> None:
    right = reentry_right(
        exited_on=EXIT,
        job_ended_on=date.fromisoformat(job_ended),
        reported_on=date(2027, 5, 3),
        end_reason="contract_ended",
        params=COUNTY,
        calendar=WorkingCalendar(),
    )
    assert right.eligible is eligible
    assert right.window_ends_on == date(2027, 5, 1)


@pytest.mark.clause("rule-5")
def test_misconduct_is_flagged_not_barred() -> None:
    right = reentry_right(
        exited_on=EXIT,
        job_ended_on=date(2026, 8, 1),
        reported_on=date(2026, 8, 3),
        end_reason="dismissed_misconduct",
        params=COUNTY,
        calendar=WorkingCalendar(),
    )
    assert (right.eligible, right.flagged_for_review) == (True, True)


@pytest.mark.clause("rule-5")
@pytest.mark.parametrize(
    ("reported", "due"),
    [("2026-11-23", "2026-11-30"), ("2026-11-27", "2026-12-04"), ("2026-11-28", "2026-12-04")],
)
def test_decision_due_in_five_working_days(reported: str, due: str) -> None:
    right = reentry_right(
        exited_on=EXIT,
        job_ended_on=date(2026, 11, 20),
        reported_on=date.fromisoformat(reported),
        end_reason="contract_ended",
        params=COUNTY,
        calendar=WorkingCalendar(),
    )
    assert right.decision_due_on == date.fromisoformat(due)


@pytest.mark.clause("safeguard-replayable")
def test_replay_continuation_and_reentry() -> None:
    inputs = {"job_start": "2026-03-10", "monthly_income": "1200.00", "previous_amount": "300.00"}
    terms = continuation_terms(
        job_start=START,
        monthly_income=Decimal("1200.00"),
        previous_amount=Decimal("300.00"),
        params=COUNTY,
    )
    assert replay("continuation-terms", inputs, COUNTY) == terms.as_dict()
    right = reentry_right(
        exited_on=EXIT,
        job_ended_on=date(2026, 8, 1),
        reported_on=date(2026, 8, 3),
        end_reason="laid_off",
        params=COUNTY,
        calendar=WorkingCalendar(),
    )
    stored = {
        "exited_on": "2026-05-01",
        "job_ended_on": "2026-08-01",
        "reported_on": "2026-08-03",
        "end_reason": "laid_off",
    }
    assert replay("reentry-right", stored, COUNTY) == right.as_dict()
