"""A claim reads the messages it takes, not the month's outbox (``OutboxWorker._claim_statement``,
migration 0031). Messages queued together share one due instant; with the index on status and
due time alone, PostgreSQL read and sorted all of them for every claim, and the earlier single
OR over queued and lapsed messages read every row of the month, sent ones included. Measured
here with EXPLAIN ANALYZE on a real server: the rows the plan's scans of the outbox return."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql

from kernel.db import make_engine
from notifications.gateways import KannelGateway
from notifications.settings import SmsSettings
from notifications.worker import OutboxWorker
from workbridge import migrations
from workbridge.loopback_cluster import Cluster

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: not quiet hours
QUEUED, SENT, LIMIT = 3_000, 3_000, 32


@pytest.fixture(scope="module")
def busy_outbox(server: Cluster) -> Iterator[Engine]:
    url = server.create_database("claim_reads")
    migrations.upgrade(url, quiet=True)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sms_outbox (dedupe_key, phone, locale, template_key, params,"
                " urgent, parts, status, not_before, attempts, created_at)"
                " SELECT 'k' || n, '+86139' || lpad(n::text, 8, '0'), 'zh_CN', 'job_offer',"
                " '{}', false, 1, CASE WHEN n <= :queued THEN 'queued' ELSE 'sent' END,"
                " :due, 0, :due FROM generate_series(1, :total) AS n"
            ),
            {"queued": QUEUED, "total": QUEUED + SENT, "due": NOW - timedelta(minutes=5)},
        )
        conn.execute(text("ANALYZE sms_outbox"))
    yield engine
    engine.dispose()


def outbox_rows_read(plan: dict[str, Any]) -> int:
    """Rows returned by every scan of an outbox partition in the plan, over all its loops."""
    own = 0
    if plan.get("Relation Name", "").startswith("sms_outbox") and "Scan" in plan["Node Type"]:
        own = plan["Actual Rows"] * plan["Actual Loops"]
    return own + sum(outbox_rows_read(child) for child in plan.get("Plans", []))


def test_a_claim_reads_about_what_it_takes(busy_outbox, sms_settings: SmsSettings, rules) -> None:
    worker = OutboxWorker(busy_outbox, KannelGateway(sms_settings, None), sms_settings, rules)  # type: ignore[arg-type]
    compiled = worker._claim_statement(NOW, "token", LIMIT).compile(dialect=postgresql.dialect())
    with busy_outbox.connect() as conn:
        raw = conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", compiled.params
        ).scalar_one()
        conn.rollback()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    assert plan["Actual Rows"] == LIMIT  # the claim took its limit ...
    # ... reading the rows it took, once to choose and once to update them, and no others
    assert outbox_rows_read(plan) <= 2 * LIMIT + 2
