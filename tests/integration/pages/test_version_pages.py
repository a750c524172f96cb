"""The parameter version pages (issue 16, change control): propose, replay, read, and sign off
as a second person, in Chinese and in English; a bad proposal comes back with every problem."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import text

from support import move_to, settled, signed_in
from workbridge.demo import load_demo

TODAY = date(2026, 10, 20)


@pytest.fixture
def county(engine, app, clock):
    move_to(clock, TODAY)
    load_demo(engine, app.state.policy, households=40, today=TODAY, seed=7)
    return engine


WORDS = {
    "zh_CN": {
        "title": "参数版本",
        "not_replayed": "尚未回放",
        "blocked": "签批前须先对该版本进行回放",
        "figures": "按记录发放",
        "ready": "提出人以外的人员可以签批该版本",
        "own": "决定参数版本须由另一人办理",
        "made": "在系统中签批",
    },
    "en": {
        "title": "Parameter versions",
        "not_replayed": "Not replayed yet.",
        "blocked": "replay the version before signing it off",
        "figures": "Paid as recorded",
        "ready": "a person other than the proposer may sign the version off",
        "own": "must be done by a second person",
        "made": "signed off in the service",
    },
}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_propose_replay_and_sign_off_as_a_second_person(client, county, language) -> None:
    words = WORDS[language]
    first = signed_in(client, county, f"v1.{language}", "admin", language=language)
    listing = first.get("/app/parameter-versions")
    assert listing.status_code == 200 and words["title"] in listing.text
    assert "county-pilot@2020.1" in listing.text
    asked = first.post(
        "/app/parameter-versions",
        {
            "version": "2026.11",
            "effective_from": "2026-11-01",
            "changes": "activation.refusal.threshold=3\nbenefits.public_notice.days=5\n",
            "basis": "县民政局 2026年第9号文",
            "note": "三次拒绝才停发",
        },
    )
    assert asked.status_code == 303, asked.text
    path = asked.headers["location"]
    assert re.fullmatch(r"/app/parameter-versions/\d+", path)
    page = first.get(path).text
    assert words["not_replayed"] in page and words["blocked"] in page

    assert first.post(f"{path}/replay", {}).status_code == 303
    page = settled(first, path)
    assert words["figures"] in page and words["ready"] in page

    own = first.post(f"{path}/sign-off", {"note": ""})
    assert own.status_code == 403 and words["own"] in own.text

    second = signed_in(client, county, f"v2.{language}", "benefit_officer", language=language)
    second.get(path)
    signed = second.post(f"{path}/sign-off", {"note": "读过"})
    assert signed.status_code == 303
    assert words["made"] in second.get("/app/parameter-versions").text
    with county.connect() as connection:
        state, replay = connection.execute(
            text("SELECT state, replay_id FROM parameter_version")
        ).one()
    assert state == "live" and replay is not None


def test_a_bad_proposal_comes_back_with_every_problem(client, county) -> None:
    pages = signed_in(client, county, "v.bad", "benefit_officer", language="en")
    pages.get("/app/parameter-versions")
    answer = pages.post(
        "/app/parameter-versions",
        {
            "version": "a b",
            "effective_from": "2026-10-20",
            "changes": "nope=1\nactivation.refusal.threshold=many",
            "basis": "",
            "note": "",
        },
    )
    assert answer.status_code == 422
    for words in (
        "a version label of letters",
        "a version starts after the day it is signed off: 2026-10-21",
        "no parameter nope",
        "expected a whole number of at least 0",
        "the legal basis of the change",
        "say why the version is made",
    ):
        assert words in answer.text, words
    with county.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM parameter_version")).scalar() == 0


def test_an_office_account_is_refused(client, county) -> None:
    pages = signed_in(client, county, "v.office", "benefit_officer", office="定城镇")
    assert pages.get("/app/parameter-versions").status_code == 403
    assert "/app/parameter-versions" not in pages.get("/app/applications").text
