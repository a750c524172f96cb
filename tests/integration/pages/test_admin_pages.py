"""An administrator's upkeep of accounts through the pages, each change audited with what it
was before and after: a counsellor moved to another office sees that office's people from their
next page; a disabled account is signed out at once and cannot sign in; an unlock lifts a
lock-out; a new password ends the sessions the old one opened. An administrator cannot take
their own access away. The audit trail is paged, filtered and exported (issue 12)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from kernel.models import AuditRecord, UserAccount, WebSession
from support import PASSWORD, Desk, PageClient, household, make_account, member


@pytest.fixture
def other(app) -> Iterator[PageClient]:
    """A second browser: the person whose account the administrator changes."""
    with TestClient(app) as client:
        yield PageClient(client)


@pytest.fixture
def admin(engine, client) -> PageClient:
    make_account(engine, "root.admin", "admin", language="en")
    pages = PageClient(client)
    assert pages.sign_in("root.admin").status_code == 303
    return pages


def account_id(engine, username: str) -> int:
    with Session(engine) as session:
        found = session.exec(select(UserAccount.id).where(UserAccount.username == username)).one()
        return found or 0


def trail(engine, account: int) -> list[AuditRecord]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditRecord)
                .where(AuditRecord.entity == "user_account", AuditRecord.entity_id == str(account))
                .order_by(col(AuditRecord.id))
            )
        )


def form_of(engine, username: str, **changes: str) -> dict[str, str]:
    with Session(engine) as session:
        a = session.exec(select(UserAccount).where(UserAccount.username == username)).one()
        base = {
            "display_name": a.display_name,
            "role": a.role,
            "office": a.office or "",
            "provider_id": str(a.provider_id or ""),
            "language": a.language,
        }
    return {**base, **changes}


def test_a_counsellor_moved_to_another_office_sees_its_people_from_the_next_page(
    engine, client, tokens, clock, admin, other
) -> None:
    desk = Desk(client, tokens, clock)
    east = desk.household_with_case(member("东街甲", incomes=[("wages", "100.00")]))
    west_id = client.post(
        "/api/v1/households",
        json=household(member("西街乙"), community="西街社区", township="西镇"),
        headers=desk.officer,
    ).json()["members"][0]["id"]
    east_id = east["members"][0]["id"]
    admin.sign_in("root.admin")  # the desk's procedure moved the clock on by days
    make_account(engine, "move.counsellor", "counsellor", office="东街社区", language="en")
    assert other.sign_in("move.counsellor").status_code == 303
    assert other.get(f"/app/people/{east_id}").status_code == 200
    assert other.get(f"/app/people/{west_id}").status_code == 404

    target = account_id(engine, "move.counsellor")
    moved = admin.post(
        f"/app/admin/accounts/{target}", form_of(engine, "move.counsellor", office="西街社区")
    )
    assert moved.status_code == 303
    assert other.get(f"/app/people/{west_id}").status_code == 200  # same session, new rights
    assert other.get(f"/app/people/{east_id}").status_code == 404
    changed = [r for r in trail(engine, target) if r.action == "changed"]
    assert changed[-1].details["office"] == {"before": "东街社区", "after": "西街社区"}
    assert changed[-1].actor.endswith("root.admin")
    page = admin.get(f"/app/admin/accounts/{target}").text
    assert "The account is changed" in page or "changed" in page


def test_disabling_signs_the_person_out_now_and_enabling_lets_them_back(
    engine, admin, other
) -> None:
    make_account(engine, "gone.officer", "benefit_officer", language="en")
    assert other.sign_in("gone.officer").status_code == 303
    assert other.get("/app/applications").status_code == 200
    target = account_id(engine, "gone.officer")
    no_reason = admin.post(f"/app/admin/accounts/{target}/disable", {"reason": ""})
    assert no_reason.status_code == 422 and 'data-field="reason"' in no_reason.text
    assert other.get("/app/applications").status_code == 200  # nothing happened

    assert (
        admin.post(f"/app/admin/accounts/{target}/disable", {"reason": "调往县局"}).status_code
        == 303
    )
    out = other.client.get("/app/applications", follow_redirects=False)
    assert out.status_code == 303 and "/app/login" in out.headers["location"]
    assert other.sign_in("gone.officer").status_code == 401
    with Session(engine) as session:
        open_sessions = session.exec(
            select(WebSession).where(
                WebSession.account_id == target, col(WebSession.ended_at).is_(None)
            )
        ).all()
    assert open_sessions == []
    record = [r for r in trail(engine, target) if r.action == "disabled"][-1]
    assert record.reason == "调往县局" and record.details["sessions_ended"] == 1
    listed = admin.get("/app/admin/accounts?state=disabled").text
    assert "gone.officer" in listed

    assert admin.post(f"/app/admin/accounts/{target}/enable", {}).status_code == 303
    assert other.sign_in("gone.officer").status_code == 303
    assert [r.action for r in trail(engine, target)][-2:] == ["disabled", "enabled"]


def test_unlock_lifts_a_lock_out_and_a_new_password_ends_the_old_sessions(
    engine, admin, other, app
) -> None:
    make_account(engine, "forgetful", "counsellor", language="en")
    for _ in range(5):
        other.sign_in("forgetful", "wrong password")
    assert other.sign_in("forgetful").status_code == 423  # locked, even with the right one
    target = account_id(engine, "forgetful")
    assert "Unlock the account" in admin.get(f"/app/admin/accounts/{target}").text
    assert admin.post(f"/app/admin/accounts/{target}/unlock", {}).status_code == 303
    assert other.sign_in("forgetful").status_code == 303
    assert trail(engine, target)[-1].details["failed_attempts"] == 5

    short = admin.post(
        f"/app/admin/accounts/{target}/password", {"password": "short", "password_again": "x"}
    )
    assert short.status_code == 422
    assert 'data-field="password"' in short.text and 'data-field="password_again"' in short.text
    new = "a new long password"
    assert (
        admin.post(
            f"/app/admin/accounts/{target}/password", {"password": new, "password_again": new}
        ).status_code
        == 303
    )
    gone = other.client.get("/app/today", follow_redirects=False)
    assert gone.status_code == 303  # the session the old password opened has ended
    assert other.sign_in("forgetful", PASSWORD).status_code == 401
    assert other.sign_in("forgetful", new).status_code == 303
    record = trail(engine, target)[-1]
    assert record.action == "password_reset" and new not in json.dumps(record.details)


def test_an_administrator_cannot_take_away_their_own_access(engine, admin) -> None:
    me = account_id(engine, "root.admin")
    demoted = admin.post(
        f"/app/admin/accounts/{me}", form_of(engine, "root.admin", role="counsellor")
    )
    assert demoted.status_code == 422 and 'data-rule="own-account"' in demoted.text
    assert admin.post(f"/app/admin/accounts/{me}/disable", {"reason": "test"}).status_code == 422
    with Session(engine) as session:
        mine = session.get(UserAccount, me)
        assert mine and mine.role == "admin" and mine.disabled_at is None
    # but a name or language of one's own can change
    renamed = admin.post(
        f"/app/admin/accounts/{me}", form_of(engine, "root.admin", display_name="根")
    )
    assert renamed.status_code == 303


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"role": "training_provider", "provider_id": ""}, {"provider_id"}),
        ({"role": "counsellor", "provider_id": "1"}, {"provider_id"}),
        ({"role": "mayor"}, {"role"}),
        ({"provider_id": "99999999999"}, {"provider_id"}),
        ({"display_name": ""}, {"display_name"}),
        ({"language": "fr"}, {"language"}),
        ({"role": "mayor", "display_name": "", "language": "fr"}, {"role", "language"}),
    ],
)
def test_a_bad_change_lists_every_problem_and_changes_nothing(
    engine, admin, changes, fields
) -> None:
    make_account(engine, "steady.officer", "benefit_officer", office="东街社区")
    target = account_id(engine, "steady.officer")
    before = form_of(engine, "steady.officer")
    answer = admin.post(
        f"/app/admin/accounts/{target}", form_of(engine, "steady.officer", **changes)
    )
    assert answer.status_code == 422
    assert fields <= {f for f in fields if f'data-field="{f}"' in answer.text}
    assert form_of(engine, "steady.officer") == before
    assert not [r for r in trail(engine, target) if r.action == "changed"]


def test_unknown_accounts_and_other_roles(engine, admin, other) -> None:
    assert admin.get("/app/admin/accounts/99999").status_code == 404
    assert admin.post("/app/admin/accounts/99999/unlock", {}).status_code == 404
    make_account(engine, "nosy.officer", "benefit_officer")
    other.sign_in("nosy.officer")
    assert other.get("/app/admin/audit").status_code == 403
    assert other.get(f"/app/admin/accounts/{account_id(engine, 'root.admin')}").status_code == 403


def test_the_audit_trail_is_paged_filtered_and_exported_in_words(engine, admin) -> None:
    for n in range(30):
        make_account(engine, f"staff.{n:02d}", "counsellor")
        admin.post(f"/app/admin/accounts/{account_id(engine, f'staff.{n:02d}')}/unlock", {})
    first = admin.get("/app/admin/audit?action=unlocked&per=25")
    assert first.status_code == 200 and "of 30" in first.text and 'rel="next"' in first.text
    assert "unlocked" in first.text and "account #" in first.text
    bad = admin.get("/app/admin/audit?from=2026-13-01&to=yesterday")
    assert bad.status_code == 422
    assert 'data-field="from"' in bad.text and 'data-field="to"' in bad.text
    backwards = admin.get("/app/admin/audit?from=2026-03-02&to=2026-03-01")
    assert backwards.status_code == 422
    sheet = admin.get("/app/admin/audit?action=unlocked&format=csv")
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert len(rows) == 31 and rows[0][:2] == ["When", "Who"]
    assert {r[rows[0].index("What was done")] for r in rows[1:]} == {"unlocked"}
    admin.post("/app/language", {"language": "zh_CN"})
    book = admin.get("/app/admin/audit?action=unlocked&format=xlsx")
    table = list(load_workbook(io.BytesIO(book.content), read_only=True).active.values)
    assert table[0][0] == "时间" and {r[5] for r in table[1:]} == {"已解锁"}
    assert {r[3] for r in table[1:]} == {"账户"}
