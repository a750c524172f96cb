"""Oversight alerts as tasks for the roles that own them (issue 17), on the county of
``oversight_support`` with one cut forced without a second officer's confirmation: in May 2026
the women's ratio (1.2752) and 北街社区 (0.34 against a median of 0.16) are the supervisors'
tasks, the cut without confirmation the admins'. Raised by the daily job, once; closed by a
person of the owning role with a note; every other way is refused and writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from oversight_support import build, known_county, stop
from sqlalchemy import func, select
from sqlmodel import Session

from activation.models import OversightTask
from benefits.models import Member
from kernel.models import AuditRecord
from support import signed_in
from workbridge import jobs

MAY_NOON = datetime(2026, 5, 20, 4, tzinfo=UTC)
OFFICE = "北街社区 停发比例为 0.34，超过中位数 0.16 的 2.0 倍"
FORCED = "1 次停发未经第二名工作人员确认"


@pytest.fixture
def raised(engine, app, clock) -> int:
    ids = build(engine, known_county(), date(2026, 5, 1))
    with Session(engine) as session:
        # a second stop of someone stopped already (新村's first): the shares stay as they are
        stopped = ids[-6]
        member = session.get(Member, stopped)
        assert member is not None
        forced = stop(stopped, member.household_id, date(2026, 5, 10), confirmed_by=None)
        session.add(forced)
        session.commit()
    clock.set(MAY_NOON)
    env = jobs.JobEnv(engine, app.state.policy, clock, app.state.settings.zone)
    return jobs.oversight_tasks(env)


def tasks(engine) -> list[tuple[str, str, str, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(
                OversightTask.month, OversightTask.alert, OversightTask.subject, OversightTask.owner
            ).order_by(OversightTask.id)
        ).all()
    return [tuple(row) for row in rows]


def test_each_alert_becomes_one_task_for_the_role_that_owns_it(raised, engine, app, clock) -> None:
    assert raised == 3
    assert sorted(tasks(engine)) == [
        ("2026-05", "cut-without-confirmation", "all", "admin"),
        ("2026-05", "group-ratio-high", "sex:female", "supervisor"),
        ("2026-05", "office-above-median", "community:北街社区", "supervisor"),
    ]
    env = jobs.JobEnv(engine, app.state.policy, clock, app.state.settings.zone)
    assert jobs.oversight_tasks(env) == 0  # again the same day, or the next: nothing new
    assert len(tasks(engine)) == 3
    with Session(engine) as session:
        audited = session.execute(
            select(func.count()).where(
                AuditRecord.entity == "oversight_task", AuditRecord.action == "raised"
            )
        ).scalar_one()
    assert audited == 3


def test_late_work_raises_last_months_tasks_in_the_next_month(engine, app, clock) -> None:
    """In June the job looks at May too: a stop recorded late for May still becomes a task."""
    build(engine, known_county(), date(2026, 5, 1))
    clock.set(datetime(2026, 6, 3, 4, tzinfo=UTC))
    env = jobs.JobEnv(engine, app.state.policy, clock, app.state.settings.zone)
    assert jobs.oversight_tasks(env) >= 2
    assert ("2026-05", "office-above-median", "community:北街社区", "supervisor") in tasks(engine)


def test_each_role_reads_and_closes_its_own_through_the_api(raised, client, tokens, engine) -> None:
    supervisor, admin = tokens.headers("supervisor"), tokens.headers("admin")
    theirs = client.get("/api/v1/oversight/tasks", headers=supervisor).json()
    assert {t["alert"] for t in theirs} == {"group-ratio-high", "office-above-median"}
    office = next(t for t in theirs if t["alert"] == "office-above-median")
    assert office["message"] == OFFICE and office["state"] == "open"
    assert "refs" not in office["facts"]  # a task keeps the alert's facts, never a person
    (mine,) = client.get("/api/v1/oversight/tasks", headers=admin).json()
    assert (mine["alert"], mine["message"]) == ("cut-without-confirmation", FORCED)

    path = f"/api/v1/oversight/tasks/{office['id']}/close"
    note = "与北街社区讨论了停发情况，复核了 17 个案件"
    for body, status, field in (
        ({"note": ""}, 422, "note"),
        ({"note": "x" * 1001}, 422, "note"),
        ({}, 422, "note"),
    ):
        answer = client.post(path, json=body, headers=supervisor)
        assert answer.status_code == status, body
        assert [p["field"] for p in answer.json()["problems"]] == [field]
    assert client.post(path, json={"note": note}, headers=admin).status_code == 404
    assert (
        client.post(path, json={"note": note}, headers=tokens.headers("counsellor")).status_code
        == 403
    )
    with Session(engine) as session:  # nothing refused was written
        assert session.get(OversightTask, office["id"]).state == "open"

    closed = client.post(path, json={"note": note}, headers=supervisor)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["note"]) == ("done", note)
    assert closed.json()["closed_by"].startswith("token:")  # who closed it
    again = client.post(path, json={"note": note}, headers=supervisor)
    assert again.status_code == 409
    done = client.get("/api/v1/oversight/tasks", params={"state": "done"}, headers=supervisor)
    assert [t["id"] for t in done.json()] == [office["id"]]
    left = client.get("/api/v1/oversight/tasks", headers=supervisor).json()
    assert [t["alert"] for t in left] == ["group-ratio-high"]


def test_bad_filters_are_listed(raised, client, tokens) -> None:
    answer = client.get(
        "/api/v1/oversight/tasks",
        params={"state": "closed", "month": "2026-13"},
        headers=tokens.headers("admin"),
    )
    assert answer.status_code == 422
    assert sorted(p["field"] for p in answer.json()["problems"]) == ["month", "state"]
    june = client.get(
        "/api/v1/oversight/tasks", params={"month": "2026-06"}, headers=tokens.headers("admin")
    )
    assert june.json() == []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh_CN", ("本角色的任务", "关闭任务", "最近关闭的任务")),
        ("en", ("Tasks for your role", "Close the task", "Closed recently")),
    ],
)
def test_the_page_lists_the_roles_tasks_and_closes_them_with_a_note(
    raised, client, engine, language, words
) -> None:
    heading, button, closed_heading = words
    pages = signed_in(client, engine, f"t.sup.{language}", "supervisor", language=language)
    page = pages.get("/app/oversight?month=2026-05")
    assert heading in page.text and button in page.text
    with Session(engine) as session:
        office_id, admin_id = (
            session.execute(
                select(OversightTask.id).where(OversightTask.alert == alert)
            ).scalar_one()
            for alert in ("office-above-median", "cut-without-confirmation")
        )
    assert f'id="task-{office_id}"' in page.text
    assert f'id="task-{admin_id}"' not in page.text  # the admins' task is not theirs

    empty = pages.post(f"/app/oversight/tasks/{office_id}/close?month=2026-05", {"note": " "})
    assert empty.status_code == 422
    assert 'data-field="note"' in empty.text
    other = pages.post(f"/app/oversight/tasks/{admin_id}/close?month=2026-05", {"note": "看过"})
    assert other.status_code == 404

    done = pages.post(
        f"/app/oversight/tasks/{office_id}/close?month=2026-05&office=",
        {"note": "已与社区讨论"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/app/oversight?month=2026-05#tasks"
    after = pages.get("/app/oversight?month=2026-05").text
    assert closed_heading in after and "已与社区讨论" in after
    assert f'id="task-{office_id}"' not in after
    with Session(engine) as session:
        task = session.get(OversightTask, office_id)
        assert task is not None and task.state == "done" and task.note == "已与社区讨论"


def test_the_dashboard_counts_the_roles_open_tasks(raised, client, engine) -> None:
    supervisor = signed_in(client, engine, "t.dash.sup", "supervisor", language="zh_CN")
    page = supervisor.get("/app/dashboard?months=6&to=2026-05").text
    assert "本角色有 2 项未完成的监督任务" in page
    admin = signed_in(client, engine, "t.dash.admin", "admin", language="en")
    assert (
        "1 open oversight task for your role"
        in admin.get("/app/dashboard?months=6&to=2026-05").text
    )
    officer = signed_in(client, engine, "t.dash.off", "benefit_officer", language="en")
    assert "oversight task" not in officer.get("/app/dashboard?months=6&to=2026-05").text
