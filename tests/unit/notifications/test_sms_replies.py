"""The reply parsing table: what a recipient's text means (SMS.md, Chinese market rules)."""

from datetime import UTC, datetime, timedelta

import pytest

from notifications.replies import Command, classify_free_text, is_offer_code, parse_reply

A, D = Command.ACCEPT, Command.DECLINE


@pytest.mark.parametrize(
    ("text", "command", "code"),
    [
        ("1 K7Q", A, "K7Q"),
        ("2 K7Q", D, "K7Q"),
        ("1 k7q", A, "K7Q"),
        ("  2    K7Q  ", D, "K7Q"),
        ("１ Ｋ７Ｑ", A, "K7Q"),  # full-width digits and letters
        ("２　k７q", D, "K7Q"),  # ideographic space
        ("2，K7Q。", D, "K7Q"),  # Chinese punctuation
        ("2、K7Q", D, "K7Q"),
        ("1:K7Q", A, "K7Q"),
        ("1K7Q", A, "K7Q"),
        ("1 7QK", A, "7QK"),
        ("2 AB12CD", D, "AB12CD"),
        ("1", A, None),
        ("２", D, None),
        ("2。", D, None),
        ("CX", Command.STATUS, None),
        ("cx", Command.STATUS, None),
        ("查询", Command.STATUS, None),
        ("查询？", Command.STATUS, None),
        ("HELP", Command.HELP, None),
        ("帮助", Command.HELP, None),
        ("?", Command.HELP, None),
        ("？", Command.HELP, None),
    ],
)
def test_commands(text, command, code) -> None:
    parsed = parse_reply(text)
    assert (parsed.command, parsed.code) == (command, code)


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Unsubscribe",
        "END",
        "quit",
        "STOPALL",
        "revoke",
        "OPTOUT",
        "Cancel",
        "退订",
        "退订。",
        "TD",
        "td",
        "ＴＤ",
        "T",
        "t",
        "R",
        "r.",
        "N",
        "n",
    ],
)
def test_opt_out_words_as_the_whole_message(text) -> None:
    assert parse_reply(text).command is Command.OPT_OUT


@pytest.mark.parametrize("text", ["START", "start", "订阅", "UNSTOP"])
def test_opt_in_words(text) -> None:
    assert parse_reply(text).command is Command.OPT_IN


@pytest.mark.parametrize(
    "text",
    [
        "please STOP sending offers at night",  # an opt-out word inside a sentence is not one
        "TD please",
        "12",
        "1 2",
        "2 days ago",
        "1 YES",  # a word is not a code: codes mix letters and digits
        "1 123",
        "1 ABCDEFG1",  # too long for a code
        "hello",
        "太远了",
        "",
        "3 K7Q",
    ],
)
def test_free_text_is_unknown(text) -> None:
    parsed = parse_reply(text)
    assert parsed.command is Command.UNKNOWN
    assert parsed.code is None


def test_a_reason_typed_with_the_decline_is_kept_in_the_persons_case() -> None:
    parsed = parse_reply("2 k7q, too far from home!")
    assert (parsed.command, parsed.code, parsed.remainder) == (D, "K7Q", "too far from home")
    assert parse_reply("2 K7Q 太远了").remainder == "太远了"
    assert parse_reply("1 K7Q").remainder == ""


@pytest.mark.parametrize(
    ("code", "valid"),
    [("K7Q", True), ("7QK", True), ("AB12CD", True), ("YES", False), ("123", False),
     ("K7", False), ("K7QK7QK", False), ("K-7Q", False)],
)  # fmt: skip
def test_offer_code_shape(code, valid) -> None:
    assert is_offer_code(code) is valid


NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)


@pytest.mark.parametrize(
    ("previous", "ago", "expected"),
    [
        (D, timedelta(minutes=5), Command.REASON),
        (Command.REASON, timedelta(hours=1), Command.REASON),  # a reason in two texts
        (D, timedelta(hours=72), Command.REASON),
        (D, timedelta(hours=72, seconds=1), Command.UNKNOWN),
        (A, timedelta(minutes=5), Command.UNKNOWN),
        (Command.STATUS, timedelta(minutes=5), Command.UNKNOWN),
        (None, None, Command.UNKNOWN),
    ],
)
def test_free_text_after_a_decline_is_the_reason(previous, ago, expected) -> None:
    previous_at = NOW - ago if ago is not None else None
    assert classify_free_text(previous, previous_at, NOW, WINDOW) is expected
