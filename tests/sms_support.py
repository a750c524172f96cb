"""Builders shared by the SMS tests: offer parameters, enqueue in its own transaction, events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from kernel.events import DomainEvent, bus
from notifications.services import Enqueued, SendingRules, enqueue

SMS_TABLES = ["sms_outbox", "sms_dedupe", "sms_inbound", "sms_receipt", "sms_opt_out"]
CALLBACK_TOKEN = "cb-0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token"
PUBLIC = "https://jobs.example.cn"

captured: list[DomainEvent] = []


def _capture(_session: Any, event: DomainEvent) -> None:
    captured.append(event)


bus.subscribe(DomainEvent, _capture)


def sms_rows(engine: Engine) -> dict[str, int]:
    from sqlalchemy import text

    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in SMS_TABLES
        }


def of_type(events: list[DomainEvent], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


JOB: dict[str, Any] = {
    "code": "K7Q2",
    "employer": "皖东电子科技有限公司",
    "job_title": "电子装配工",
    "place": "城南工业园区",
    "wage": Decimal("2850.00"),
    "deadline": date(2026, 3, 12),
}
SANCTION: dict[str, Any] = {
    "amount": Decimal("300.00"),
    "starts_on": date(2026, 4, 1),
    "office": "定远县民政局",
    "appeal_by": date(2026, 5, 31),
}
PHONE = "+8613912345678"


def queue(
    engine: Engine,
    rules: SendingRules,
    now: datetime,
    *,
    key: str,
    template: str = "job_offer",
    params: dict[str, Any] | None = None,
    urgent: bool = False,
    phone: str = PHONE,
    reference: str | None = None,
    locale: str = "zh_CN",
) -> Enqueued:
    """Enqueue and commit, as a caller's decision would."""
    with Session(engine) as session:
        result = enqueue(
            session,
            phone=phone,
            locale=locale,
            template_key=template,
            params=JOB if params is None and template == "job_offer" else (params or SANCTION),
            reference=reference or f"test:{key}",
            urgent=urgent,
            dedupe_key=key,
            now=now,
            rules=rules,
        )
        session.commit()
    return result


def mark_sent(engine: Engine, message_id: int, gateway: str, provider_id: str) -> None:
    """What the worker records after the gateway accepted the message."""
    from sqlalchemy import update

    from notifications.models import OutboxMessage

    with Session(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)  # type: ignore[arg-type]
            .values(status="sent", gateway=gateway, provider_message_id=provider_id)
        )
        session.commit()


def outbox(engine: Engine) -> list[Any]:
    from sqlmodel import col, select

    from notifications.models import OutboxMessage

    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningClock:
    """A clock that starts at a chosen instant and then runs at real speed, so tests are at
    a known office hour (quiet hours) and still see retries fall due."""

    def __init__(self, start: datetime) -> None:
        import time

        self._start = start
        self._origin = time.monotonic()
        self.skipped = 0.0

    def now(self) -> datetime:
        import time
        from datetime import UTC, timedelta

        elapsed = time.monotonic() - self._origin + self.skipped
        return (self._start + timedelta(seconds=elapsed)).astimezone(UTC)

    def skip(self, seconds: float) -> None:
        self.skipped += seconds
