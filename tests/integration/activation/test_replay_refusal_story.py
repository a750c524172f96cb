"""Issue 16's known reform: three refusals instead of two, on a story with exactly two counted
refusals. The woman of the refusal story (declined twice, stopped from 16 April, back from 16
May on complying) would not have been stopped: the replay gives back exactly the stopped days,
in money and in people; with no change it gives back the ledger; with one refusal it counts a
proposal a person would have had to review and changes no money."""

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
    refusal_story(desk)
    desk.on(TODAY.isoformat())
    for period in ("2026-03", "2026-04", "2026-05"):
        pay_month(desk.client, desk.officer, period)
    return desk


def replay(engine, app, **changes):
    return run_replay(
        engine,
        app.state.policy,
        first=Month(2026, 1),
        last=Month(2026, 5),
        reform=Reform({f"activation.refusal.{k}": v for k, v in changes.items()}),
        today=TODAY,
    )


def test_three_refusals_instead_of_two_give_back_the_stopped_days(story, engine, app) -> None:
    report = replay(engine, app, threshold=3)
    assert report["gate"]["passed"] is True, report["gate"]
    assert report["gate"]["months_checked"] == ["2026-03", "2026-04", "2026-05"]
    # 200 a month stopped 16 April to 15 May: 15/30 of April and 15/31 of May.
    assert report["difference"] == "196.77"
    by_month = {row["month"]: row for row in report["by_month"]}
    assert float(by_month["2026-04"]["cost_reform"]) - float(
        by_month["2026-04"]["cost_actual"]
    ) == pytest.approx(100.00)
    assert float(by_month["2026-05"]["cost_reform"]) - float(
        by_month["2026-05"]["cost_actual"]
    ) == pytest.approx(96.77)
    assert by_month["2026-03"]["cost_reform"] == by_month["2026-03"]["cost_actual"]
    assert (report["households_gain"], report["households_lose"]) == (1, 0)
    assert report["sanctions_lifted"] == 1 and report["persons_newly_proposed"] == 0


def test_with_no_change_nothing_moves(story, engine, app) -> None:
    report = replay(engine, app, threshold=2)
    assert report["gate"]["passed"] is True
    assert report["difference"] == "0.00" and report["sanctions_lifted"] == 0
    assert report["households_affected"] == 0


def test_one_refusal_needs_a_person_and_changes_no_money(story, engine, app) -> None:
    report = replay(engine, app, threshold=1)
    assert report["persons_newly_proposed"] == 1  # her first decline brought only a warning
    assert report["difference"] == "0.00" and report["sanctions_lifted"] == 0


def test_a_window_of_one_month_still_holds_both_refusals(story, engine, app) -> None:
    """Counted on 3 April, a one-month window runs from 4 March: the 5 March refusal is in it."""
    report = replay(engine, app, window_months=1)
    assert report["sanctions_lifted"] == 0 and report["difference"] == "0.00"


def scoped(engine, app, scope: str, **changes):
    return run_replay(
        engine,
        app.state.policy,
        first=Month(2026, 1),
        last=Month(2026, 5),
        reform=Reform({"activation.sanction.scope": scope, **changes}),
        today=TODAY,
    )


def test_withholding_only_her_share_pays_the_childs_half_while_she_was_stopped(
    story, engine, app
) -> None:
    """The national measures' scope on the county's story: of 200 a month for two people, her
    share of 100 is withheld instead of the whole. April: 15 days at 200 and 15 at 100 (150.00
    against 100.00); May: 15 days at 100 and 16 at 200, rounded once (151.61 against 103.23)."""
    report = scoped(engine, app, "member_share")
    assert report["gate"]["passed"] is True
    by_month = {row["month"]: row for row in report["by_month"]}
    assert (by_month["2026-04"]["cost_actual"], by_month["2026-04"]["cost_reform"]) == (
        "100.00",
        "150.00",
    )
    assert (by_month["2026-05"]["cost_actual"], by_month["2026-05"]["cost_reform"]) == (
        "103.23",
        "151.61",
    )
    assert report["difference"] == "98.38"
    assert report["sanctions_rescoped"] == 1 and report["sanctions_lifted"] == 0
    assert (report["households_gain"], report["persons_gain"]) == (1, 2)

    assert scoped(engine, app, "household")["difference"] == "0.00"  # as it was
    # Three refusals lift the stop whatever it would have withheld: the whole of it comes back.
    both = scoped(engine, app, "member_share", **{"activation.refusal.threshold": 3})
    assert both["difference"] == "196.77" and both["sanctions_lifted"] == 1
