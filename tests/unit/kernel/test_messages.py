"""Sentences as data: the caller's language from Accept-Language, schema messages as catalog
messages, and rendering that never loses a sentence."""

from __future__ import annotations

import pytest

from kernel.errors import Problem, missing
from kernel.messages import Text, choose_language, render, say, schema_text

AVAILABLE = ("zh_CN", "en")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh_CN"),
        ("", "zh_CN"),
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh-Hans-CN", "zh_CN"),
        ("fr", "zh_CN"),
        ("fr, en;q=0.5", "en"),
        ("en;q=0.8, zh;q=0.9", "zh_CN"),
        ("zh;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
        ("en;q=0", "zh_CN"),
        ("*", "zh_CN"),
        ("en;q=abc", "zh_CN"),
        ("en;q=2", "zh_CN"),
        ("en;q=nan", "zh_CN"),
        (";;;,,,", "zh_CN"),
        ("x" * 5000, "zh_CN"),
    ],
)
def test_the_language_of_an_answer(header: str | None, expected: str) -> None:
    assert choose_language(header, AVAILABLE, "zh_CN") == expected


@pytest.mark.parametrize(
    ("pydantic", "message", "values"),
    [
        ("Field required", "this field is required", {}),
        ("Input should be a valid decimal", "must be an amount, such as 2600 or 2,600.50", {}),
        ("Input should be greater than or equal to 1", "must be at least %(n)s", {"n": "1"}),
        ("Input should be less than or equal to 500", "must be at most %(n)s", {"n": "500"}),
        (
            "String should have at most 64 characters",
            "must be at most %(n)s characters",
            {"n": "64"},
        ),
        (
            "Input should be 'male' or 'female'",
            "must be one of %(options)s",
            {"options": "male, female"},
        ),
        ("Input should be a valid datetime, invalid character", "must be a date and time", {}),
        (
            "Input should be a valid date or datetime, input is too short",
            "must be a date, YYYY-MM-DD",
            {},
        ),
        (
            "Input should be a valid integer, unable to parse string as an integer",
            "must be a whole number",
            {},
        ),
    ],
)
def test_schema_messages_become_catalog_messages(pydantic: str, message: str, values: dict) -> None:
    text = schema_text(pydantic)
    assert isinstance(text, Text)
    assert text.message == message and dict(text.values) == values


def test_our_own_validator_messages_and_unknown_ones_pass_through() -> None:
    assert schema_text("Value error, must be 18 characters") == "must be 18 characters"
    assert schema_text("Something pydantic never said") == "Something pydantic never said"


CATALOG = {
    "no %(kind)s %(id)s": "没有编号为 %(id)s 的%(kind)s",
    "member": "成员",
    "must be at least %(n)s": "不能小于 %(wrong)s",  # a broken translation
    "the file is empty": "文件为空",
}


def test_rendering_translates_the_message_and_its_word_values() -> None:
    problem = missing("member_id", 101)
    assert problem.rule == "exists" and problem.field == "member_id"
    assert render(problem.message, lambda m: CATALOG.get(m, m)) == "没有编号为 101 的成员"
    assert str(problem.message) == "no member 101"
    assert problem.as_dict()["message"] == "no member 101"


def test_a_broken_translation_falls_back_to_english_and_plain_strings_are_looked_up() -> None:
    assert render(say("must be at least %(n)s", n=3), lambda m: CATALOG.get(m, m)) == (
        "must be at least 3"
    )
    assert render("the file is empty", lambda m: CATALOG.get(m, m)) == "文件为空"
    assert render("not in any catalog", lambda m: CATALOG.get(m, m)) == "not in any catalog"
    assert Problem(None, "x", say("no %(kind)s %(id)s")).as_dict()["message"] == (
        "no %(kind)s %(id)s"
    )


def test_a_sentence_survives_the_text_of_an_exception() -> None:
    from kernel.messages import carry, uncarry

    text = say("invalid national ID: %(reasons)s", reasons=[say("x %(n)s", n=1), say("y")])
    carried = carry(text)
    assert isinstance(carried, str)
    back = uncarry(carried)
    assert back == Text(
        "invalid national ID: %(reasons)s", {"reasons": [say("x %(n)s", n=1), say("y")]}
    )
    catalog = {"invalid national ID: %(reasons)s": "无效：%(reasons)s", "; ": "；", "y": "乙"}
    assert render(back, lambda m: catalog.get(m, m)) == "无效：x 1；乙"
    assert str(back) == "invalid national ID: x 1; y"
    assert schema_text("Value error, " + carried) == back
    assert uncarry("\x1etext:{broken") == "\x1etext:{broken"
    assert uncarry("plain") == "plain"


def test_a_column_holds_the_services_sentences_as_data_and_peoples_words_as_written() -> None:
    from kernel.messages import answering_in, stored, words

    catalog = {"appeal %(id)s upheld": "申诉 %(id)s 成立", "the file is empty": "文件为空"}
    kept = stored(say("appeal %(id)s upheld", id=4))
    assert kept != "appeal 4 upheld" and "appeal 4 upheld" not in kept  # data, not a sentence
    with answering_in(lambda m: catalog.get(m, m)):
        assert words(kept) == "申诉 4 成立"
        assert words("本人已找到工作") == "本人已找到工作"  # an officer's words, as written
        assert words("the file is empty") == "文件为空"  # a fixed sentence of before
        assert words(None) == words("") == ""
    assert words(kept) == "appeal 4 upheld"  # outside a request: English


def test_codes_are_shown_in_the_words_their_context_gave_them() -> None:
    from kernel.messages import answering_in, code_text, code_words, name_codes

    name_codes({"test_laid_off": "laid off (test)"})
    catalog = {"laid off (test)": "被裁员（测试）", "job ended: %(reason)s": "工作结束：%(reason)s"}
    with answering_in(lambda m: catalog.get(m, m)):
        assert code_words("test_laid_off") == "被裁员（测试）"
        assert code_words("never_named") == "never named"
        assert code_words(None) == ""
        later = say("job ended: %(reason)s", reason=code_text("test_laid_off"))
        assert render(later, lambda m: catalog.get(m, m)) == "工作结束：被裁员（测试）"
