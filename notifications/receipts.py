"""Delivery receipts in each gateway's words, mapped onto the outbox's statuses.

An outbox message moves forward only: queued → sending → sent → one final status (delivered,
undelivered, failed or cancelled). A late or repeated receipt never moves it back, and the
first final status stands, because the caller (activation) has already acted on it.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"  # the network gave up on the handset
    FAILED = "failed"  # the gateway refused it, or we gave up retrying
    CANCELLED = "cancelled"  # never sent: the number opted out before it went


FINAL = frozenset({Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.CANCELLED})
_RANK = {Status.QUEUED: 0, Status.SENDING: 1, Status.SENT: 2}


def rank(status: Status) -> int:
    return _RANK.get(status, 3)


def advances(current: Status, new: Status) -> bool:
    """True if a receipt saying ``new`` should replace ``current``."""
    if current in FINAL:
        return False
    return rank(new) > rank(current)


def twilio_status(value: str) -> Status | None:
    """Twilio's MessageStatus (SMS.md lists them); None for states that change nothing."""
    return {
        "sent": Status.SENT,
        "delivered": Status.DELIVERED,
        "read": Status.DELIVERED,
        "undelivered": Status.UNDELIVERED,
        # Some parts never arrived: an offer with a missing part is not a delivered offer.
        "partially_delivered": Status.UNDELIVERED,
        "failed": Status.FAILED,
        "canceled": Status.FAILED,
    }.get(value.strip().lower())


def alibaba_status(success: bool) -> Status:
    """SmsReport: ``success`` true once the handset has it; any false is final."""
    return Status.DELIVERED if success else Status.UNDELIVERED


def tencent_status(report_status: str) -> Status | None:
    return {"SUCCESS": Status.DELIVERED, "FAIL": Status.UNDELIVERED}.get(
        report_status.strip().upper()
    )


def kannel_status(dlr_type: int) -> Status | None:
    """Kannel's %d: 1 delivered, 2 failed at the handset, 4 buffered, 8 accepted by the SMSC,
    16 rejected by the SMSC."""
    return {
        1: Status.DELIVERED,
        2: Status.UNDELIVERED,
        8: Status.SENT,
        16: Status.FAILED,
    }.get(dlr_type)
