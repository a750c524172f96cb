import pytest

from notifications.phones import InvalidPhone, mask_phone, national_number, to_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13912345678", "+8613912345678"),
        ("139 1234 5678", "+8613912345678"),
        ("139-1234-5678", "+8613912345678"),
        ("8613912345678", "+8613912345678"),
        ("+8613912345678", "+8613912345678"),
        ("008613912345678", "+8613912345678"),
        ("+14155552345", "+14155552345"),
    ],
)
def test_numbers_are_normalised_to_e164(raw, e164) -> None:
    assert to_e164(raw) == e164


def test_a_national_number_with_its_nation_code() -> None:
    assert to_e164("91234567", country_code="852") == "+85291234567"


@pytest.mark.parametrize("raw", ["", "12345", "abc", "+0123456789", "+86", "+861234"])
def test_invalid_numbers(raw) -> None:
    with pytest.raises(InvalidPhone):
        to_e164(raw)


def test_masking_and_national_form() -> None:
    assert mask_phone("+8613912345678") == "+86139****5678"
    assert mask_phone("+14155552345") == "+141******45"
    assert "5552" not in mask_phone("+14155552345")
    assert national_number("+8613912345678") == "13912345678"
    assert national_number("+85291234567") == "85291234567"
