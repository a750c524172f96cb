"""Fixtures for the SMS context: an app with SMS settings, captured events, row counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from sqlalchemy import Engine, text

from kernel.clock import FixedClock
from kernel.events import DomainEvent, bus
from kernel.settings import Settings
from notifications.services import SendingRules
from notifications.settings import SmsSettings
from workbridge.app import create_app

SMS_TABLES = ["sms_outbox", "sms_inbound", "sms_receipt", "sms_opt_out"]
CALLBACK_TOKEN = "cb-0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token"
PUBLIC = "https://jobs.example.cn"

_captured: list[DomainEvent] = []


def _capture(_session, event: DomainEvent) -> None:
    _captured.append(event)


bus.subscribe(DomainEvent, _capture)


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    """Every domain event published during the test, in order."""
    _captured.clear()
    yield _captured
    _captured.clear()


@pytest.fixture
def sms_settings() -> SmsSettings:
    return SmsSettings(
        gateway="console",
        public_base_url=PUBLIC,
        callback_token=CALLBACK_TOKEN,
        twilio_auth_token=TWILIO_TOKEN,
    )


@pytest.fixture
def rules(settings: Settings, sms_settings: SmsSettings) -> SendingRules:
    return SendingRules.from_settings(settings, sms_settings)


@pytest.fixture
def app(settings: Settings, clock: FixedClock, sms_settings: SmsSettings) -> Litestar:
    return create_app(settings, clock=clock, sms_settings=sms_settings)


def sms_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in SMS_TABLES
        }


def of_type(events: list[DomainEvent], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]
