"""How an offer reached the person, in the reader's language: told in person, confirmed with the
counsellor's own note (as long as the form allows, on both databases), an SMS receipt; and the
notes written before in English read back into words (migration 0037)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from support import Desk, mother_and_child

EN = {"Accept-Language": "en"}


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def referral(desk: Desk, referral_id: int, language: dict[str, str] | None = None) -> dict:
    response = desk.client.get(
        f"/api/v1/activation/referrals/{referral_id}",
        headers={**desk.counsellor, **(language or {})},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_told_in_person_and_confirmed_by_phone_with_a_long_note(desk: Desk, engine) -> None:
    home = desk.household_with_case(*mother_and_child())
    woman = home["members"][0]["id"]
    offered = desk.refer(woman, "2026-03-05")
    assert offered["delivery_note"] == "由就业援助员当面告知"
    assert referral(desk, offered["id"], EN)["delivery_note"] == "told in person by the counsellor"

    note = "本人已接听并确认岗位信息" * 25  # 300 characters, the form's limit
    assert len(note) == 300
    confirmed = desk.call(
        "POST",
        f"/activation/referrals/{offered['id']}/delivery",
        desk.counsellor,
        {"how": "phone", "confirmed_on": "2026-03-05", "note": note},
    )
    assert confirmed["delivery_note"] == f"2026-03-05 电话确认送达：{note}"
    english = referral(desk, offered["id"], EN)["delivery_note"]
    assert english == f"confirmed by phone on 2026-03-05: {note}"

    plain = desk.call(
        "POST",
        f"/activation/referrals/{offered['id']}/delivery",
        desk.counsellor,
        {"how": "sms_receipt", "confirmed_on": "2026-03-05"},
    )
    assert plain["delivery_note"] == "2026-03-05 凭短信回执确认送达"
    with engine.connect() as connection:  # kept as words for the catalogs, not a sentence
        stored = connection.execute(
            text("SELECT delivery_note FROM referral WHERE id = :id"), {"id": offered["id"]}
        ).scalar_one()
    assert stored.startswith("\x1etext:") and "sms_receipt" not in stored


def test_a_note_over_the_limit_is_refused_and_nothing_written(desk: Desk) -> None:
    home = desk.household_with_case(*mother_and_child())
    offered = desk.refer(home["members"][0]["id"], "2026-03-05")
    refused = desk.call(
        "POST",
        f"/activation/referrals/{offered['id']}/delivery",
        desk.counsellor,
        {"how": "telepathy", "note": "x" * 301},
        status=422,
    )
    assert {p["field"] for p in refused["problems"]} >= {"how", "note"}
    assert referral(desk, offered["id"])["delivery_note"] == "由就业援助员当面告知"


def test_the_old_english_notes_read_back_into_words() -> None:
    """The migration's reading of each wording the service used, and a person's own words."""
    import importlib.util
    import json
    from pathlib import Path

    from kernel.messages import render, uncarry

    path = Path(__file__).parents[3] / "alembic" / "versions" / "0037_delivery_note_words.py"
    spec = importlib.util.spec_from_file_location("m0037", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    cases = {
        "told in person by the counsellor": "told in person by the counsellor",
        "told phone by the counsellor": "told by phone by the counsellor",
        "phone on 2026-03-05": "confirmed by phone on 2026-03-05",
        "sms receipt on 2026-03-05: 回执已存档": (
            "confirmed by an SMS receipt on 2026-03-05: 回执已存档"
        ),
        "in person on 2026-03-05: a: b": "confirmed in person on 2026-03-05: a: b",
        "SMS delivered (delivered)": "SMS delivered (delivered)",
        "SMS not delivered (undelivered): it can never count as a refusal": (
            "SMS not delivered (undelivered): it can never count as a refusal"
        ),
    }
    for old, words in cases.items():
        carried = migration.carried(old)
        assert carried is not None, old
        assert render(uncarry(carried), lambda m: m) == words
        assert migration.english(carried) == words  # what a downgrade writes back
        json.loads(carried[len(migration.CARRIED) :])
    assert migration.carried("本人说收到了") is None  # a person's words stay as written
    assert migration.carried(migration.carried("phone on 2026-03-05")) is None  # once only


def test_the_second_officer_reads_how_each_declined_offer_reached_her(
    desk: Desk, client, engine
) -> None:
    from support import refusal_story, signed_in

    story = refusal_story(desk, confirm=False)
    for language, words in (("zh_CN", "已送达 (由就业援助员当面告知)"),
                            ("en", "delivered (told in person by the counsellor)")):  # fmt: skip
        pages = signed_in(client, engine, f"d.{language}", "benefit_officer", language=language)
        page = pages.get(f"/app/sanctions/{story['sanction_id']}")
        assert page.status_code == 200
        assert page.text.count(words) == 2, language  # both declined offers
