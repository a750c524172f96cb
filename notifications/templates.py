"""Message templates: a key, typed parameters and a source text translated by Babel catalogs.

SMS.md: in China signatures and templates are approved in advance, so an offer is a template
plus parameters, never free text. A message is therefore modelled as
``(template_key, params, locale)`` and rendered per gateway: Alibaba and Tencent receive the
template code and the formatted parameters; Twilio, Kannel and the console receive the text.
The texts live in ``notifications/locale/<lang>/LC_MESSAGES/messages.po`` (English source,
Simplified Chinese and English catalogs), compiled in memory when first used.
"""

from __future__ import annotations

import gettext
import io
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kernel.errors import Problem
from kernel.money import format_cny

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


def N_(message: str) -> str:
    """Mark a string for the catalogs without translating it here."""
    return message


class Kind(StrEnum):
    OFFER = "offer"  # quiet hours apply; refused to opted-out numbers; never urgent
    NOTICE = "notice"  # a decision about the person's benefit; may be urgent
    REPLY = "reply"  # an answer to the person's own text


class Param(StrEnum):
    TEXT = "text"
    MONEY = "money"  # yuan, Decimal or decimal string
    DATE = "date"  # a calendar day, date or ISO string
    INT = "int"
    STATUS = "status"  # a benefit case status, translated
    CODES = "codes"  # a list of offer codes


@dataclass(frozen=True)
class Template:
    key: str
    kind: Kind
    source: str  # the English source text: the catalogs' msgid
    params: tuple[tuple[str, Param], ...]  # in provider order (Tencent's {1}, {2} ...)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.params)


def _t(key: str, kind: Kind, source: str, *params: tuple[str, Param]) -> Template:
    return Template(key=key, kind=kind, source=source, params=params)


TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        _t(
            "job_offer",
            Kind.OFFER,
            N_(
                "Job {code}: {job_title} at {employer}, {place}, {wage}/month. "
                "Reply 1 {code} to accept or 2 {code} to decline by {deadline}."
            ),
            ("code", Param.TEXT),
            ("employer", Param.TEXT),
            ("job_title", Param.TEXT),
            ("place", Param.TEXT),
            ("wage", Param.MONEY),
            ("deadline", Param.DATE),
        ),
        _t(
            "training_offer",
            Kind.OFFER,
            N_(
                "Course {code}: {course} by {provider}, {place}, from {start_date}. "
                "Reply 1 {code} to join or 2 {code} to decline by {deadline}."
            ),
            ("code", Param.TEXT),
            ("course", Param.TEXT),
            ("provider", Param.TEXT),
            ("place", Param.TEXT),
            ("start_date", Param.DATE),
            ("deadline", Param.DATE),
        ),
        _t(
            "warning_notice",
            Kind.NOTICE,
            N_(
                "Warning: declining the job {job_title} on {refused_on} counts as refusal "
                "{count} of {threshold}. At {threshold} your dibao payment may stop. "
                "To explain, call {office_phone}."
            ),
            ("job_title", Param.TEXT),
            ("refused_on", Param.DATE),
            ("count", Param.INT),
            ("threshold", Param.INT),
            ("office_phone", Param.TEXT),
        ),
        _t(
            "sanction_notice",
            Kind.NOTICE,
            N_(
                "Notice: your dibao of {amount}/month stops from {starts_on} after refused "
                "job offers. To appeal, apply to {office} by {appeal_by}. "
                "Accepting a suitable offer restores it."
            ),
            ("amount", Param.MONEY),
            ("starts_on", Param.DATE),
            ("office", Param.TEXT),
            ("appeal_by", Param.DATE),
        ),
        _t(
            "continuation_start",
            Kind.NOTICE,
            N_(
                "Congratulations on your job. Your dibao continues at {amount}/month "
                "from {starts_on} to {ends_on}."
            ),
            ("amount", Param.MONEY),
            ("starts_on", Param.DATE),
            ("ends_on", Param.DATE),
        ),
        _t(
            "continuation_end",
            Kind.NOTICE,
            N_(
                "Your continued dibao ends on {ends_on}. If your job ends, call "
                "{office_phone}: you can come back quickly."
            ),
            ("ends_on", Param.DATE),
            ("office_phone", Param.TEXT),
        ),
        _t(
            "reentry_decision",
            Kind.NOTICE,
            N_(
                "Your dibao is restored: {amount}/month from {starts_on}. "
                "Questions: {office_phone}."
            ),
            ("amount", Param.MONEY),
            ("starts_on", Param.DATE),
            ("office_phone", Param.TEXT),
        ),
        _t(
            "appointment_reminder",
            Kind.NOTICE,
            N_(
                "Reminder: your appointment at {place} is on {day} at {time}. "
                "If you cannot come, call {office_phone}."
            ),
            ("place", Param.TEXT),
            ("day", Param.DATE),
            ("time", Param.TEXT),
            ("office_phone", Param.TEXT),
        ),
        _t(
            "status_reply",
            Kind.REPLY,
            N_("Your dibao: {status}, {amount}/month since {since}."),
            ("status", Param.STATUS),
            ("amount", Param.MONEY),
            ("since", Param.DATE),
        ),
        _t(
            "help_text",
            Kind.REPLY,
            N_(
                "Reply 1 CODE to accept an offer, 2 CODE to decline, CX for your status, "
                "TD to stop offers. Your open offers: {codes}."
            ),
            ("codes", Param.CODES),
        ),
        _t(
            "opt_out_confirmation",
            Kind.REPLY,
            N_(
                "You will get no more job or course offers by SMS; notices about your "
                "benefit still come. Reply START to get offers again."
            ),
        ),
        _t(
            "opt_in_confirmation",
            Kind.REPLY,
            N_("You will get job and course offers by SMS again. Reply TD to stop."),
        ),
    )
}

