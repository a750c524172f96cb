"""GB 11643-1999 citizen identity numbers: validation, the facts they carry, and masking.

The 18 characters are a 6-digit region code, an 8-digit birth date, a 3-digit sequence whose
parity gives the sex (odd male, even female), and an ISO 7064 MOD 11-2 check character.
The number is personal data: it is validated on input and masked wherever it is displayed
in lists or written to logs (``kernel.masking`` masks it in every log record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kernel.messages import Text, say

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH = date(1900, 1, 1)

_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# An ID-shaped token inside free text (log lines): region, 19xx/20xx year, rest, check.
_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])([0-9]{4})[0-9]{2}(?:19|20)[0-9]{9}([0-9Xx])(?![0-9A-Za-z])"
)


@dataclass(frozen=True)
class NationalId:
    value: str
    region_code: str
    birth_date: date
    sex: str  # "male" | "female"

    @property
    def masked(self) -> str:
        return mask(self.value)


class InvalidNationalId(ValueError):
    """Carries every reason the number is wrong, so a form can show them together; each is a
    catalog message (kernel.messages), put into words in the reader's language."""

    def __init__(self, reasons: list[Text]) -> None:
        super().__init__("; ".join(str(reason) for reason in reasons))
        self.reasons = reasons


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse_national_id(raw: str, *, today: date | None = None) -> NationalId:
    """Validate and decode; raises InvalidNationalId listing all problems found."""
    value = raw.strip().upper()
    if not _SHAPE.match(value):
        raise InvalidNationalId(
            [say("must be 18 characters: 17 digits then a digit or X (GB 11643)")]
        )
    reasons: list[Text] = []
    birth: date | None = None
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        reasons.append(
            say("characters 7-14 (%(digits)s) are not a calendar date", digits=value[6:14])
        )
    if birth is not None and (birth < EARLIEST_BIRTH or (today is not None and birth > today)):
        reasons.append(say("birth date %(day)s is not plausible", day=birth.isoformat()))
    if value[:2] == "00":
        reasons.append(say("region code cannot start with 00"))
    expected = check_character(value[:17])
    if value[17] != expected:
        reasons.append(
            say(
                "check character is %(given)s, MOD 11-2 gives %(expected)s",
                given=value[17],
                expected=expected,
            )
        )
    if reasons or birth is None:
        raise InvalidNationalId(reasons)
    sex = "male" if int(value[16]) % 2 == 1 else "female"
    return NationalId(value=value, region_code=value[:6], birth_date=birth, sex=sex)


def make_national_id(region_code: str, birth: date, sequence: int, sex: str) -> str:
    """Build a valid number (demo data and tests); ``sequence`` 0-99 picks the order code."""
    order = sequence % 100 * 10 + (1 if sex == "male" else 2)
    first17 = f"{region_code}{birth:%Y%m%d}{order:03d}"
    return first17 + check_character(first17)


def mask(value: str) -> str:
    """``330106199001011234`` → ``3301**********1234``: enough to tell people apart, no more."""
    if len(value) != 18:
        return "*" * len(value)
    return value[:4] + "*" * 10 + value[-4:]


def mask_in_text(text: str) -> str:
    return _IN_TEXT.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)
