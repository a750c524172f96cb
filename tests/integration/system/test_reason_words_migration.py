"""Migrations 0010, 0011 and 0037 on a real database: the reasons and notices a busy county has
stored, taken back to the English sentences they were before (downgrade) and read back into data
(upgrade), come out as they went in."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from language import confirm_a_sanction
from sqlalchemy import text

from workbridge import migrations
from workbridge.demo import demo_accounts, load_demo

CARRIED = "\x1etext:"
TEXT_COLUMNS = [
    ("continuation", "end_reason"),
    ("sanction", "closed_reason"),
    ("refusal", "void_reason"),
    ("activation_task", "note"),
    ("registration_duty", "end_reason"),
    ("referral", "delivery_note"),  # 0037
]
SAID_COLUMNS = [("benefit_case", "status_said"), ("case_status_period", "said")]


def _column(engine, table: str, column: str) -> dict[int, Any]:
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, {column} FROM {table}")).all()
    return {
        row[0]: json.loads(row[1])
        if isinstance(row[1], str) and (column.endswith("said") or column == "notice")
        else row[1]
        for row in rows
    }


LEGACY = (
    "took a job paying 650.00 yuan/month (below 800.00): the previous 300.00 yuan continues "
    "for 6 months, to 2026-09-05 (report 4 §五4)"
)
LEGACY_SAID = {
    "m": "took a job paying %(income)s yuan a month (below %(threshold)s): the previous "
    "%(previous)s yuan continues for %(months)s months, to %(until)s (report 4 §五4)",
    "v": {
        "income": "650.00",
        "threshold": "800.00",
        "previous": "300.00",
        "months": "6",
        "until": "2026-09-05",
    },
}


def test_stored_reasons_survive_a_downgrade_and_upgrade(app, engine, database_url, client) -> None:
    load_demo(engine, app.state.policy, households=120, today=date(2026, 2, 20), seed=7)
    at_nine = datetime(2026, 2, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    confirm_a_sanction(client, {u: p for _, u, p in demo_accounts(engine, at_nine)})
    notices = {i: n for i, n in _column(engine, "sanction", "notice").items() if n}
    assert notices and all(isinstance(n["effect"], dict) for n in notices.values())
    before = {(t, c): _column(engine, t, c) for t, c in TEXT_COLUMNS}
    kept = {
        key: {i for i, v in values.items() if isinstance(v, str) and v.startswith(CARRIED)}
        for key, values in before.items()
    }
    assert len(kept[("activation_task", "note")]) > 50 and kept[("registration_duty", "end_reason")]
    assert kept[("referral", "delivery_note")]
    engine.dispose()
    migrations.downgrade(database_url, "0009", quiet=True)
    try:
        english = {(t, c): _column(engine, t, c) for t, c in TEXT_COLUMNS}
        for i, notice in _column(engine, "sanction", "notice").items():
            if i in notices:  # the notice's sentences as English words again
                assert isinstance(notice["effect"], str) and notice["effect"].isascii()
        for key, ids in kept.items():
            for i in ids:  # each as the English sentence it was before
                assert not english[key][i].startswith(CARRIED) and english[key][i].isascii()
        with engine.begin() as connection:  # and a reason the service wrote in its old words
            for table, said in (("case_status_period", "said"), ("benefit_case", "status_said")):
                reason = "reason" if table == "case_status_period" else "status_reason"
                connection.execute(
                    text(
                        f"UPDATE {table} SET {reason} = :legacy, {said} = NULL "
                        f"WHERE id = (SELECT MIN(id) FROM {table})"
                    ),
                    {"legacy": LEGACY},
                )
        engine.dispose()
    finally:
        migrations.upgrade(database_url, quiet=True)
    after = {(t, c): _column(engine, t, c) for t, c in TEXT_COLUMNS}
    assert after == before  # the same data again, nothing else touched
    assert {i: n for i, n in _column(engine, "sanction", "notice").items() if n} == notices
    for table, said in (("case_status_period", "said"), ("benefit_case", "status_said")):
        values = _column(engine, table, said)
        assert values[min(values)] == LEGACY_SAID
