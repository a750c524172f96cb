"""SMS tables: the outbox, the keys it was queued under, inbound replies, delivery receipts and
opt-outs.

Uniqueness lives in the database, not in code that checks first: a dedupe key can be queued
once, an inbound message or receipt (gateway + provider id) has one effect however often the
gateway pushes it (Alibaba retries failed pushes after 1, 5 and 10 minutes: SMS.md).

On PostgreSQL the outbox is partitioned by the month a message was queued (migration 0028,
``kernel.partitions``), and a partitioned table can only hold unique rules that contain its
partition key. So the rule "a key is queued once, for all time" lives in ``sms_dedupe``, a
narrow table written in the same transaction as the message, which outlives the month's
partition when it is detached for the archive.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from kernel.db import UTCDateTime


class OutboxMessage(SQLModel, table=True):
    """A message queued in the caller's transaction and sent later by the worker."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        Index("ix_sms_outbox_due", "status", "not_before", "id"),
        Index("ix_sms_outbox_provider", "gateway", "provider_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=64)  # unique through SmsDedupe, across all months
    reference: str | None = Field(default=None, max_length=120, index=True)
    phone: str = Field(max_length=16, index=True)  # E.164
    locale: str = Field(max_length=8)
    template_key: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    urgent: bool = False
    parts: int = 1  # SMS parts billed, signature included (SMS.md)
    status: str = Field(default="queued", max_length=16)
    not_before: datetime = Field(sa_type=UTCDateTime)  # due time: quiet hours, backoff
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=32)
    gateway: str | None = Field(default=None, max_length=16)
    provider_message_id: str | None = Field(default=None, max_length=80)
    last_error: str | None = Field(default=None, max_length=300)  # never the message text
    created_at: datetime = Field(sa_type=UTCDateTime)  # the partition key on PostgreSQL
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SmsDedupe(SQLModel, table=True):
    """A dedupe key, taken once for all time by the message queued under it.

    ``queued_at`` is the message's ``created_at``, the outbox's partition key: with the id it
    finds the message in its month's partition alone. After that month is detached the key
    stays here, so queuing the same key again is still a duplicate, never a second text."""

    __tablename__ = "sms_dedupe"

    dedupe_key: str = Field(primary_key=True, max_length=64)
    outbox_id: int = Field(unique=True)
    queued_at: datetime = Field(sa_type=UTCDateTime)


class InboundMessage(SQLModel, table=True):
    """A text a person sent us; one row per (gateway, provider message id)."""

    __tablename__ = "sms_inbound"
    __table_args__ = (
        UniqueConstraint("gateway", "provider_message_id"),
        Index("ix_sms_inbound_phone_received", "phone", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    gateway: str = Field(max_length=16)
    provider_message_id: str = Field(max_length=80)
    phone: str = Field(max_length=16)  # E.164
    text: str = Field(max_length=1600)  # kept for the counsellor (a reason); never logged
    command: str = Field(max_length=16)
    code: str | None = Field(default=None, max_length=8)
    received_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class DeliveryReceipt(SQLModel, table=True):
    """A delivery report; one row per (gateway, receipt key) so a repeat push has no effect."""

    __tablename__ = "sms_receipt"
    __table_args__ = (UniqueConstraint("gateway", "receipt_key"),)

    id: int | None = Field(default=None, primary_key=True)
    gateway: str = Field(max_length=16)
    receipt_key: str = Field(max_length=160)
    # The key's row, not the outbox row: a partitioned outbox can be referred to only by
    # (id, month), and a detached month must not take its receipts' reference with it.
    outbox_id: int | None = Field(default=None, foreign_key="sms_dedupe.outbox_id", index=True)
    status: str = Field(max_length=16)
    detail: str | None = Field(default=None, max_length=120)  # provider's code, e.g. DELIVRD
    reported_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class OptOut(SQLModel, table=True):
    """A number's answer to "may we text you offers?", changed by STOP / 退订 / START."""

    __tablename__ = "sms_opt_out"

    phone: str = Field(primary_key=True, max_length=16)  # E.164
    opted_out: bool
    changed_at: datetime = Field(sa_type=UTCDateTime)
    gateway: str = Field(max_length=16)
    keyword: str = Field(max_length=16)


class SendRate(SQLModel, table=True):
    """A gateway's token bucket, kept in the database so that every worker process sending
    through that gateway draws on the one rate the provider allows (``ratelimit.py``).

    ``refilled_at`` is seconds since the epoch by the worker's clock: a plain number keeps the
    refill arithmetic the same on both databases."""

    __tablename__ = "sms_send_rate"

    gateway: str = Field(primary_key=True, max_length=16)
    tokens: float
    refilled_at: float
