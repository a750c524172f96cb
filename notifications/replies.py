"""What a recipient's text means: accept, decline, status, help, opt-out, opt-in or free text.

Rules from SMS.md ("Rules of the Chinese SMS market"): people answer offers with ``1`` or
``2`` plus a short offer code (``1 K7Q`` accepts, ``2 K7Q`` declines); ``R``, ``T``, ``TD`` and
退订 are carrier unsubscribe words and are never answer codes, so they — and Twilio's default
opt-out words (STOP, UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE, OPTOUT, CANCEL) and ``N`` — opt
the number out when they are the whole message; START (or 订阅) opts it back in.

People type on phones with Chinese input methods, so full-width digits and letters (１２,
ｋ７ｑ), ideographic spaces and Chinese punctuation (，。：！) are folded before matching, and
case does not matter. Free text is not interpreted here: right after a decline it is the
person's reason (``classify_free_text``), otherwise it is unknown and the subscriber decides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Command(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    REASON = "reason"
    STATUS = "status"
    HELP = "help"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    UNKNOWN = "unknown"


OPT_OUT_WORDS = frozenset(
    {
        "STOP",
        "UNSUBSCRIBE",
        "END",
        "QUIT",
        "STOPALL",
        "REVOKE",
        "OPTOUT",
        "CANCEL",
        "退订",
        "TD",
        "T",
        "R",
        "N",
    }
)
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "订阅"})
STATUS_WORDS = frozenset({"CX", "查询"})
HELP_WORDS = frozenset({"HELP", "帮助", "?"})

# An offer code: 3-6 letters and digits with at least one of each, so ordinary words
# ("YES", "DAYS") and numbers ("123") are never mistaken for one. Activation's codes must
# satisfy ``is_offer_code``.
_CODE = r"(?=[A-Z0-9]{0,5}[0-9])(?=[A-Z0-9]{0,5}[A-Z])[A-Z0-9]{3,6}"
_ANSWER = re.compile(rf"^([12])(?:\s*[-:#.,、。]?\s*({_CODE}))?(?:$|[^A-Z0-9](.*)$)", re.DOTALL)
_CODE_ONLY = re.compile(rf"^{_CODE}$")
# Chinese and ASCII punctuation that people add around a command (after NFKC folding).
_PUNCTUATION = "，。！？、；：“”‘’「」《》（）【】…—·,.!?;:'\"()[]<>~`"
_EDGE = re.compile(rf"^[\s{re.escape(_PUNCTUATION)}]+|[\s{re.escape(_PUNCTUATION)}]+$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ParsedReply:
    command: Command
    code: str | None = None
    remainder: str = ""  # text after "2 K7Q", e.g. a reason typed with the decline


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text or "").replace("\u3000", " ")
    return _SPACES.sub(" ", _EDGE.sub("", folded))


def normalise(text: str) -> str:
    """Fold full-width forms (NFKC), trim punctuation at the ends, collapse spaces, upper-case."""
    return _plain(text).upper()


def is_offer_code(code: str) -> bool:
    """True for a code the parser will recognise after ``1`` / ``2``."""
    return bool(_CODE_ONLY.match(code))


def parse_reply(text: str) -> ParsedReply:
    """Parse one inbound message; never raises. Free text comes back as UNKNOWN."""
    plain = _plain(text)
    folded = plain.upper()
    word = folded.replace(" ", "")
    if word in OPT_OUT_WORDS:
        return ParsedReply(Command.OPT_OUT)
    if word in OPT_IN_WORDS:
        return ParsedReply(Command.OPT_IN)
    if word in STATUS_WORDS:
        return ParsedReply(Command.STATUS)
    if word in HELP_WORDS or (text or "").strip() in ("?", "？"):
        return ParsedReply(Command.HELP)
    match = _ANSWER.match(folded)
    if match:
        digit, code, rest = match.groups()
        if code is None and rest and rest.strip():
            # "1 2 3", "2 days ago": a digit followed by words is not an answer.
            return ParsedReply(Command.UNKNOWN)
        command = Command.ACCEPT if digit == "1" else Command.DECLINE
        remainder = ""
        if rest:
            # Keep the person's own case: slice the un-upper-cased text when lengths agree.
            source = plain if len(plain) == len(folded) else folded
            remainder = _EDGE.sub("", source[match.start(3) :].strip())
        return ParsedReply(command, code, remainder)
    return ParsedReply(Command.UNKNOWN)


def classify_free_text(
    previous: Command | None,
    previous_at: datetime | None,
    now: datetime,
    window: timedelta,
) -> Command:
    """Free text right after a decline (or a reason) is the person's reason for declining.

    POLICY.md safeguards: a refusal counts only after a good-reason step where the person can
    explain; the text that follows ``2 CODE`` within ``window`` is that explanation.
    """
    after_decline = previous in (Command.DECLINE, Command.REASON) and previous_at is not None
    if after_decline and timedelta(0) <= now - previous_at <= window:  # type: ignore[operator]
        return Command.REASON
    return Command.UNKNOWN
