"""Oversight's figures and alerts on known distributions (issue 17), built row by row
(``oversight_support``). May 2026, 206 people under the duty, 42 of them stopped from 1 May:

| community | people | stopped | share |
|---|---|---|---|
| 东街社区 | 50 | 8 | 0.16 |
| 西街社区 | 50 | 8 | 0.16 |
| 南街社区 | 50 | 7 | 0.14 |
| 北街社区 | 50 | 17 | 0.34 — above twice the median (0.16) |
| 新村 | 6 | 2 | a cell of six: suppressed |

Fifty women, 13 of them stopped: 0.26 against 42/206 = 0.2039 overall, a ratio of 1.2752
(above 1.25); 156 men, 29 stopped: 0.1859, a ratio of 0.9118 (within). Everyone else's groups
are one group each (ratio 1). Worked out by hand before the test ran."""

from __future__ import annotations

from datetime import date

import pytest
from oversight_support import build, known_county, stop
from sqlmodel import Session

from activation.oversight.alerts import Limits
from activation.oversight.report import oversight_report
from benefits.payment_rules import Month

MAY = Month(2026, 5)


@pytest.fixture
def built(engine) -> list[int]:
    return build(engine, known_county(), date(2026, 5, 1))


def report(engine, app, limits: Limits | None = None, **kwargs) -> dict:
    with Session(engine) as session:
        return oversight_report(session, app.state.policy, MAY, limits or Limits(), **kwargs)


def groups(found: dict, dimension: str) -> dict[str, dict]:
    return {row["group"]: row for row in found["by"][dimension]}


def test_the_counts_and_the_share_under_stop(built, engine, app) -> None:
    found = report(engine, app)
    overall = found["overall"]
    assert (overall["subject"], overall["under_stop"], overall["stops_started"]) == (206, 42, 42)
    assert overall["share_under_stop"] == round(42 / 206, 4)
    low, high = overall["interval"]
    assert low < overall["share_under_stop"] < high
    assert groups(found, "sex")["female"]["ratio"] == 1.2752
    assert groups(found, "sex")["male"]["ratio"] == 0.9118
    assert found["office_medians"]["community"] == 0.16


def test_each_alert_fires_exactly_where_it_should(built, engine, app) -> None:
    alerts = report(engine, app)["alerts"]
    assert [(a["alert"], a["dimension"], a["group"], a["value"]) for a in alerts] == [
        ("group-ratio-high", "sex", "female", 1.2752),
        ("office-above-median", "community", "北街社区", 0.34),
    ]


def test_a_cell_of_six_is_suppressed_and_never_compared(built, engine, app) -> None:
    found = report(engine, app)
    village = groups(found, "community")["新村"]
    assert village == {"group": "新村", "suppressed": True, "people": "<10"}
    assert all(a["group"] != "新村" for a in found["alerts"])
    # a county that publishes cells of five shows it, and its 0.3333 is above 0.32
    shown = report(engine, app, Limits(min_cell=5))
    assert groups(shown, "community")["新村"]["under_stop"] == 2
    assert ("office-above-median", "新村") in [(a["alert"], a["group"]) for a in shown["alerts"]]


@pytest.mark.parametrize(
    ("limit", "fires"),
    [(1.25, True), (1.2752, True), (1.2753, False), (1.28, False)],
)  # the ratio is 0.26 / (42 / 206) = 1.27524...: a limit below it fires, above it does not
def test_the_ratio_limit_is_a_setting(built, engine, app, limit, fires) -> None:
    alerts = report(engine, app, Limits(ratio_high=limit))["alerts"]
    assert (("group-ratio-high", "female") in [(a["alert"], a["group"]) for a in alerts]) == fires


def test_a_cut_forced_without_confirmation_fires_the_never_fire_checks(built, engine, app) -> None:
    with Session(engine) as session:
        forced = stop(built[-1], 1, date(2026, 5, 10), confirmed_by=None, confirmed_on=None)
        forced.notice = None
        session.add(forced)
        session.commit()
        forced_id = forced.id
    found = report(engine, app, with_refs=True)
    never = {a["alert"]: a for a in found["alerts"] if a["zero_tolerance"]}
    assert set(never) == {"cut-without-confirmation", "stop-without-notice"}
    assert never["cut-without-confirmation"]["refs"] == [f"sanction:{forced_id}"]
    assert never["stop-without-notice"]["count"] == 1
    open_report = report(engine, app)  # what a bureau collects: the count, never the ids
    assert all("refs" not in a for a in open_report["alerts"])
