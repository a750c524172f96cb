"""What the person was sent by SMS and what came back: each message as it read on the handset,
when it left or why it waits (quiet hours hold offers until 08:00), whether it arrived, and the
replies from the same number.

A counsellor asked "did she get the offer?" had to ask the gateway's operator (issue 12). The
answer decides whether a silence may count as a refusal — an offer that never reached the
handset never does (POLICY.md safeguards) — so it belongs on the person's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from notifications.models import DeliveryReceipt, InboundMessage, OutboxMessage
from notifications.phones import InvalidPhone, to_e164
from notifications.templates import TEMPLATES, render


@dataclass(frozen=True)
class Sent:
    id: int
    template_key: str
    text: str  # in the language it was sent in
    locale: str
    status: str
    queued_at: datetime
    waits_until: datetime | None  # queued and held (quiet hours, a retry's backoff)
    sent_at: datetime | None
    finished_at: datetime | None
    receipt: str | None  # the network's last word on it (DELIVRD, UNDELIV...)


@dataclass(frozen=True)
class Received:
    text: str
    command: str
    code: str | None
    received_at: datetime


@dataclass(frozen=True)
class SmsHistory:
    phone: str | None
    sent: list[Sent]
    received: list[Received]
    limit: int = 50  # the most shown each way; the page says when there are more

    @property
    def cut(self) -> bool:
        return len(self.sent) >= self.limit or len(self.received) >= self.limit


def sms_history(session: Session, phone: str | None, now: datetime, limit: int = 50) -> SmsHistory:
    """The last ``limit`` messages each way for the person's number (none without one)."""
    if not phone:
        return SmsHistory(None, [], [])
    try:
        e164 = to_e164(phone)
    except InvalidPhone:
        return SmsHistory(phone, [], [])
    messages = list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.phone == e164)
            .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
            .limit(limit)
        )
    )
    receipts: dict[int, str] = {}
    ids = [m.id for m in messages if m.id is not None]
    if ids:
        for outbox_id, detail, status in session.exec(
            select(DeliveryReceipt.outbox_id, DeliveryReceipt.detail, DeliveryReceipt.status)
            .where(col(DeliveryReceipt.outbox_id).in_(ids))
            .order_by(col(DeliveryReceipt.reported_at), col(DeliveryReceipt.id))
        ):
            receipts[outbox_id or 0] = detail or status
    sent = [
        Sent(
            id=m.id or 0,
            template_key=m.template_key,
            text=_text(m),
            locale=m.locale,
            status=m.status,
            queued_at=m.created_at,
            waits_until=m.not_before if m.status == "queued" and m.not_before > now else None,
            sent_at=m.sent_at,
            finished_at=m.finished_at,
            receipt=receipts.get(m.id or 0),
        )
        for m in messages
    ]
    received = [
        Received(text=i.text, command=i.command, code=i.code, received_at=i.received_at)
        for i in session.exec(
            select(InboundMessage)
            .where(InboundMessage.phone == e164)
            .order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
            .limit(limit)
        )
    ]
    return SmsHistory(e164, sent, received, limit)


def _text(message: OutboxMessage) -> str:
    if message.template_key not in TEMPLATES:
        return ""
    try:
        return render(message.template_key, message.params, message.locale).text
    except (KeyError, ValueError):
        return ""  # a template changed since: the key and the status still tell