# Words that fill parameters; they need translating too.
STATUS_WORDS: dict[str, str] = {
    "active": N_("being paid"),
    "continuation": N_("continued after starting work"),
    "suspended": N_("suspended"),
    "terminated": N_("stopped"),
    "pending": N_("being decided"),
}
NONE_WORD = N_("none")


def catalog_messages() -> list[str]:
    """Every string the catalogs must translate."""
    return [t.source for t in TEMPLATES.values()] + [*STATUS_WORDS.values(), NONE_WORD]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --- catalogs -------------------------------------------------------------------------------


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gettext.GNUTranslations:
    """Compile the locale's .po into an in-memory .mo (the .mo files are not committed)."""
    with po_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def babel_locale(locale: str) -> Locale:
    """Parsed once: Babel re-parses a locale name on every call, which dominated rendering."""
    return Locale.parse(locale)


def normalise_locale(value: str | None) -> str | None:
    """``zh-CN``/``zh``/``zh_Hans_CN`` → ``zh_CN``; ``en_US``/``en-GB`` → ``en``; else None."""
    if not value:
        return None
    tag = value.replace("-", "_")
    language = tag.split("_")[0].lower()
    if language == "zh":
        return "zh_CN"
    if language == "en":
        return "en"
    return None


# --- parameters -----------------------------------------------------------------------------


def check_params(template: Template, params: Mapping[str, Any]) -> list[Problem]:
    """Every problem with the caller's parameters, at once."""
    problems: list[Problem] = []
    for name in sorted(set(params) - set(template.names)):
        problems.append(Problem(f"params.{name}", "template-params", "not a template parameter"))
    for name, kind in template.params:
        field = f"params.{name}"
        if name not in params or params[name] is None:
            problems.append(Problem(field, "template-params", "missing"))
            continue
        value = params[name]
        try:
            _coerce(kind, value)
        except (ValueError, TypeError, InvalidOperation) as exc:
            problems.append(Problem(field, "template-params", str(exc) or f"not a {kind}"))
            continue
        if kind is Param.TEXT and not str(value).strip():
            problems.append(Problem(field, "template-params", "must not be empty"))
    return problems


def _coerce(kind: Param, value: Any) -> Any:
    if kind is Param.MONEY:
        if isinstance(value, float | bool):
            raise TypeError("money must be a Decimal or a decimal string, not a float")
        amount = Decimal(str(value))
        if not amount.is_finite():
            raise ValueError("not a finite amount")
        return amount
    if kind is Param.DATE:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if kind is Param.INT:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError("must be a whole number")
        return int(value)
    if kind is Param.STATUS:
        if str(value) not in STATUS_WORDS:
            raise ValueError(f"unknown status; one of {', '.join(STATUS_WORDS)}")
        return str(value)
    if kind is Param.CODES:
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError("must be a list of codes")
        return [str(v) for v in value]
    return str(value)


def storable_params(template: Template, params: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe parameters for the outbox row (Decimal and dates as strings)."""
    stored: dict[str, Any] = {}
    for name, kind in template.params:
        value = _coerce(kind, params[name])
        if kind is Param.MONEY:
            stored[name] = str(value)
        elif kind is Param.DATE:
            stored[name] = value.isoformat()
        else:
            stored[name] = value
    return stored


def format_params(template: Template, params: Mapping[str, Any], locale: str) -> dict[str, str]:
    """Each parameter as the person reads it: money and dates by Babel for the locale."""
    translate = translations(locale).gettext
    parsed = babel_locale(locale)
    formatted: dict[str, str] = {}
    for name, kind in template.params:
        value = _coerce(kind, params[name])
        if kind is Param.MONEY:
            formatted[name] = format_cny(value, parsed)  # type: ignore[arg-type]
        elif kind is Param.DATE:
            formatted[name] = format_date(value, format="medium", locale=parsed)
        elif kind is Param.STATUS:
            formatted[name] = translate(STATUS_WORDS[value])
        elif kind is Param.CODES:
            formatted[name] = format_list(value, locale=parsed) if value else translate(NONE_WORD)
        else:
            formatted[name] = str(value)
    return formatted


@dataclass(frozen=True)
class Rendered:
    template: Template
    locale: str
    text: str  # the body, without the signature
    values: dict[str, str]  # formatted parameters, in the template's order

    @property
    def ordered_values(self) -> list[str]:
        return [self.values[name] for name in self.template.names]


def render(template_key: str, params: Mapping[str, Any], locale: str) -> Rendered:
    template = TEMPLATES[template_key]
    values = format_params(template, params, locale)
    text = translations(locale).gettext(template.source).format(**values)
    return Rendered(template=template, locale=locale, text=text, values=values)


def provider_text(template_key: str, locale: str, style: str) -> str:
    """The text to register with a provider: ``${name}`` (Alibaba) or ``{1}`` (Tencent)."""
    template = TEMPLATES[template_key]
    text = translations(locale).gettext(template.source)
    if style == "alibaba":
        marks = {name: "${" + name + "}" for name in template.names}
    elif style == "tencent":
        marks = {name: "{" + str(i) + "}" for i, name in enumerate(template.names, 1)}
    else:
        raise ValueError("style is alibaba or tencent")
    return text.format(**marks)
