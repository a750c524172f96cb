"""Sentences as data: what a service says is a catalog message and its values, put into words
only at the edge, in the reader's language.

The people who use Workbridge read Chinese; the services are written in English. So a rule that
explains itself (a problem with a request, a reason) does not build an English sentence: it
returns a ``Text`` — the catalog message, in English with ``%(name)s`` placeholders, and the
values — and the API, the pages, SMS and printed notices render it through the Babel catalogs
(``workbridge/locale``) in the language of whoever reads it. A plain string is a message too:
it is looked up in the catalog as it stands, and shown as it stands where the catalog has no
translation, so nothing is ever lost, only left in English.

``python -m workbridge.pages.catalog`` finds the messages (the third argument of ``Problem``,
the first of ``say``) and the suite fails while one lacks a translation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a string for the catalogs where it is defined; it is translated where it is shown."""
    return message


SEPARATOR = N_("; ")  # between sentences given as one value (the reasons an ID is wrong)

# The languages of the catalogs, and the one for a reader who names none (the people who use
# Workbridge read Chinese).
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


@dataclass(frozen=True)
class Text:
    """A catalog message and its values. ``str()`` gives the English sentence (logs, tests)."""

    message: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self, _english)

    def startswith(self, prefix: str) -> bool:  # read like the strings it replaces
        return str(self).startswith(prefix)

    def __contains__(self, part: str) -> bool:
        return part in str(self)


def say(message: str, **values: Any) -> Text:
    """A sentence for the catalogs: ``say("no %(kind)s %(id)s", kind=say("member"), id=3)``."""
    return Text(message, values)


def _english(message: str) -> str:
    return message


def _value(value: Any, gettext: Gettext) -> Any:
    if isinstance(value, Text):
        return render(value, gettext)
    if isinstance(value, list | tuple):  # several sentences: one after the other
        return gettext(SEPARATOR).join(str(_value(item, gettext)) for item in value)
    return value


def render(text: str | Text, gettext: Gettext) -> str:
    """``text`` in the language of ``gettext``; values that are ``Text`` are rendered too.

    A translation whose placeholders do not fit the values falls back to the English message,
    so a mistake in a catalog shows English rather than failing the answer."""
    if not isinstance(text, Text):
        return gettext(text) if text else text
    values = {name: _value(value, gettext) for name, value in text.values.items()}
    for message in (gettext(text.message), text.message):
        try:
            return message % values if values else message
        except (KeyError, ValueError, TypeError):
            continue
    return text.message


# --- codes in words ----------------------------------------------------------------------------

_CODE_WORDS: dict[str, str] = {}


def name_codes(names: Mapping[str, str]) -> None:
    """Codes kept in tables (states, reasons, channels, kinds) and the catalog message each is
    shown as; each module names its own codes where it defines them (``activation.words``)."""
    _CODE_WORDS.update(names)


def code_message(code: str | None) -> str | None:
    return _CODE_WORDS.get(code or "")


def code_text(code: str) -> Text | str:
    """A stored code as a value of a sentence kept for later: its words are chosen when the
    sentence is read."""
    message = code_message(code)
    return Text(message) if message else code.replace("_", " ")


def code_words(code: str | None) -> str:
    """A stored code in the reader's words; a code nobody named reads as itself."""
    return words(code_text(code)) if code else ""


# --- the reader of the answer being made ------------------------------------------------------

_answer_gettext: ContextVar[Gettext] = ContextVar("workbridge_answer_gettext", default=_english)


def answer_gettext() -> Gettext:
    """The catalog lookup of whoever reads the answer being made (English outside a request):
    set per request (``kernel.web.request_frame_middleware``) from its ``Accept-Language``."""
    return _answer_gettext.get()


def answer_in(gettext: Gettext) -> None:
    """From here on in this request, answers are for a reader of ``gettext``'s language (the
    pages: the signed-in person's language rather than the browser's header)."""
    _answer_gettext.set(gettext)


def words(text: str | Text | None) -> str:
    """``text`` in the language of whoever reads the answer being made; a string may be a
    sentence kept with ``stored`` or words as a person wrote them."""
    if isinstance(text, str):
        text = uncarry(text)
    return render(text, answer_gettext()) if text else ""


@contextmanager
def answering_in(gettext: Gettext) -> Iterator[None]:
    token = _answer_gettext.set(gettext)
    try:
        yield
    finally:
        _answer_gettext.reset(token)


# --- the request's language -------------------------------------------------------------------

_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)"  # a language range
    r"\s*(?:;\s*q\s*=\s*([^,;\s]*))?"  # and its weight
)


def choose_language(header: str | None, available: tuple[str, ...], default: str) -> str:
    """The best of ``available`` (``zh_CN``, ``en``) for an ``Accept-Language`` header
    (RFC 9110 §12.5.4): highest q first, a bare ``zh`` or ``en`` matching its regional form;
    anything unreadable or unmatched gives ``default``."""
    if not header:
        return default
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        match = _RANGE.match(part)
        if not match:
            continue
        tag, q = match.group(1), match.group(2)
        try:
            weight = float(q) if q is not None else 1.0
        except ValueError:
            continue
        if 0 < weight <= 1:  # q=0 is "not this one"; beyond 1 (or NaN) is no q-value at all
            ranked.append((-weight, index, tag.replace("-", "_").lower()))
    for _, _, tag in sorted(ranked):
        if tag == "*":
            return default
        for language in available:
            code = language.lower()
            if tag == code or tag == code.split("_")[0] or code == tag.split("_")[0]:
                return language
    return default


