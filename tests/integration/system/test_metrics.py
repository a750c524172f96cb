"""``GET /metrics``: who may read it, and that each figure moves when what it counts moves.

Latency is counted by route template (an id never becomes a label), the outbox's depth and age
and a running payment run's progress are read from the database at the scrape, and on
PostgreSQL whether anyone holds the scheduler's lock. Several worker processes summing their
figures is proven against real ``workbridge serve`` processes (tests/e2e/test_metrics_served.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benefits.models import PaymentRun
from kernel.locks import try_lock
from notifications.models import OutboxMessage
from workbridge.scheduler import LEADER_LOCK

TOKEN = "scrape-3f9c2a"
ASK = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scraping(app):
    app.state.settings = replace(app.state.settings, metrics_token=TOKEN)
    return app


def figures(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers=ASK)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.parametrize(
    ("headers", "language", "words"),
    [
        ({}, "zh-CN", "运行指标只提供给本机"),
        ({"Accept-Language": "en"}, "en", "given to this machine, or with the metrics token"),
        ({"Authorization": "Bearer wrong", "Accept-Language": "en"}, "en", "metrics token"),
        ({"Authorization": TOKEN}, "zh-CN", "运行指标"),  # the token without "Bearer"
    ],
)
def test_without_the_token_a_scrape_from_elsewhere_is_refused(
    scraping, client, headers, language, words
) -> None:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["content-language"] == language
    assert words in answer.json()["detail"]
    assert answer.json()["problems"][0]["rule"] == "metrics-token"


def test_without_a_token_set_only_this_machine_is_answered(app, client) -> None:
    assert app.state.settings.metrics_token is None
    assert client.get("/metrics").status_code == 403  # the test client is not on loopback
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 403


def test_requests_are_timed_by_route_template_and_status(scraping, client, tokens) -> None:
    before = figures(client)
    counsellor = tokens.headers("counsellor")
    assert client.get("/api/v1/policy/", headers=counsellor).status_code == 200
    assert client.get("/api/v1/policy/", headers=counsellor).status_code == 200
    assert client.get("/api/v1/cases/987654", headers=counsellor).status_code == 404
    assert client.get("/api/v1/policy/").status_code == 401
    after = figures(client)

    count = "workbridge_http_request_duration_seconds_count"
    policy = {"method": "GET", "route": "/api/v1/policy"}
    assert (
        value(after, count, **policy, status="200") - value(before, count, **policy, status="200")
        == 2
    )
    assert (
        value(after, count, **policy, status="401") - value(before, count, **policy, status="401")
        == 1
    )
    case = {"method": "GET", "route": "/api/v1/cases/{case_id}", "status": "404"}
    assert value(after, count, **case) - value(before, count, **case) == 1
    assert not [key for key in after if "987654" in str(key)]  # the id is not a label
    assert not [key for key in after if key[1] and dict(key[1]).get("route") == "/metrics"]
    bucket = "workbridge_http_request_duration_seconds_bucket"
    assert value(after, bucket, **policy, status="200", le="+Inf") >= 2
    assert value(after, "workbridge_http_requests_in_flight") == 0
    assert value(after, "workbridge_db_pool_in_use") == 0
    assert value(after, "workbridge_database_up") == 1


def _queue(engine, count: int, created: datetime, status: str = "queued") -> None:
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for index in range(count):
            conn.execute(
                table.insert().values(
                    dedupe_key=f"metrics-{status}-{index}",
                    phone="+8613800138000",
                    locale="zh_CN",
                    template_key="offer",
                    params={},
                    status=status,
                    not_before=created,
                    created_at=created + timedelta(seconds=index),
                )
            )


def test_the_outbox_depth_and_the_age_of_its_oldest_message(scraping, client, engine) -> None:
    empty = figures(client)
    assert value(empty, "workbridge_sms_outbox_messages", status="queued") == 0
    assert value(empty, "workbridge_sms_outbox_oldest_queued_seconds") == 0

    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    _queue(engine, 3, an_hour_ago)
    _queue(engine, 2, an_hour_ago - timedelta(days=2), status="sent")  # sent: not waiting
    _queue(engine, 1, an_hour_ago, status="sending")
    found = figures(client)
    assert value(found, "workbridge_sms_outbox_messages", status="queued") == 3
    assert value(found, "workbridge_sms_outbox_messages", status="sending") == 1
    age = value(found, "workbridge_sms_outbox_oldest_queued_seconds")
    assert 3590 <= age <= 3700


@pytest.mark.parametrize(
    ("done_through", "progress"), [(99, 0.0), (100, 0.01), (149, 0.5), (198, 0.99), (199, 1.0)]
)
def test_a_running_payment_run_shows_how_far_it_has_come(
    scraping, client, engine, done_through, progress
) -> None:
    table = PaymentRun.__table__  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for period, state in (("2026-10", "finished"), ("2026-11", "running")):
            conn.execute(
                table.insert().values(
                    period=period,
                    state=state,
                    month_first=date(2026, int(period[-2:]), 1),
                    month_last=date(2026, int(period[-2:]), 28),
                    parameter_version="v",
                    batch_size=10,
                    first_case_id=100,
                    last_case_id=199,
                    done_through_case_id=done_through if state == "running" else 199,
                    lines=42,
                    started_by="test",
                    started_at=now,
                    updated_at=now,
                )
            )
    found = figures(client)
    assert value(found, "workbridge_payment_run_progress", period="2026-11") == pytest.approx(
        progress
    )
    assert value(found, "workbridge_payment_run_lines", period="2026-11") == 42
    assert not [key for key in found if dict(key[1]).get("period") == "2026-10"]


def test_on_postgresql_the_scheduler_lock_is_seen_whoever_holds_it(scraping, client, engine):
    if engine.dialect.name != "postgresql":
        found = figures(client)
        assert ("workbridge_scheduler_leader_lock_held", ()) not in found
        return
    other = try_lock(engine, "payment-run")  # another advisory lock is not mistaken for it
    assert other is not None
    try:
        assert value(figures(client), "workbridge_scheduler_leader_lock_held") == 0
        held = try_lock(engine, LEADER_LOCK)
        assert held is not None
        try:
            assert value(figures(client), "workbridge_scheduler_leader_lock_held") == 1
        finally:
            held.release()
        assert value(figures(client), "workbridge_scheduler_leader_lock_held") == 0
    finally:
        other.release()
