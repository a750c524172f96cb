"""Fixtures for the SMS context: an app with SMS settings, captured events, sending rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar

from kernel.clock import FixedClock
from kernel.events import DomainEvent
from kernel.settings import Settings
from notifications.services import SendingRules
from notifications.settings import SmsSettings
from sms_support import CALLBACK_TOKEN, PUBLIC, TWILIO_TOKEN, captured
from workbridge.app import create_app


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    """Every domain event published during the test, in order."""
    captured.clear()
    yield captured
    captured.clear()


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
