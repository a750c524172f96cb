"""The demo gateway: writes each message to the log (phone masked) instead of sending it."""

from __future__ import annotations

import logging
from collections import deque

from notifications.gateways.base import Accepted, OutgoingSms, SmsGateway
from notifications.phones import mask_phone

log = logging.getLogger("notifications.console")


class ConsoleGateway(SmsGateway):
    name = "console"

    def __init__(self) -> None:
        self.sent: deque[OutgoingSms] = deque(maxlen=1000)  # the latest, for the demo and tests

    async def send(self, sms: OutgoingSms) -> Accepted:
        self.sent.append(sms)
        log.info("SMS to %s [%s]: %s", mask_phone(sms.phone), sms.template_key, sms.full_text)
        return Accepted(provider_message_id=f"console-{sms.key}")
