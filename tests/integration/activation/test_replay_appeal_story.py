"""An upheld appeal's back pay in the replay's costs. The woman of the refusal story is stopped
from 16 April; her appeal is upheld on 11 May, payment comes back that day and the days before
are repaid: 200 a month for 16–30 April (100.00) and 1–10 May (64.52), 164.52 in all.

Counted in the months it repays, each month costs as recorded what it cost in the end (200.00
in April and May). A reform that would not have stopped her pays those days as regular money
instead of back pay — the same money: she was never out of pocket in the end, so nobody gains."""

from datetime import date

import pytest

from activation.replay.engine import run_replay
from activation.replay.reform import Reform
from benefits.payment_rules import Month
from support import Desk, pay_month, refusal_story

TODAY = date(2026, 5, 20)


@pytest.fixture
def story(client, tokens, clock, engine) -> Desk:
    desk = Desk(client, tokens, clock)
    refusal_story(desk, upheld_on="2026-05-11")
    desk.on(TODAY.isoformat())
    for period in ("2026-03", "2026-04", "2026-05"):
        pay_month(desk.client, desk.officer, period)
    return desk


JANUARY = Month(2026, 1)


def replay(engine, app, first: Month = JANUARY, **changes):
    return run_replay(
        engine,
        app.state.policy,
        first=first,
        last=Month(2026, 5),
        reform=Reform(changes),
        today=TODAY,
    )


def months(report) -> dict[str, tuple[str, str]]:
    return {row["month"]: (row["cost_actual"], row["cost_reform"]) for row in report["by_month"]}


def test_the_back_pay_is_counted_in_the_months_it_repaid(story, engine, app) -> None:
    report = replay(engine, app)
    assert report["gate"]["passed"] is True, report["gate"]
    assert report["gate"]["months_checked"] == ["2026-03", "2026-04", "2026-05"]
    by_month = months(report)
    # April: 15 days paid (100.00) and 15 repaid; May: 21 days paid (135.48) and 10 repaid.
    assert by_month["2026-04"] == ("200.00", "200.00")
    assert by_month["2026-05"] == ("200.00", "200.00")
    assert (report["back_pay_actual"], report["back_pay_reform"]) == ("164.52", "164.52")
    assert report["difference"] == "0.00" and report["households_affected"] == 0


def test_a_range_from_may_counts_only_what_was_repaid_of_may(story, engine, app) -> None:
    report = replay(engine, app, first=Month(2026, 5))
    assert report["gate"]["passed"] is True
    assert report["back_pay_actual"] == "64.52"
    assert months(report) == {"2026-05": ("200.00", "200.00")}


def test_three_refusals_pay_the_stopped_days_as_regular_money_and_nobody_gains(
    story, engine, app
) -> None:
    """Without the back pay the replay would show her household gaining 164.52."""
    report = replay(engine, app, **{"activation.refusal.threshold": 3})
    assert report["gate"]["passed"] is True
    assert report["sanctions_lifted"] == 1
    assert (report["back_pay_actual"], report["back_pay_reform"]) == ("164.52", "0.00")
    assert months(report)["2026-04"] == ("200.00", "200.00")
    assert months(report)["2026-05"] == ("200.00", "200.00")
    assert report["difference"] == "0.00"
    assert (report["households_gain"], report["households_lose"]) == (0, 0)


def test_withholding_only_her_share_repays_only_her_share(story, engine, app) -> None:
    """The member's share is 100 of 200: April pays 15 days at 200 and 15 at 100 (150.00) and
    the appeal repays 15 days of 100 (50.00); May pays 10 days at 100 and 21 at 200 (167.74)
    and repays 10 days of 100 (32.26). Each month is still 200.00 in the end."""
    report = replay(engine, app, **{"activation.sanction.scope": "member_share"})
    assert report["gate"]["passed"] is True
    assert report["sanctions_rescoped"] == 1
    assert (report["back_pay_actual"], report["back_pay_reform"]) == ("164.52", "82.26")
    assert months(report)["2026-04"] == ("200.00", "200.00")
    assert months(report)["2026-05"] == ("200.00", "200.00")
    assert report["difference"] == "0.00"


def test_a_back_pay_the_ledger_does_not_hold_fails_the_gate(story, engine, app) -> None:
    from sqlalchemy import text

    with engine.begin() as connection:
        changed = connection.execute(
            text(
                "UPDATE payment_adjustment SET amount_fen = amount_fen + 1"
                " WHERE kind = 'back_pay' AND source LIKE 'appeal:%'"
            )
        ).rowcount
    assert changed == 1
    report = replay(engine, app, **{"activation.refusal.threshold": 3})
    assert report["gate"]["passed"] is False
    assert report["gate"]["differences"]["ledger"] == 1
    assert report["gate"]["examples"][0]["check"] == "back-pay"
    assert "cost_reform" not in report


@pytest.mark.parametrize(
    ("language", "words", "row"),
    [
        ("zh_CN", "其中申诉后补发", "申诉后补发(实际, 元)"),
        ("en", "Of which repaid on appeal", "repaid on appeal, actual (yuan)"),
    ],
)
def test_the_page_and_the_workbook_say_what_was_repaid(
    story, engine, client, language, words, row
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from support import settled, signed_in

    pages = signed_in(client, engine, f"appeal.{language}", "benefit_officer", language=language)
    asked = pages.post(
        "/app/replays",
        {
            "first_month": "2026-01",
            "last_month": "2026-05",
            "changes": "activation.refusal.threshold=3\n",
        },
    )
    assert asked.status_code == 303
    text = settled(pages, asked.headers["location"])
    assert words in text and "164.52" in text
    book = load_workbook(BytesIO(pages.get(f"{asked.headers['location']}/workbook").content))
    summary = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True)}
    assert float(summary[row]) == pytest.approx(164.52)
