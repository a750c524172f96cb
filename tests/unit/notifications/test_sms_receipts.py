"""Provider statuses map onto ours, and a message only moves forward."""

import pytest

from notifications.receipts import (
    Status,
    advances,
    alibaba_status,
    kannel_status,
    tencent_status,
    twilio_status,
)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("queued", None),
        ("sending", None),
        ("accepted", None),
        ("sent", Status.SENT),
        ("delivered", Status.DELIVERED),
        ("read", Status.DELIVERED),
        ("undelivered", Status.UNDELIVERED),
        ("partially_delivered", Status.UNDELIVERED),
        ("failed", Status.FAILED),
        ("canceled", Status.FAILED),
    ],
)
def test_twilio(value, status) -> None:
    assert twilio_status(value) is status


def test_alibaba_tencent_kannel() -> None:
    assert alibaba_status(True) is Status.DELIVERED
    assert alibaba_status(False) is Status.UNDELIVERED
    assert tencent_status("SUCCESS") is Status.DELIVERED
    assert tencent_status("fail") is Status.UNDELIVERED
    assert tencent_status("MAYBE") is None
    assert [kannel_status(t) for t in (1, 2, 4, 8, 16)] == [
        Status.DELIVERED,
        Status.UNDELIVERED,
        None,
        Status.SENT,
        Status.FAILED,
    ]


@pytest.mark.parametrize(
    ("current", "new", "moves"),
    [
        (Status.SENDING, Status.SENT, True),
        (Status.SENT, Status.DELIVERED, True),
        (Status.SENDING, Status.DELIVERED, True),  # a receipt can beat the worker's record
        (Status.SENT, Status.SENT, False),
        (Status.DELIVERED, Status.SENT, False),  # a late "sent" never undoes "delivered"
        (Status.DELIVERED, Status.UNDELIVERED, False),  # the first final status stands
        (Status.FAILED, Status.DELIVERED, False),
        (Status.CANCELLED, Status.DELIVERED, False),
    ],
)
def test_only_forward(current, new, moves) -> None:
    assert advances(current, new) is moves
