"""Length accounting boundaries (SMS.md: GSM-7 160/153, UCS-2 70/67, emoji and extension
characters count two)."""

import pytest

from notifications.segments import GSM7, UCS2, measure, measure_signed

HAN = "岗"  # any Chinese character forces UCS-2
EMOJI = "😀"  # outside the BMP: two UTF-16 units


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("", GSM7, 0, 1),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),  # 153 × 2
        ("a" * 307, GSM7, 307, 3),
        ("a" * 459, GSM7, 459, 3),  # 153 × 3
        ("a" * 460, GSM7, 460, 4),
        (HAN * 70, UCS2, 70, 1),
        (HAN * 71, UCS2, 71, 2),
        (HAN * 134, UCS2, 134, 2),  # 67 × 2
        (HAN * 135, UCS2, 135, 3),
        (HAN * 201, UCS2, 201, 3),  # 67 × 3
        (HAN * 202, UCS2, 202, 4),
    ],
)
def test_part_boundaries(text, encoding, units, parts) -> None:
    length = measure(text)
    assert (length.encoding, length.units, length.parts) == (encoding, units, parts)


@pytest.mark.parametrize(
    ("text", "units", "parts"),
    [
        ("€" * 80, 160, 1),  # extension characters take two septets each
        ("€" * 81, 162, 2),
        ("a" * 158 + "[", 160, 1),
        ("a" * 159 + "[", 161, 2),
        # An escape pair never straddles two parts: 152 + "{" would need 154 in part one.
        ("a" * 152 + "{" + "a" * 10, 164, 2),
        ("a" * 152 + "{" + "a" * 152, 306, 3),
    ],
)
def test_gsm7_extension_characters_count_two(text, units, parts) -> None:
    length = measure(text)
    assert (length.encoding, length.units, length.parts) == (GSM7, units, parts)


@pytest.mark.parametrize(
    ("text", "units", "parts"),
    [
        (HAN * 68 + EMOJI, 70, 1),
        (HAN * 69 + EMOJI, 71, 2),
        (EMOJI * 35, 70, 1),
        # 66 units then an emoji: it does not fit in part one's 67, so it opens part two.
        (HAN * 66 + EMOJI + HAN * 66, 134, 3),
        (HAN * 65 + EMOJI + HAN * 67, 134, 2),
    ],
)
def test_emoji_count_two_ucs2_units_and_are_never_split(text, units, parts) -> None:
    length = measure(text)
    assert (length.encoding, length.units, length.parts) == (UCS2, units, parts)


def test_one_non_gsm_character_switches_the_whole_text_to_ucs2() -> None:
    assert measure("Reply 1 K7Q").encoding == GSM7
    assert measure("Reply 1 K7Q ✓").encoding == UCS2
    assert measure("café £5 ¥8 @home").encoding == GSM7  # all in the GSM 03.38 alphabet


def test_the_signature_is_counted_and_forces_ucs2() -> None:
    body = "a" * 66
    assert measure(body).encoding == GSM7
    signed = measure_signed("【定远就业】", body)
    assert (signed.encoding, signed.units, signed.parts) == (UCS2, 72, 2)
    assert measure_signed("【定远就业】", "a" * 64).parts == 1
