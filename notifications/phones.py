"""Phone numbers: E.164 in storage and events, masked in every log line.

Gateways hand numbers over in their own shapes (Alibaba and Tencent drop the ``+86``, Kannel
passes what the SMSC sent), so every inbound number goes through ``to_e164`` first.
"""

from __future__ import annotations

import re

from kernel.types import ascii_digits

_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_MAINLAND_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-().]")


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str, *, country_code: str = "86") -> str:
    """Normalise a number; a bare 11-digit mainland mobile gets ``+86``.

    ``nationcode`` (Tencent) can be passed as ``country_code`` for numbers given without it.
    """
    compact = _SEPARATORS.sub("", raw or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+"):
        if _MAINLAND_MOBILE.match(compact) and country_code == "86":
            compact = "+86" + compact
        elif compact.startswith("86") and _MAINLAND_MOBILE.match(compact[2:]):
            compact = "+" + compact
        elif ascii_digits(compact) and ascii_digits(country_code):
            compact = f"+{country_code}{compact}"
    if not _E164.match(compact):
        raise InvalidPhone("not a phone number in E.164 form (+ country code and number)")
    return compact


def is_e164(value: str) -> bool:
    return bool(_E164.match(value or ""))


def mask_phone(value: str) -> str:
    """``+8613912345678`` → ``+86139****5678``: enough to tell messages apart in a log."""
    if not value:
        return ""
    if value.startswith("+86") and len(value) == 14:
        return value[:6] + "****" + value[-4:]
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def national_number(value: str) -> str:
    """What Alibaba expects in PhoneNumbers: 11 digits for the mainland, else digits with the
    country code and no ``+``."""
    if value.startswith("+86"):
        return value[3:]
    return value.lstrip("+")
