"""The oversight page (issue 17) on the county of ``oversight_support``: the alerts, the
suppressed cell and the figures, in Chinese and in English; a month that is not YYYY-MM comes
back with its problem; only admins see it."""

from __future__ import annotations

from datetime import date

import pytest
from oversight_support import build, known_county, stop
from sqlmodel import Session

from support import signed_in

WORDS = {
    "zh_CN": {
        "title": "拒绝规则的监督",
        "female": "性别“女”：被停发的比例是总体的 1.2752 倍（高于 1.25）",
        "office": "北街社区 停发比例为 0.34，超过中位数 0.16 的 2.0 倍",
        "hidden": "不足 10 人：不显示",
        "forced": "1 次停发未经第二名工作人员确认",
    },
    "en": {
        "title": "Oversight of the refusal rule",
        "female": "sex female: stopped 1.2752 times as often as everyone (above 1.25)",
        "office": "北街社区 stops 0.34 of its people, more than 2.0 times the median of 0.16",
        "hidden": "fewer than 10 people: not shown",
        "forced": "1 cut(s) without a second officer&#39;s confirmation",
    },
}


@pytest.fixture
def county(engine) -> list[int]:
    ids = build(engine, known_county(), date(2026, 5, 1))
    with Session(engine) as session:
        forced = stop(ids[0], 1, date(2026, 5, 20), confirmed_by=None, confirmed_on=None)
        session.add(forced)
        session.commit()
    return ids


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_month_with_its_alerts(client, engine, county, language) -> None:
    words = WORDS[language]
    pages = signed_in(client, engine, f"o.{language}", "admin", language=language)
    page = pages.get("/app/oversight?month=2026-05")
    assert page.status_code == 200
    text = page.text
    for key in ("title", "female", "office", "hidden", "forced"):
        assert words[key] in text, key
    assert 'href="/app/sanctions/' in text  # the forced cut links to its sanction
    assert "<svg" in text
    if language == "zh_CN":  # the tables count proposals; "提议日期" is the sanction page's date
        assert '<th scope="col">提议停发</th>' in text and "提议日期" not in text


def test_a_bad_month_and_other_roles(client, engine, county) -> None:
    pages = signed_in(client, engine, "o.bad", "admin", language="en")
    page = pages.get("/app/oversight?month=2026-13")
    assert page.status_code == 422
    officer = signed_in(client, engine, "o.officer", "benefit_officer", language="en")
    assert officer.get("/app/oversight").status_code == 403


def test_the_open_figures_as_a_workbook_and_a_csv(client, engine, county) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    pages = signed_in(client, engine, "o.files", "admin", language="zh_CN")
    answer = pages.get("/app/oversight/report.xlsx?month=2026-05")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames == ["监督", "预警"]
    rows = list(book["监督"].iter_rows(values_only=True))
    heading = rows[0]
    assert heading[:4] == ("月份", "维度", "群体", "负有登记义务的人数")
    by_group = {(row[1], row[2]): row for row in rows[1:]}
    village = by_group[("社区", "新村")]
    assert village[3:-1] == (None,) * (len(heading) - 4) and village[-1] == "不足 10 人：不显示"
    women = by_group[("性别", "女")]
    assert women[heading.index("与总体之比")] == 1.2752
    alerts = list(book["预警"].iter_rows(values_only=True))[1:]
    assert ("2026-05", "cut-without-confirmation", "1 次停发未经第二名工作人员确认", 1) in alerts
    text = pages.get("/app/oversight/report.csv?month=2026-05").content.decode("utf-8")
    assert text.startswith("\ufeff月份,维度,群体")
    found = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(found) == len(rows)
    assert "sanction:" not in text and "sanction:" not in str(alerts)  # no person leaves
    assert pages.get("/app/oversight/report.csv?month=2026-13").status_code == 422


def test_a_supervisor_reads_the_figures_of_every_office_and_no_person(
    client, engine, county, tokens
) -> None:
    pages = signed_in(client, engine, "o.supervisor", "supervisor", language="zh_CN")
    landing = pages.client.get("/app", follow_redirects=False)
    assert landing.headers["location"] == "/app/oversight"
    page = pages.get("/app/oversight?month=2026-05")
    assert page.status_code == 200
    assert WORDS["zh_CN"]["forced"] in page.text  # the count of the never-fire check
    assert 'href="/app/sanctions/' not in page.text  # but not the sanction behind it
    assert pages.get("/app/oversight/report.xlsx?month=2026-05").status_code == 200
    assert pages.get("/app/dashboard").status_code == 200
    for path in ("/app/people", "/app/sanctions", "/app/replays", "/app/admin/accounts"):
        assert pages.get(path).status_code == 403, path
    api = tokens.headers("supervisor")
    answer = client.get("/api/v1/oversight/report", params={"month": "2026-05"}, headers=api)
    assert answer.status_code == 200
    refused = client.get(
        "/api/v1/oversight/report", params={"month": "2026-05", "refs": "true"}, headers=api
    )
    assert refused.status_code == 403
    assert [p["field"] for p in refused.json()["problems"]] == ["refs"]


