"""Reasons written as English sentences before they were kept as data, read back by migration
0010 into the same data the service now keeps; an officer's own words are left as they are."""

from __future__ import annotations

from typing import Any

import pytest

from kernel.messages import Text, as_data, code_text, say, stored, uncarry
from support import migration_module
from workbridge.pages.catalog import extract


@pytest.fixture(scope="module")
def migration():
    return migration_module("0010_more_reason_words.py")


# As the service wrote them before, and as it says them now.
CASE_REASONS: list[tuple[str, Text]] = [
    (
        "took a job paying 650.00 yuan/month (below 800.00): the previous 300.00 yuan "
        "continues for 6 months, to 2026-09-05 (report 4 §五4)",
        say(
            "took a job paying %(income)s yuan a month (below %(threshold)s): the previous "
            "%(previous)s yuan continues for %(months)s months, to %(until)s (report 4 §五4)",
            income="650.00",
            threshold="800.00",
            previous="300.00",
            months="6",
            until="2026-09-05",
        ),
    ),
    (
        "took a job paying 1200.00 yuan/month (at or above 800.00): 0.5 of the previous "
        "300.00 yuan continues for 6 months, to 2026-09-05 (report 4 §五4)",
        say(
            "took a job paying %(income)s yuan a month (at or above %(threshold)s): "
            "%(fraction)s of the previous %(previous)s yuan continues for %(months)s months, "
            "to %(until)s (report 4 §五4)",
            income="1200.00",
            threshold="800.00",
            fraction="0.5",
            previous="300.00",
            months="6",
            until="2026-09-05",
        ),
    ),
    (
        "the job ended on 2026-05-31 (dismissed misconduct): back to the full amount "
        "(report 4 §五4)",
        say(
            "the job ended on %(day)s (%(reason)s): back to the full amount (report 4 §五4)",
            day="2026-05-31",
            reason=Text("dismissed for misconduct"),
        ),
    ),
    (
        "continuation ended on 2026-09-05; reassessed on current incomes: 120.00 yuan/month",
        say(
            "continuation ended on %(day)s; reassessed on current incomes: %(amount)s yuan a month",
            day="2026-09-05",
            amount="120.00",
        ),
    ),
    (
        "continuation ended on 2026-09-05; per-capita income 325.00 is not below the standard "
        "150.00: the case exits; if the job falls through within 12 months, fast re-entry "
        "applies",
        say(
            "continuation ended on %(day)s; per-capita income %(income)s is not below the "
            "standard %(standard)s: the case exits; if the job falls through within "
            "%(months)s months, fast re-entry applies",
            day="2026-09-05",
            income="325.00",
            standard="150.00",
            months="12",
        ),
    ),
    (
        "refusal sanction 4: the household's dibao payment of 200.00 yuan/month stops from "
        "2026-04-16",
        say(
            "refusal sanction %(id)s: %(amount)s yuan a month withheld from %(day)s",
            id="4",
            amount="200.00",
            day="2026-04-16",
        ),
    ),
    (
        "refusal sanction 5: 王建国's share, 100.00 yuan/month, is withheld from 2026-04-16",
        say(
            "refusal sanction %(id)s: %(amount)s yuan a month withheld from %(day)s",
            id="5",
            amount="100.00",
            day="2026-04-16",
        ),
    ),
    (
        "appeal 2 upheld: 证据表明当时生病",
        say("appeal %(id)s upheld: %(reasons)s", id="2", reasons="证据表明当时生病"),
    ),
    (
        "sanction 3 ended: accepted suitable offer QF7K",
        say(
            "sanction %(id)s ended: %(how)s",
            id="3",
            how=say("accepted suitable offer %(code)s", code="QF7K"),
        ),
    ),
]

CLOSED: list[tuple[str, Text]] = [
    (
        "vulnerability review: 家中有重病老人",
        say("vulnerability review: %(findings)s", findings="家中有重病老人"),
    ),
    (
        "case was suspended when the sanction began",
        say("the case was %(status)s when the sanction began", status=Text("suspended")),
    ),
    (
        "refusal on referral 12 is being reviewed again",
        say("the refusal on referral %(id)s is being reviewed again", id="12"),
    ),
    ("started work at 炉桥物流园", say("started work at %(employer)s", employer="炉桥物流园")),
]
CONTINUATION_ENDS: list[tuple[str, Text]] = [
    ("job ended: laid_off", say("job ended: %(reason)s", reason=Text("laid off"))),
    CASE_REASONS[3],
]
VOIDS: list[tuple[str, Text]] = [
    (
        "good-reason review reopened by new evidence",
        say("good-reason review reopened by new evidence"),
    ),
    ("appeal 2 upheld", say("appeal %(id)s upheld", id="2")),
]
NOTES: list[tuple[str, Text]] = [
    (
        "re-review of case 8 is due (urban: report 1)",
        say(
            "re-review of case %(case)s is due (%(scheme)s; report 1)",
            case="8",
            scheme=Text("urban"),
        ),
    ),
]

