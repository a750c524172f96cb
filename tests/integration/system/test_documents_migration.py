"""Migration 0015 on a real database: the documents table goes away on a downgrade without
touching the applications whose files it held, comes back empty and usable on the upgrade,
and the models and the migrations agree."""

from __future__ import annotations

from sqlalchemy import inspect, text

from alembic import command
from support import PageClient, create_household, household, make_account, member, move_to
from workbridge import migrations

PDF = b"%PDF-1.4\n%%EOF\n"


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _upload(pages: PageClient, application_id: int) -> None:
    """Through the page, as an officer does."""
    answer = pages.client.post(
        f"/app/applications/{application_id}/documents",
        data={"csrf_token": pages.csrf, "kind": "income_statement"},
        files={"file": ("收入证明.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_the_documents_migration_goes_down_and_up(client, engine, database_url, officer, clock):
    move_to(clock, "2026-02-20")
    created = create_household(client, officer, household(member("吴芳")))
    answer = client.post(
        "/api/v1/applications",
        json={"household_id": created["id"], "category_requested": "C"},
        headers=officer,
    )
    application_id = answer.json()["id"]
    make_account(engine, "zhou.officer", "benefit_officer")
    pages = PageClient(client)
    pages.sign_in("zhou.officer")
    _upload(pages, application_id)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM application_document")).scalar() == 1
    engine.dispose()
    migrations.downgrade(database_url, "0014", quiet=True)
    try:
        assert "application_document" not in _tables(engine)
        with engine.connect() as connection:
            kept = connection.execute(
                text("SELECT documents FROM application WHERE id = :a"), {"a": application_id}
            ).scalar_one()
        assert "income_statement" in str(kept)  # the kinds an application brought stay
        engine.dispose()
    finally:
        migrations.upgrade(database_url, quiet=True)
    assert "application_document" in _tables(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM application_document")).scalar() == 0
    _upload(pages, application_id)  # and it takes files again
    engine.dispose()
    command.check(migrations.alembic_config(database_url, quiet=True))  # no drift
