"""Kannel smsbox: ``GET /cgi-bin/sendsms`` on a real SMS gateway we can run ourselves.

SMS.md: answers ``202 0: Accepted for delivery`` (or ``3: Queued for later delivery``), 403 for
a bad password, 400 for a missing ``to``. Chinese needs ``coding=2&charset=UTF-8`` or it
arrives garbled; ``dlr-mask=31`` with a ``dlr-url`` asks for every delivery report, and the
DLR URL carries the outbox key (Kannel returns no message id of its own).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from notifications.gateways.base import (
    Accepted,
    GatewayError,
    OutgoingSms,
    SmsGateway,
    http_error,
    transport_error,
)
from notifications.segments import UCS2, measure
from notifications.settings import SmsSettings

DLR_MASK = "31"  # delivered, failed, buffered, SMSC accepted, SMSC rejected


def dlr_url(settings: SmsSettings, key: str) -> str:
    """Our DLR webhook with Kannel's escapes: %d the report type, %T its Unix time."""
    base = f"{settings.public_base_url}/webhooks/sms/kannel/{settings.callback_token}/dlr"
    return f"{base}?key={quote(key, safe='')}&type=%d&at=%T"


class KannelGateway(SmsGateway):
    name = "kannel"
    confirms_opt_out = False  # a bare SMSC link: nobody else answers 退订, so we do

    def __init__(self, client: httpx.AsyncClient, settings: SmsSettings) -> None:
        self.client = client
        self.settings = settings

    def query(self, sms: OutgoingSms) -> dict[str, str]:
        s = self.settings
        text = sms.full_text
        return {
            "username": s.kannel_username,
            "password": s.kannel_password,
            "from": s.kannel_from,
            "to": sms.phone,
            "text": text,
            "charset": "UTF-8",
            "coding": "2" if measure(text).encoding == UCS2 else "0",
            "dlr-mask": DLR_MASK,
            "dlr-url": dlr_url(s, sms.key),
        }

    async def send(self, sms: OutgoingSms) -> Accepted:
        try:
            response = await self.client.get(
                self.settings.kannel_sendsms_url, params=self.query(sms)
            )
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        answer = response.text.strip()
        if response.status_code in (200, 202) and answer[:2] in ("0:", "3:"):
            return Accepted(provider_message_id=sms.key, status="sent")
        if response.status_code in (200, 202):
            raise GatewayError("Kannel did not accept the message", False, details=[answer[:200]])
        raise http_error(response, "Kannel refused the message", answer[:200])
