"""Catalogs and formats: every visible string comes from Babel catalogs (``workbridge/locale``),
and dates, money and numbers are formatted by Babel for the reader's locale.

The ``.po`` files are committed; each process compiles them in memory when the app starts.
They were once compiled into ``.mo`` files beside them, and two workers of ``workbridge serve
--workers 2`` starting together read each other's half-written file (a worker exited with
``struct.error`` in the load bench); nothing is written now, so nothing can be read half-done.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from kernel.money import format_cny
from kernel.pages import LANGUAGES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


def po_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def compiled_catalog(language: str, locale_dir: Path = LOCALE_DIR) -> Translations:
    """One language's ``.po`` compiled in memory."""
    with po_path(language, locale_dir).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


class BabelTranslator:
    """One language: its catalog, and Babel's formats with the office's time zone."""

    def __init__(self, locale: str, translations: Translations, zone: ZoneInfo) -> None:
        self.locale = locale
        self._t = translations
        self._zone = zone

    def gettext(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def date(self, value: date | datetime | str | None) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.astimezone(self._zone).date()
        return format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(value.astimezone(self._zone), format="medium", locale=self.locale)

    def period(self, value: str | None) -> str:
        """A month as people write it: 2026年12月, Dec 2026 (periods are stored "2026-12")."""
        if not value:
            return ""
        try:
            first = date.fromisoformat(f"{value}-01")
        except ValueError:
            return value
        return format_skeleton("yMMM", first, locale=self.locale)

    def phone(self, value: str | None) -> str:
        """A mainland mobile grouped as people say it (139 9341 4184; +86 in English, where a
        reader may dial from abroad); any other number as stored."""
        if not value:
            return ""
        digits = value.removeprefix("+86") if value.startswith("+86") else None
        if digits is None or len(digits) != 11 or not digits.isdigit():
            return value
        grouped = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        return grouped if self.locale == "zh_CN" else f"+86 {grouped}"

    def money(self, value: Decimal | str | int | None) -> str:
        if value is None or value == "":
            return ""
        return format_cny(Decimal(str(value)), self.locale)

    def number(self, value: int | Decimal | float | None) -> str:
        if value is None:
            return ""
        return format_decimal(value, locale=self.locale)

    def percent(self, value: Decimal | float | str | None) -> str:
        """``value`` is in percent (``"61.5"`` → 61.5%), as the services report rates."""
        if value is None or value == "":
            return "—"
        return format_percent(Decimal(str(value)) / 100, format="#,##0.0%", locale=self.locale)


def load_translators(zone: ZoneInfo, locale_dir: Path = LOCALE_DIR) -> dict[str, BabelTranslator]:
    return {
        language: BabelTranslator(language, compiled_catalog(language, locale_dir), zone)
        for language in LANGUAGES
    }
