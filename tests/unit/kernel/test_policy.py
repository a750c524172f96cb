from datetime import date
from decimal import Decimal

import pytest

from kernel.policy import PolicyError, available_profiles, load_profile, parse_profile


def test_both_shipped_profiles_load_and_every_parameter_has_a_basis() -> None:
    assert {"county-pilot", "national-2014"} <= set(available_profiles())
    for name in ("county-pilot", "national-2014"):
        params = load_profile(name).at(date(2026, 1, 1))
        assert params.params
        assert all(p.basis.strip() for p in params.params.values())


def test_the_two_profiles_hold_the_same_keys() -> None:
    county = load_profile("county-pilot").at(date(2026, 1, 1))
    national = load_profile("national-2014").at(date(2026, 1, 1))
    assert set(county.params) == set(national.params)


def test_county_pilot_is_report_4() -> None:
    params = load_profile("county-pilot").at(date(2026, 1, 1))
    assert params.version_id == "county-pilot@2020.1"
    assert params.decimal("benefits.urban.standard") == Decimal("150.00")
    assert params.int("activation.refusal.threshold") == 2
    assert params.bool("activation.refusal.consecutive_only") is False
    assert params.text("activation.sanction.scope") == "household"
    assert params.decimal("continuation.income_threshold") == Decimal("800.00")


def test_national_profile_is_three_consecutive_and_the_members_share() -> None:
    params = load_profile("national-2014").at(date(2026, 1, 1))
    assert params.int("activation.refusal.threshold") == 3
    assert params.bool("activation.refusal.consecutive_only") is True
    assert params.text("activation.sanction.scope") == "member_share"


DOC = {
    "profile": "t",
    "version": [
        {
            "id": "1",
            "effective_from": date(2026, 1, 1),
            "params": {
                "a": {"value": 1, "basis": "first"},
                "b": {"value": "x", "basis": "first"},
            },
        },
        {
            "id": "2",
            "effective_from": date(2026, 7, 1),
            "params": {"a": {"value": 2, "basis": "raised"}},
        },
    ],
}


def test_versions_are_effective_dated_and_inherit() -> None:
    book = parse_profile(DOC)
    assert book.at(date(2026, 6, 30)).int("a") == 1
    july = book.at(date(2026, 7, 1))
    assert july.int("a") == 2 and july.basis("a") == "raised"
    assert july.text("b") == "x"  # inherited from version 1
    assert july.version_id == "t@2"
    assert book.version("t@1").int("a") == 1


def test_no_version_before_the_first() -> None:
    with pytest.raises(PolicyError):
        parse_profile(DOC).at(date(2025, 12, 31))


def test_a_parameter_without_a_basis_is_refused() -> None:
    doc = {
        "profile": "t",
        "version": [{"id": "1", "effective_from": date(2026, 1, 1), "params": {"a": {"value": 1}}}],
    }
    with pytest.raises(PolicyError):
        parse_profile(doc)


def test_typed_access_refuses_the_wrong_type() -> None:
    params = parse_profile(DOC).at(date(2026, 1, 1))
    with pytest.raises(PolicyError):
        params.bool("a")
    with pytest.raises(PolicyError):
        params.int("missing")
