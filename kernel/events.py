"""Domain events: how a leaf context tells others about news without importing them.

Handlers run synchronously inside the publisher's transaction, so an event's effects commit or
roll back with the change that caused it. The composition root (``workbridge``) subscribes
handlers once at start-up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True)
class DomainEvent:
    """Base class; concrete events are frozen dataclasses named in the past tense."""


Handler = Callable[[Session, Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        """Remove a handler (tests that listen for an event clean up after themselves)."""
        if handler in self._handlers[event_type]:
            self._handlers[event_type].remove(handler)

    def publish(self, session: Session, event: DomainEvent) -> None:
        for event_type in type(event).__mro__:
            for handler in self._handlers.get(event_type, []):  # type: ignore[arg-type]
                handler(session, event)


bus = EventBus()


# --- news from leaf contexts (published by them, handled by activation) --------------------


@dataclass(frozen=True)
class PlacementReported(DomainEvent):
    """A training provider reported that a trainee took a job (report 4 §五1: 输出)."""

    member_id: int
    provider_id: int
    course_id: int
    report_id: str  # the provider's own idempotency key
    employer: str
    occupation: str  # CSCO code or free text
    start_date: date
    monthly_income: Decimal
    hours_per_week: int | None


@dataclass(frozen=True)
class SmsReplyReceived(DomainEvent):
    """A recipient's text, parsed into a command (accept, decline, reason, status, help).

    ``code`` is the offer code the person typed ("1 K7P2" → accept K7P2), or None for a bare
    answer. Opt-out words never arrive here: they are handled by notifications and announced
    with ``SmsOptOutChanged``.
    """

    phone: str  # E.164
    command: str  # "accept" | "decline" | "reason" | "status" | "unknown"
    code: str | None
    text: str
    received_at: datetime
    gateway: str
    provider_message_id: str


@dataclass(frozen=True)
class SmsOptOutChanged(DomainEvent):
    """A number opted out of (or back into) offers by text (STOP / 退订 / TD ...)."""

    phone: str
    opted_out: bool
    at: datetime
    gateway: str


@dataclass(frozen=True)
class SmsDeliveryChanged(DomainEvent):
    """A gateway reported the fate of an outbound message.

    ``reference`` is the reference the sender gave when queueing it (e.g. "referral:42").
    ``delivered`` is True once the handset has it, False when it definitively failed.
    """

    message_id: int
    reference: str | None
    delivered: bool
    status: str
    at: datetime
