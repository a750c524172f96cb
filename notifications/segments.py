"""How many SMS parts a text costs: the billing and length rule of SMS.md.

SMS.md ("Billing and length"): the signature plus the body is what is counted; GSM-7 allows
160 characters in one message and 153 per part once concatenated (the user data header takes
the rest); UCS-2 (any Chinese character forces it) allows 70, and 67 per part. An emoji
outside the Basic Multilingual Plane takes two UCS-2 units, and a GSM-7 extension character
(``^{}\\[~]|€`` and form feed) takes two septets because it is sent as ESC + character.

A character worth two units is never split across two parts (handsets could not rebuild it),
so a part may carry one unit less than its capacity; ``parts`` accounts for that.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet (without ESC, which only introduces the extension table).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

LIMITS = {
    GSM7: (160, 153),
    UCS2: (70, 67),
}


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int

    @property
    def single_limit(self) -> int:
        return LIMITS[self.encoding][0]

    @property
    def part_limit(self) -> int:
        return LIMITS[self.encoding][1]


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def _unit_costs(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in _GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(costs: list[int], capacity: int) -> int:
    """Parts needed when no character may straddle two parts."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            parts += 1
            used = 0
        used += cost
    return parts


def measure(text: str) -> SmsLength:
    """Encoding, units and parts of ``text`` exactly as it will be sent (signature included)."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    single, per_part = LIMITS[encoding]
    parts = 1 if units <= single else _pack(costs, per_part)
    return SmsLength(encoding=encoding, units=units, parts=parts)


def measure_signed(signature: str, body: str) -> SmsLength:
    """The count the carrier bills: signature and body together (SMS.md)."""
    return measure(signature + body)
