"""The SMS outbox by month (migration 0028): its keys kept once for all time in ``sms_dedupe``,
the outbox partitioned on a real PostgreSQL started on loopback, and a month detached only when
none of its messages is still at work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from kernel import partitions
from kernel.db import make_engine
from kernel.policy import load_profile
from notifications.gateways import KannelGateway
from notifications.receipts import Status
from notifications.services import SendingRules
from notifications.settings import SmsSettings
from notifications.worker import OutboxWorker, Outcome
from sms_support import RunningClock, queue
from workbridge import migrations
from workbridge.cli import main
from workbridge.loopback_cluster import Cluster

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in the office: outside quiet hours
LATE_MARCH = datetime(2026, 3, 30, 2, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)
RULES = SendingRules(zone=SHANGHAI, policy=load_profile("county-pilot"), signature="【定远就业】")
SETTINGS = SmsSettings(
    gateway="kannel",
    kannel_sendsms_url="http://127.0.0.1:9/cgi-bin/sendsms",  # never called: claims only
    kannel_username="workbridge",
    kannel_password="secret",
    rate_per_second=0,
)


@pytest.fixture
def at_0027(server: Cluster) -> Iterator[tuple[str, Engine]]:
    """A database as it was before the outbox had partitions."""
    url = server.create_database(f"outbox_{datetime.now(UTC):%H%M%S%f}")
    migrations.upgrade(url, "0027", quiet=True)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def _queue_raw(connection: Connection, key: str, at: datetime, status: str) -> int:
    """A message as the code of migration 0027 queued it (no key row: there was no table)."""
    return connection.execute(
        text(
            "INSERT INTO sms_outbox (dedupe_key, phone, locale, template_key, params, urgent, "
            "parts, status, not_before, attempts, created_at) VALUES (:key, '+8613912345678', "
            "'zh_CN', 'job_offer', '{}', false, 1, :status, :at, 0, :at) RETURNING id"
        ),
        {"key": key, "at": at, "status": status},
    ).scalar_one()


def _rows(engine: Engine, query: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query)).all()]


def _kind(engine: Engine) -> str:
    (kind,) = _rows(engine, "SELECT relkind FROM pg_class WHERE relname = 'sms_outbox'")[0]
    return kind


def test_an_outbox_is_converted_with_every_message_and_key_and_back(at_0027) -> None:
    url, engine = at_0027
    with engine.begin() as connection:
        queued = _queue_raw(connection, "offer:1", MARCH, "queued")
        sent = _queue_raw(connection, "offer:2", MARCH, "sent")
        april = _queue_raw(connection, "offer:3", APRIL, "sent")
        connection.execute(
            text(
                "INSERT INTO sms_receipt (gateway, receipt_key, outbox_id, status, reported_at, "
                "recorded_at) VALUES ('kannel', 'r-2', :id, 'delivered', :at, :at)"
            ),
            {"id": sent, "at": MARCH},
        )
    everything = "SELECT * FROM sms_outbox ORDER BY id"
    before = _rows(engine, everything)
    receipts = _rows(engine, "SELECT * FROM sms_receipt ORDER BY id")

    migrations.upgrade(url, quiet=True)
    assert _kind(engine) == "p"
    assert _rows(engine, everything) == before
    assert _rows(engine, "SELECT * FROM sms_receipt ORDER BY id") == receipts
    assert _rows(engine, "SELECT dedupe_key, outbox_id, queued_at FROM sms_dedupe ORDER BY 1") == [
        ("offer:1", queued, MARCH),
        ("offer:2", sent, MARCH),
        ("offer:3", april, APRIL),
    ]
    assert _rows(engine, "SELECT count(*) FROM sms_outbox_2026_03") == [(2,)]

    # A key queued before the conversion is still taken; a new one is queued in its month.
    assert queue(engine, RULES, APRIL, key="offer:2").outcome == "duplicate"
    fresh = queue(engine, RULES, APRIL, key="offer:4")
    assert fresh.outcome == "queued"
    assert _rows(engine, "SELECT id FROM sms_outbox_2026_04 ORDER BY id") == [
        (april,),
        (fresh.message_id,),
    ]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("INSERT INTO sms_dedupe VALUES ('offer:1', 999999, :at)"), {"at": APRIL}
        )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sms_receipt (gateway, receipt_key, outbox_id, status, reported_at, "
                "recorded_at) VALUES ('kannel', 'r-x', 999999, 'delivered', :at, :at)"
            ),
            {"at": APRIL},
        )

    # The worker claims across months and writes each outcome into its month's partition.
    worker = OutboxWorker(
        engine,
        KannelGateway(None, SETTINGS),  # type: ignore[arg-type]
        SETTINGS,
        RULES,
        clock=RunningClock(APRIL),
    )
    claimed = worker.claim(10)
    assert [(c.id, c.created_at) for c in claimed] == [(queued, MARCH), (fresh.message_id, APRIL)]
    worker.record([Outcome(c, Status.SENT, APRIL, provider_message_id=f"p{c.id}") for c in claimed])
    assert _rows(engine, "SELECT id, status FROM sms_outbox_2026_03 ORDER BY id") == [
        (queued, "sent"),
        (sent, "sent"),
    ]
    assert _rows(engine, f"SELECT status FROM sms_outbox WHERE id = {fresh.message_id}") == [
        ("sent",)
    ]

    migrations.downgrade(url, "0027", quiet=True)
    assert _kind(engine) == "r"
    assert _rows(engine, "SELECT to_regclass('sms_dedupe') IS NULL") == [(True,)]
    assert len(_rows(engine, everything)) == 4
    with pytest.raises(IntegrityError), engine.begin() as connection:
        _queue_raw(connection, "offer:1", APRIL, "queued")  # the outbox's own rule is back


def test_a_month_is_detached_only_when_none_of_its_messages_is_at_work(
    at_0027, monkeypatch
) -> None:
    url, engine = at_0027
    migrations.upgrade(url, quiet=True)
    partitions.ensure_ahead(engine, date(2026, 3, 1), ahead=1)
    waiting = queue(engine, RULES, MARCH, key="offer:1").message_id
    gone = queue(engine, RULES, LATE_MARCH, key="offer:2").message_id
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE sms_outbox SET status = 'sent' WHERE id = {gone}"))

    detached, kept = partitions.detach_before(engine, date(2026, 4, 1))
    assert kept == ["sms_outbox_2026_03"]
    assert "payment_line_2026_03" in detached and "sms_outbox_2026_03" not in detached
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", url)
    assert main(["partitions", "detach", "--before", "2026-04"]) == 3  # still kept back

    with engine.begin() as connection:
        connection.execute(text(f"UPDATE sms_outbox SET status = 'sent' WHERE id = {waiting}"))
    assert main(["partitions", "detach", "--before", "2026-04"]) == 0
    assert _rows(engine, "SELECT count(*) FROM sms_outbox_2026_03") == [(2,)]  # the archive's
    assert _rows(engine, "SELECT count(*) FROM sms_outbox") == [(0,)]

    # Its keys stay taken: the same key queued again is the archived message, not a new text.
    again = queue(engine, RULES, APRIL, key="offer:1")
    assert (again.outcome, again.message_id, again.send_after) == ("duplicate", waiting, None)
    assert _rows(engine, "SELECT count(*) FROM sms_outbox") == [(0,)]


def test_on_sqlite_the_keys_move_to_their_table_and_back(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'county.db'}"
    migrations.upgrade(url, "0027", quiet=True)
    engine = make_engine(url)
    with engine.begin() as connection:
        first = _queue_raw(connection, "offer:1", MARCH, "queued")
    migrations.upgrade(url, quiet=True)
    assert _rows(engine, "SELECT dedupe_key, outbox_id FROM sms_dedupe") == [("offer:1", first)]
    assert queue(engine, RULES, APRIL, key="offer:1").outcome == "duplicate"
    assert queue(engine, RULES, APRIL, key="offer:2").outcome == "queued"
    migrations.downgrade(url, "0027", quiet=True)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        _queue_raw(connection, "offer:2", APRIL, "queued")
    engine.dispose()
