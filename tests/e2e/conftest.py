"""Session-wide real peers (Prism, Kannel, Chromium) and per-test SMS fixtures for end-to-end
tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sms_peers import Kannel, Prism, free_port

from kernel.events import DomainEvent
from kernel.settings import Settings
from notifications.services import SendingRules
from notifications.settings import SmsSettings
from sms_support import captured


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    peer = Prism(tmp_path_factory.mktemp("prism"))
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def app_port() -> int:
    """Our app's port, fixed for the session because Kannel's MO service is configured with it."""
    return free_port()


@pytest.fixture(scope="session")
def callback_token() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture(scope="session")
def kannel(
    tmp_path_factory: pytest.TempPathFactory, app_port: int, callback_token: str
) -> Iterator[Kannel]:
    peer = Kannel(tmp_path_factory.mktemp("kannel"), app_port=app_port, token=callback_token)
    yield peer
    peer.stop()


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    captured.clear()
    yield captured
    captured.clear()


@pytest.fixture
def rules(settings: Settings) -> SendingRules:
    return SendingRules.from_settings(settings, SmsSettings())


CHROMIUM = Path(os.environ.get("WORKBRIDGE_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: install Debian's package "
            "(apt-get install -y chromium); .ci/run does this when it is absent"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        yield browser
        browser.close()