DUTY_ENDS: list[tuple[str, Text]] = [
    (
        "household no longer applying or receiving",
        say("household no longer applying or receiving"),
    ),
    ("recorded as without work capacity", say("recorded as without work capacity")),
    ("aged 15, below working age 16", say("aged %(age)s, below working age 16", age=15)),
    (
        "aged 48; the duty applies to males under 48 (report 4)",
        say(
            "aged %(age)s; the duty applies to people under %(limit)s of this sex (report 4)",
            age=48,
            limit=48,
        ),
    ),
    (
        "exempt: pregnant, full time student",  # not an exemption's words: left as written
        None,
    ),
    (
        "exempt: pregnant, three nos",
        say("exempt: %(exemptions)s", exemptions=[Text("pregnancy"), Text("three-nos person")]),
    ),
]


@pytest.mark.parametrize(("written", "said"), DUTY_ENDS)
def test_a_duty_end_is_kept_as_data(migration, written, said) -> None:
    kept = migration.duty_end(written)
    assert kept == (stored(said) if said else None)
    if said:
        assert migration.duty_end(str(said)) == kept  # the English it reads as now


def test_the_duty_explains_itself_in_the_words_the_migration_reads() -> None:
    """The Duty's own explanations are the messages 0010 writes."""
    from activation.rules import Duty

    exempt = Duty(False, "exempt", "", 30, 48, ("pregnant", "three_nos"), "v1")
    assert exempt.explained == DUTY_ENDS[5][1]
    above = Duty(False, "above-age-threshold", "", 48, 48, (), "v1")
    assert above.explained == DUTY_ENDS[3][1]


@pytest.mark.parametrize(
    "note",
    [
        "job-seeker registration due",
        "decide whether the person had a good reason",
        "continuation ends: prepare the household's reassessment",
    ],
)
def test_a_fixed_task_note_is_kept_as_data(migration, note) -> None:
    assert migration.task_note(note) == stored(say(note))


@pytest.mark.parametrize(("written", "said"), CASE_REASONS)
def test_a_case_reason_is_read_back_into_its_facts(migration, written, said) -> None:
    assert migration.case_said(written) == as_data(said)
    assert migration.case_said(str(said)) == as_data(said)  # as it reads in English now


@pytest.mark.parametrize(
    ("read", "written", "said"),
    [
        *[("sanction_closed", w, s) for w, s in [*CLOSED, CASE_REASONS[7]]],
        *[("continuation_end", w, s) for w, s in CONTINUATION_ENDS],
        *[("refusal_void", w, s) for w, s in VOIDS],
        *[("task_note", w, s) for w, s in NOTES],
    ],
)
def test_a_text_column_reason_is_kept_as_data(migration, read, written, said) -> None:
    kept = getattr(migration, read)(written)
    assert kept == stored(said) and uncarry(kept) == said
    assert getattr(migration, read)(str(said)) == stored(said)  # the English it reads as now
    assert getattr(migration, read)(kept) is None  # already data: left alone


def test_the_codes_it_names_are_the_services_own() -> None:
    """What a job's end and a case's status are named by the service is what the migration
    writes."""
    assert code_text("dismissed_misconduct") == Text("dismissed for misconduct")
    assert code_text("laid_off") == Text("laid off")
    assert code_text("suspended") == Text("suspended")


@pytest.mark.parametrize(
    "words", ["符合条件，同意", "", None, "approved by the panel", "job ended: 老板跑了"]
)
def test_other_words_are_left_as_written(migration, words) -> None:
    assert migration.case_said(words) is None
    for read in ("sanction_closed", "continuation_end", "refusal_void", "task_note"):
        assert getattr(migration, read)(words) is None


def _messages(data: Any) -> list[str]:
    if isinstance(data, dict) and "m" in data:
        return [data["m"], *[m for v in data["v"].values() for m in _messages(v)]]
    if isinstance(data, list):
        return [m for item in data for m in _messages(item)]
    return []


def test_every_message_it_writes_is_in_the_catalogs(migration) -> None:
    used = extract()
    written = [
        m
        for _, said in [*CASE_REASONS, *CLOSED, *CONTINUATION_ENDS, *VOIDS, *NOTES, *DUTY_ENDS]
        if said is not None
        for m in _messages(as_data(said))
    ]
    assert written and not [m for m in written if m not in used]


def test_downgrade_reads_data_back_as_english(migration) -> None:
    for _, said in [*CLOSED, *VOIDS]:
        assert migration.english(stored(said)) == str(said)
