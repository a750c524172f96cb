import logging
from datetime import date

import pytest

from kernel.masking import MaskPersonalDataFilter
from kernel.national_id import (
    InvalidNationalId,
    check_character,
    make_national_id,
    mask,
    mask_in_text,
    parse_national_id,
)

# The standard's worked example (GB 11643-1999, appendix): 11010519491231002X.
KNOWN_VALID = "11010519491231002X"


def test_known_number_decodes_birth_date_sex_and_region() -> None:
    decoded = parse_national_id(KNOWN_VALID)
    assert decoded.birth_date == date(1949, 12, 31)
    assert decoded.sex == "female"  # 17th digit 2 is even
    assert decoded.region_code == "110105"


def test_lower_case_x_and_whitespace_are_normalised() -> None:
    assert parse_national_id(" 11010519491231002x ").value == KNOWN_VALID


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("110105194912310021", "check character is 1, MOD 11-2 gives X"),
        ("11010519491231002", "must be 18 characters"),
        ("1101051949123100211", "must be 18 characters"),
        ("11010519491231002Y", "must be 18 characters"),
        ("110105194913310027", "not a calendar date"),
        ("110105189912310022", "not plausible"),
    ],
)
def test_invalid_numbers_name_their_reason(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidNationalId) as caught:
        parse_national_id(raw)
    assert any(fragment in reason for reason in caught.value.reasons)


def test_bad_date_and_bad_check_character_are_both_reported() -> None:
    with pytest.raises(InvalidNationalId) as caught:
        parse_national_id("110105194913310020")
    assert len(caught.value.reasons) == 2


def test_birth_after_today_is_refused() -> None:
    value = make_national_id("341125", date(2030, 1, 1), 1, "male")
    with pytest.raises(InvalidNationalId):
        parse_national_id(value, today=date(2026, 1, 1))


@pytest.mark.parametrize("sex", ["male", "female"])
def test_made_numbers_are_valid_and_carry_the_sex(sex: str) -> None:
    for sequence in range(0, 100, 7):
        value = make_national_id("341125", date(1987, 3, 15), sequence, sex)
        decoded = parse_national_id(value)
        assert decoded.sex == sex
        assert decoded.birth_date == date(1987, 3, 15)
        assert value[17] == check_character(value[:17])


def test_mask_keeps_four_and_four() -> None:
    assert mask(KNOWN_VALID) == "1101**********002X"
    assert mask("short") == "*****"


def test_mask_in_text_and_log_filter() -> None:
    text = f"lookup {KNOWN_VALID} and 341125198703150020 done; order 12345678901234567890"
    masked = mask_in_text(text)
    assert KNOWN_VALID not in masked and "341125198703150020" not in masked
    assert "1101**********002X" in masked and "3411**********0020" in masked
    assert "12345678901234567890" in masked  # not ID-shaped: left alone

    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "GET %s %s", ("/status/" + KNOWN_VALID, 200), None
    )
    MaskPersonalDataFilter().filter(record)
    assert record.getMessage() == "GET /status/1101**********002X 200"