# --- sentences through an exception's text ---------------------------------------------------

# A validator can only raise ValueError with a string, and the framework hands on only its
# text; ``carry`` packs a Text into that string and ``schema_text`` unpacks it.
_CARRIED = "\x1etext:"


def _plain(value: Any) -> Any:
    if isinstance(value, Text):
        return {"m": value.message, "v": {k: _plain(v) for k, v in value.values.items()}}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value if isinstance(value, int | float | str) else str(value)


def _text(value: Any) -> Any:
    if isinstance(value, dict) and "m" in value:
        return Text(str(value["m"]), {k: _text(v) for k, v in dict(value.get("v", {})).items()})
    if isinstance(value, list):
        return [_text(item) for item in value]
    return value


def as_data(text: Text) -> dict[str, Any]:
    """``text`` as JSON-ready data, to be stored with a record and shown later in the reader's
    language (``from_data``)."""
    return _plain(text)


def from_data(data: Any) -> str | Text:
    """A Text stored with ``as_data`` (anything else is returned as text)."""
    found = _text(data)
    return found if isinstance(found, Text) else str(data)


def carry(text: Text) -> str:
    """``text`` as the string of an exception (``raise ValueError(carry(say(...)))``)."""
    return _CARRIED + json.dumps(_plain(text), ensure_ascii=False)


def stored(text: Text) -> str:
    """A service's sentence for a text column that also holds people's own words (a reason an
    officer types, or one the service gives): kept as data, read back with ``words``."""
    return carry(text)


def uncarry(message: str) -> str | Text:
    """The Text a string carries, or the string itself."""
    if not message.startswith(_CARRIED):
        return message
    try:
        found = _text(json.loads(message[len(_CARRIED) :]))
    except ValueError:
        return message
    return found if isinstance(found, Text) else message


# --- what the request schemas say ------------------------------------------------------------

# Pydantic's messages for a field that fails the request schema, as catalog messages. Litestar
# hands them over as English text only, so they are recognised by their wording here.
_SCHEMA_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Field required$"), "this field is required"),
    (re.compile(r"^Extra inputs are not permitted$"), "this field is not accepted here"),
    (
        re.compile(r"^Input should be a valid decimal$"),
        "must be an amount, such as 2600 or 2,600.50",
    ),
    (
        re.compile(r"^Decimal input should have no more than (?P<n>\d+) decimal places?$"),
        "must have at most %(n)s decimal places",
    ),
    (re.compile(r"^Input should be a valid integer.*$"), "must be a whole number"),
    (re.compile(r"^Input should be a valid number.*$"), "must be a number"),
    (re.compile(r"^Input should be a valid boolean.*$"), "must be true or false"),
    (re.compile(r"^Input should be a valid string$"), "must be text"),
    (re.compile(r"^Input should be a valid datetime.*$"), "must be a date and time"),
    (re.compile(r"^Input should be a valid date.*$"), "must be a date, YYYY-MM-DD"),
    (re.compile(r"^Input should be a valid list$"), "must be a list"),
    (re.compile(r"^Input should be a valid dictionary.*$"), "must be an object"),
    (
        re.compile(r"^Input should be greater than or equal to (?P<n>\S+)$"),
        "must be at least %(n)s",
    ),
    (re.compile(r"^Input should be greater than (?P<n>\S+)$"), "must be more than %(n)s"),
    (re.compile(r"^Input should be less than or equal to (?P<n>\S+)$"), "must be at most %(n)s"),
    (re.compile(r"^Input should be less than (?P<n>\S+)$"), "must be less than %(n)s"),
    (
        re.compile(r"^String should have at most (?P<n>\d+) characters?$"),
        "must be at most %(n)s characters",
    ),
    (
        re.compile(r"^String should have at least (?P<n>\d+) characters?$"),
        "must be at least %(n)s characters",
    ),
    (
        re.compile(r"^List should have at most (?P<n>\d+) items?.*$"),
        "must have at most %(n)s items",
    ),
    (
        re.compile(r"^List should have at least (?P<n>\d+) items?.*$"),
        "must have at least %(n)s items",
    ),
    (re.compile(r"^String should match pattern .*$"), "is not in the expected form"),
    (
        re.compile(r"^Input should be (?P<options>'[^']*'(?:(?:, | or )'[^']*')*)$"),
        "must be one of %(options)s",
    ),
]


def schema_text(message: str) -> str | Text:
    """A request-schema message as a catalog message (our own validators' messages, which
    pydantic prefixes with ``Value error,``, are catalog messages already)."""
    if message.startswith("Value error, "):
        return uncarry(message[len("Value error, ") :])
    for pattern, catalog_message in _SCHEMA_MESSAGES:
        match = pattern.match(message)
        if match:
            values = match.groupdict()
            if "options" in values:
                values["options"] = ", ".join(re.findall(r"'([^']*)'", values["options"]))
            return Text(catalog_message, values)
    return message


SCHEMA_MESSAGES = tuple(message for _, message in _SCHEMA_MESSAGES)