def test_the_months_alerts_on_the_dashboard_of_those_who_watch(client, engine, county) -> None:
    admin = signed_in(client, engine, "o.dash", "admin", language="zh_CN")
    page = admin.get("/app/dashboard?months=6&to=2026-05").text
    assert "2026-05 监督预警" in page
    assert WORDS["zh_CN"]["forced"] in page and WORDS["zh_CN"]["office"] in page
    quiet = admin.get("/app/dashboard?months=6&to=2026-03").text
    assert "2026-03 监督预警" in quiet and "本月没有预警。" in quiet
    officer = signed_in(client, engine, "o.dash2", "benefit_officer", language="zh_CN")
    assert "监督预警" not in officer.get("/app/dashboard?months=6&to=2026-05").text


@pytest.mark.parametrize(("language", "more"), [("zh_CN", "另有 12 项"), ("en", "and 12 more")])
def test_a_pattern_alert_links_to_the_stops_behind_it(
    client, engine, county, monkeypatch, language, more
) -> None:
    """北街社区's alert links to its 17 running stops; past the page's limit (five here) the
    rest are counted, and the API gives them all."""
    import re

    import workbridge.pages.oversight as page_module

    pages = signed_in(client, engine, f"o.behind.{language}", "admin", language=language)
    whole = pages.get("/app/oversight?month=2026-05").text
    office = next(line for line in whole.splitlines() if WORDS[language]["office"] in line)
    assert len(re.findall(r'href="/app/sanctions/\d+"', office)) == 17
    monkeypatch.setattr(page_module, "SHOWN_REFS", 5)
    cut = pages.get("/app/oversight?month=2026-05").text
    office = next(line for line in cut.splitlines() if WORDS[language]["office"] in line)
    assert len(re.findall(r'href="/app/sanctions/\d+"', office)) == 5
    assert more in office


def test_the_shares_read_as_percentages(client, engine, county) -> None:
    """42 of 206 people under a stop is 20.4% (not 0.2%); 北街社区's 17 of 50 is 34.0%."""
    pages = signed_in(client, engine, "o.pct", "admin", language="en")
    text = pages.get("/app/oversight?month=2026-05").text
    assert "42 (20.4%)" in text
    assert "34.0% (" in text


def test_an_admin_reads_the_sanction_behind_an_alert_and_decides_nothing(
    client, engine, tokens, clock
) -> None:
    """The refusal story's stop, forced to be confirmed by its proposer: the admin follows the
    alert's link to the sanction and reads it, and can neither decide it nor open the person."""
    import re

    from sqlalchemy import text

    from support import Desk, refusal_story

    story = refusal_story(Desk(client, tokens, clock))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE sanction SET confirmed_by = proposed_by WHERE id = :id"),
            {"id": story["sanction_id"]},
        )
    admin = signed_in(client, engine, "o.reader", "admin", language="en")
    page = admin.get("/app/oversight?month=2026-04").text
    path = f"/app/sanctions/{story['sanction_id']}"
    assert re.findall(r'href="(/app/sanctions/\d+)"', page) == [path]
    sanction = admin.get(path)
    assert sanction.status_code == 200
    assert f"#{story['sanction_id']}" in sanction.text
    assert 'href="/app/people/' not in sanction.text  # the person's page is the staff's
    assert "/notice" not in sanction.text
    with engine.begin() as conn:  # as a proposal: an officer sees the decision, an admin not
        conn.execute(
            text("UPDATE sanction SET state = 'proposed' WHERE id = :id"),
            {"id": story["sanction_id"]},
        )
    assert "Confirm the sanction" not in admin.get(path).text
    officer = signed_in(client, engine, "o.decider", "benefit_officer", language="en")
    assert "Confirm the sanction" in officer.get(path).text
    assert admin.post(f"{path}/decision", {"confirm": "yes", "reason": "x"}).status_code == 403
