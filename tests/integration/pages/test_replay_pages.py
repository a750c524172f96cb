"""The policy replay's pages (issue 16): ask, watch, read the figures and download them, in
Chinese and in English; county-wide accounts only."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from support import move_to, settled, signed_in
from workbridge.demo import load_demo

TODAY = date(2026, 10, 20)


@pytest.fixture
def county(engine, app, clock):
    move_to(clock, TODAY)
    load_demo(engine, app.state.policy, households=60, today=TODAY, seed=5)
    return engine


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh_CN", ("政策回放", "不作改动的回放还原了", "增加待遇的家庭", "户主性别", "女",
                   "逐项调整的影响", "单项影响")),
        ("en", ("Policy replay", "With no change the replay gives back", "Households that gain",
                "sex of the household head", "female", "Each change in turn", "Its own effect")),
    ],
)  # fmt: skip
def test_ask_watch_read_and_download(client, county, language, words) -> None:
    pages = signed_in(client, county, f"replay.{language}", "benefit_officer", language=language)
    listing = pages.get("/app/replays")
    assert listing.status_code == 200 and words[0] in listing.text
    asked = pages.post(
        "/app/replays",
        {
            "first_month": "2026-01",
            "last_month": "2026-10",
            "changes": "continuation.income_threshold=100000\ncontinuation.months=12\n",
        },
    )
    assert asked.status_code == 303
    path = asked.headers["location"]
    assert re.fullmatch(r"/app/replays/\d+", path)
    text = settled(pages, path)
    for word in words[1:]:
        assert word in text, word
    assert "<svg" in text
    workbook = pages.get(f"{path}/workbook")
    assert workbook.status_code == 200
    book = load_workbook(BytesIO(workbook.content))
    assert len(book.sheetnames) == 4  # the summary, by month, by group, each change in turn
    assert path.rsplit("/", 1)[1] in pages.get("/app/replays").text


@pytest.mark.parametrize(
    ("language", "said", "step"),
    [("zh_CN", "合并测算，未逐项测算", "逐项调整的影响"),
     ("en", "priced together, without a step for each", "Each change in turn")],
)  # fmt: skip
def test_changes_asked_for_together_are_priced_without_steps(
    client, county, language, said, step
) -> None:
    pages = signed_in(client, county, f"whole.{language}", "benefit_officer", language=language)
    assert 'name="whole"' in pages.get("/app/replays").text
    asked = pages.post(
        "/app/replays",
        {
            "first_month": "2026-01",
            "last_month": "2026-10",
            "changes": "continuation.income_threshold=100000\ncontinuation.months=12\n",
            "whole": "yes",
        },
    )
    path = asked.headers["location"]
    text = settled(pages, path)
    assert said in text and step not in text
    book = load_workbook(BytesIO(pages.get(f"{path}/workbook").content))
    assert len(book.sheetnames) == 3  # no sheet of each change in turn
    # the bad form keeps the box as it was ticked
    again = pages.post("/app/replays", {"first_month": "2026-13", "whole": "yes"})
    assert again.status_code == 422 and 'id="replay-whole" name="whole" value="yes" checked' in (
        again.text
    )


def test_a_bad_form_comes_back_with_every_problem_and_nothing_runs(client, county) -> None:
    pages = signed_in(client, county, "replay.bad", "benefit_officer", language="en")
    answer = pages.post(
        "/app/replays",
        {"first_month": "2026-13", "last_month": "", "changes": "nope=1", "budget": "-1"},
    )
    assert answer.status_code == 422
    for words in ("is not a month", "no parameter nope", "a budget is yuan"):
        assert words in answer.text, words
    assert "None yet." in answer.text


def test_an_office_account_is_refused(client, county) -> None:
    pages = signed_in(client, county, "replay.office", "benefit_officer", office="定城镇")
    assert pages.get("/app/replays").status_code == 403
    assert "/app/replays" not in pages.get("/app/applications").text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh_CN", ("支出与受影响人数的分布", "各参数组合与实际发放的差额", "粗框：最接近预算")),
        ("en", ("The surface of cost and people affected",
                "Difference from what was paid, by combination", "Heavy outline: the combination")),
    ],
)  # fmt: skip
def test_a_grid_is_drawn_as_surfaces_of_its_points(client, county, language, words) -> None:
    pages = signed_in(
        client, county, f"replay.grid.{language}", "benefit_officer", language=language
    )
    asked = pages.post(
        "/app/replays",
        {
            "first_month": "2026-01",
            "last_month": "2026-10",
            "grid": "continuation.income_threshold=600,100000\n"
            "activation.refusal.threshold=1,2,3\ncontinuation.months=6,12\n",
            "budget": "100000000",
        },
    )
    assert asked.status_code == 303
    text = settled(pages, asked.headers["location"])
    for word in words:
        assert word in text, word
    maps = re.findall(r'<svg [^>]*class="chart heatmap".*?</svg>', text, re.S)
    assert len(maps) == 2  # one per number of months, thresholds across, refusals down
    for months, svg in zip(("6", "12"), maps, strict=True):
        assert f"continuation.months={months}" in svg
        assert len(re.findall(r'<rect class="cell"', svg)) == 6
        assert ">600<" in svg and ">100000<" in svg and ">3<" in svg
    # a budget above every cost picks one point, outlined on exactly one map
    assert sum(svg.count('stroke-width="3"') for svg in maps) == 1
    table = text[text.index("<table", text.index(maps[-1])) :]
    assert table.count("<tr>") == 13  # the same twelve points as a table, and its head
