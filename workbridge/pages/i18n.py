"""Catalogs and formats: every visible string comes from Babel catalogs (``workbridge/locale``),
and dates, money and numbers are formatted by Babel for the reader's locale.

The ``.po`` files are committed; they are compiled to ``.mo`` when the app starts (into the
locale folder, or a temporary folder when the package is installed read-only).
"""

from __future__ import annotations

import tempfile
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


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> Path:
    """Compile every ``.po`` to ``.mo``; returns the folder holding the compiled catalogs."""
    try:
        return _compile_into(locale_dir, locale_dir)
    except OSError:
        return _compile_into(locale_dir, Path(tempfile.mkdtemp(prefix="workbridge-locale-")))


def _compile_into(locale_dir: Path, target: Path) -> Path:
    for language in LANGUAGES:
        with po_path(language, locale_dir).open("rb") as handle:
            catalog = read_po(handle, locale=language)
        out = target / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as handle:
            write_mo(handle, catalog)
    return target


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
    compiled = compile_catalogs(locale_dir)
    return {
        language: BabelTranslator(
            language,
            Translations.load(str(compiled), [language], domain=DOMAIN),
            zone,
        )
        for language in LANGUAGES
    }
