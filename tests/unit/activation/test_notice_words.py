"""A sanction notice issued with English sentences, read back by migration 0011 into the data
the service keeps now: the same sentences a notice issued today holds."""

from __future__ import annotations

import pytest

from support import migration_module


@pytest.fixture(scope="module")
def migration():
    return migration_module("0011_notice_words.py")


OLD_HOUSEHOLD = {
    "to": "刘丽",
    "date": "2026-04-06",
    "facts": [
        "2026-03-10: 缝纫工 at 炉桥服装厂 (2400.00 yuan/month), declined — reason given: 太远",
        "2026-03-20: 包装工 at 定远食品厂 (2200.00 yuan/month), declined",
    ],
    "decision": "两次无正当理由拒绝适当岗位",
    "rule": "report 4 §五4: two refusals of suitable offers stop the payment (county pilot)",
    "parameter_version": "county-pilot@2020.1",
    "effect": "the household's dibao payment of 200.00 yuan/month stops from 2026-04-16",
    "starts_on": "2026-04-16",
    "how_to_end": (
        "accept a suitable job offer or attend the training you are referred to; payment "
        "resumes from then, but not before 2026-05-16"
    ),
    "appeal": (
        "you may ask the county civil affairs bureau to reconsider this decision, in writing "
        "or in person, until 2026-06-05; you may add evidence of a good reason until the "
        "sanction takes effect"
    ),
    "confirmed_by": "user:5:li.officer",
}


def test_an_old_notice_is_read_back_into_the_printed_notices_sentences(migration) -> None:
    read = migration.notice_data(OLD_HOUSEHOLD)
    assert read["facts"] == [
        {
            "m": "On %(day)s you were offered %(title)s at %(employer)s for %(wage)s a month, "
            "and declined.",
            "v": {
                "day": "2026-03-10",
                "title": "缝纫工",
                "employer": "炉桥服装厂",
                "wage": {"m": "%(amount)s yuan", "v": {"amount": "2400.00"}},
            },
        },
        {"m": "The reason you gave: %(reason)s.", "v": {"reason": "太远"}},
        {
            "m": "On %(day)s you were offered %(title)s at %(employer)s for %(wage)s a month, "
            "and declined.",
            "v": {
                "day": "2026-03-20",
                "title": "包装工",
                "employer": "定远食品厂",
                "wage": {"m": "%(amount)s yuan", "v": {"amount": "2200.00"}},
            },
        },
    ]
    assert read["rule"] == {"m": migration.HOUSEHOLD_RULE, "v": {}}
    assert read["effect"]["v"] == {
        "amount": {"m": "%(amount)s yuan", "v": {"amount": "200.00"}},
        "day": "2026-04-16",
    }
    assert read["how_to_end"]["v"] == {"day": "2026-05-16"}
    assert read["appeal"]["v"] == {"day": "2026-06-05"}
    # the officer's words, the addressee and the dates stay as they were
    for key in ("to", "date", "decision", "parameter_version", "starts_on", "confirmed_by"):
        assert read[key] == OLD_HOUSEHOLD[key]
    assert migration.notice_data(read) == read  # already data: left alone


def test_a_member_share_notice_and_a_blocked_application(migration) -> None:
    share = migration.notice_data(
        {
            **OLD_HOUSEHOLD,
            "rule": "Interim Measures on Social Assistance (2014) art. 45: three consecutive "
            "refusals",
            "effect": "王建国's share, 100.00 yuan/month, is withheld from 2026-04-16",
        }
    )
    assert share["rule"] == {"m": migration.MEMBER_RULE, "v": {}}
    assert share["effect"]["m"] == "Your share of %(amount)s a month is withheld from %(day)s."
    blocked = migration.notice_data(
        {
            **OLD_HOUSEHOLD,
            "effect": "the dibao application is not accepted while the sanction stands",
        }
    )
    assert blocked["effect"] == {
        "m": "The dibao application is not accepted while the sanction stands.",
        "v": {},
    }


def test_other_words_are_left_as_written(migration) -> None:
    odd = {**OLD_HOUSEHOLD, "effect": "停发", "facts": ["口头告知"], "rule": "其他规定"}
    read = migration.notice_data(odd)
    assert (read["effect"], read["facts"], read["rule"]) == ("停发", ["口头告知"], "其他规定")
    assert migration.notice_data(None) is None


def test_the_sentences_it_writes_are_the_ones_the_service_writes_now(migration) -> None:
    """The migration and the service agree on the printed notice's messages."""
    from workbridge.pages.catalog import extract

    used = extract()
    read = migration.notice_data(OLD_HOUSEHOLD)
    messages = [read[k]["m"] for k in ("rule", "effect", "how_to_end", "appeal")]
    messages += [f["m"] for f in read["facts"]] + ["%(amount)s yuan", migration.MEMBER_RULE]
    assert not [m for m in messages if m not in used]


def test_downgrade_gives_english_sentences_back(migration) -> None:
    back = migration.notice_english(migration.notice_data(OLD_HOUSEHOLD))
    assert back["effect"] == "The household's payment of 200.00 yuan a month stops from 2026-04-16."
    assert back["facts"][1] == "The reason you gave: 太远."
