"""Migration 0039 on a real database: a written warning keeps its words (``said``) only; the
English sentence beside them goes, and comes back as it was written when the migration is
taken down. A warning whose words could not be read back (older or hand-edited wording) keeps
its text both ways."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import text

from kernel.messages import from_data
from support import migration_module
from workbridge import migrations
from workbridge.demo import load_demo

OLDER = "Written warning: call the office."


def _warnings(engine) -> dict[int, tuple[str | None, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, text, said FROM activation_warning")).all()
    return {r[0]: (r[1], json.loads(r[2]) if isinstance(r[2], str) else r[2]) for r in rows}


def test_warnings_keep_their_words_only_and_their_sentence_comes_back_down(
    app, engine, database_url
) -> None:
    load_demo(engine, app.state.policy, households=60, today=date(2026, 10, 20), seed=5)
    written = _warnings(engine)
    assert written and all(t is None and said["m"] for t, said in written.values())
    engine.dispose()
    migrations.downgrade(database_url, "0038", quiet=True)
    try:
        down = _warnings(engine)
        for key, (_, said) in written.items():  # the sentence as the service wrote it then
            assert down[key] == (str(from_data(said)), said)
            assert down[key][0].startswith("Written warning: ") and down[key][0].isascii()
        with engine.begin() as connection:
            member = connection.execute(
                text("SELECT MIN(member_id) FROM activation_warning")
            ).scalar_one()
            for said in (None, "null"):  # no words kept; words kept as JSON null
                connection.execute(
                    text(
                        "INSERT INTO activation_warning (member_id, kind, issued_on, text, said) "
                        "VALUES (:m, 'refusal', :d, :t, :s)"
                    ),
                    {"m": member, "d": date(2026, 1, 5), "t": OLDER, "s": said},
                )
        engine.dispose()
    finally:
        migrations.upgrade(database_url, quiet=True)
    up = _warnings(engine)
    assert {key: up[key] for key in written} == written
    assert sorted(t for key, (t, _) in up.items() if key not in written) == [OLDER, OLDER]


def test_the_english_going_down_is_each_wording_as_written() -> None:
    from activation.rules import RefusalCount, warning_text
    from kernel.messages import as_data, say

    migration = migration_module("0039_warning_words_only.py")
    for in_a_row in (False, True):
        for counted, threshold in ((1, 2), (1, 3), (2, 3)):
            count = RefusalCount(
                counted, threshold, date(2026, 5, 1), in_a_row, (), "warning", "pilot@1"
            )
            for scope in ("household", "member_share"):
                said = warning_text(count, scope)
                assert migration.english(as_data(said)) == str(said)
    registration = say(
        "Written warning: you must register as a job seeker at your community or township "
        "labour office (report 4 §五4); the deadline was %(deadline)s. (%(version)s)",
        deadline="2026-03-01",
        version="county-pilot@2020.1",
    )
    assert migration.english(as_data(registration)) == str(registration)
