"""Migration 0035 on a real database: rejections made before it take their day from the
vulnerability review or from the second officer's decision in the audit trail."""

from __future__ import annotations

from sqlalchemy import text

from support import Desk, refusal_story
from workbridge import migrations


def test_rejections_made_before_the_column_get_their_day(
    client, tokens, clock, engine, database_url
) -> None:
    desk = Desk(client, tokens, clock)
    decided = refusal_story(desk, confirm=False)["sanction_id"]  # rejected on 6 April
    engine.dispose()
    migrations.downgrade(database_url, "0034", quiet=True)
    try:
        with engine.begin() as conn:
            reviewed = conn.execute(  # a second one, rejected at the vulnerability review
                text(
                    "INSERT INTO sanction (member_id, household_id, state, proposed_on, "
                    "proposed_by, referral_ids, count_decision_id, vulnerability_review) "
                    "SELECT member_id, household_id, 'rejected', proposed_on, proposed_by, "
                    "referral_ids, count_decision_id, :review FROM sanction WHERE id = :id "
                    "RETURNING id"
                ),
                {
                    "id": decided,
                    "review": '{"on": "2026-04-07", "proceed": false, "by": "user:3:x"}',
                },
            ).scalar_one()
        engine.dispose()
    finally:
        migrations.upgrade(database_url, quiet=True)
    with engine.connect() as conn:
        days = dict(conn.execute(text("SELECT id, rejected_on FROM sanction")).all())
    assert {k: str(v)[:10] for k, v in days.items()} == {
        decided: "2026-04-06",
        reviewed: "2026-04-07",
    }
