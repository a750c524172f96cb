"""What each alert says to a person, in the catalogs (Chinese first)."""

from __future__ import annotations

from typing import Any

from activation.replay.groups import value_words
from kernel.messages import N_, Text, say

DIMENSION_WORDS = {
    "township": say("township"),
    "community": say("community"),
    "counsellor": say("counsellor"),
    "sex": say("sex"),
    "age_band": say("age band"),
    "disability": say("disability"),
    "category": say("category"),
    "children": say("household with children"),
    "scheme": say("scheme"),
    "officer": say("confirming officer"),
}


def group_words(dimension: str, group: str) -> Text | str:
    """A group's value as a reader reads it: places, names and categories as recorded."""
    if dimension in ("township", "community", "counsellor", "officer", "category"):
        return group
    return value_words("head_sex" if dimension == "sex" else dimension, group)


GROUP_RATIO = {
    "group-ratio-high": N_(
        "%(dimension)s %(group)s: stopped %(value)s times as often as everyone (above %(limit)s)"
    ),
    "group-ratio-low": N_(
        "%(dimension)s %(group)s: stopped %(value)s times as often as everyone (below %(limit)s)"
    ),
}


def alert_words(alert: dict[str, Any]) -> Text:
    code = alert["alert"]
    if code in ("group-ratio-high", "group-ratio-low"):
        words = GROUP_RATIO[code]
        return say(
            words,
            dimension=DIMENSION_WORDS.get(alert["dimension"], alert["dimension"]),
            group=group_words(alert["dimension"], alert["group"]),
            value=alert["value"],
            limit=alert["limit"],
        )
    if code == "office-above-median":
        return say(
            "%(group)s stops %(value)s of its people, more than %(multiple)s times the median of "
            "%(limit)s",
            group=alert["group"],
            value=alert["value"],
            multiple=alert["multiple"],
            limit=alert["limit"],
        )
    if code == "appeal-reversal":
        return say(
            "%(value)s of the appeals decided were upheld (above %(limit)s)",
            value=alert["value"],
            limit=alert["limit"],
        )
    return ZERO_TOLERANCE[code](alert["count"])


ZERO_TOLERANCE = {
    "cut-without-confirmation": lambda n: say(
        "%(count)s cut(s) without a second officer's confirmation", count=n
    ),
    "cut-version-not-in-force": lambda n: say(
        "%(count)s cut(s) decided under a parameter version not in force on the day", count=n
    ),
    "refusal-without-suitability": lambda n: say(
        "%(count)s refusal(s) counted on an offer with no suitability check", count=n
    ),
    "refusal-without-delivery": lambda n: say(
        "%(count)s refusal(s) counted on an offer with no proof of delivery", count=n
    ),
    "stop-without-notice": lambda n: say("%(count)s stop(s) without a written notice", count=n),
}
