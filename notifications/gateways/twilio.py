"""Twilio Programmable Messaging: form POST to the 2010-04-01 Messages resource.

SMS.md: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP Basic
(AccountSid:AuthToken), ``To``, ``From`` or ``MessagingServiceSid``, ``Body``,
``StatusCallback``. Twilio sends free text, so the body is the rendered text with the
signature in front. The status callback URL carries the outbox key, so a receipt finds its
message even before the worker has recorded Twilio's SID.
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
from notifications.settings import SmsSettings

STATUS_CALLBACK_PATH = "/webhooks/sms/twilio/status"


class TwilioGateway(SmsGateway):
    name = "twilio"
    confirms_opt_out = True  # Twilio answers STOP itself and blocks further sends

    def __init__(self, client: httpx.AsyncClient, settings: SmsSettings) -> None:
        self.client = client
        self.settings = settings

    def url(self) -> str:
        sid = quote(self.settings.twilio_account_sid, safe="")
        return f"{self.settings.twilio_base_url}/2010-04-01/Accounts/{sid}/Messages.json"

    def form(self, sms: OutgoingSms) -> dict[str, str]:
        s = self.settings
        fields = {
            "To": sms.phone,
            "Body": sms.full_text,
            "StatusCallback": (
                f"{s.public_base_url}{STATUS_CALLBACK_PATH}?key={quote(sms.key, safe='')}"
            ),
        }
        if s.twilio_messaging_service_sid:
            fields["MessagingServiceSid"] = s.twilio_messaging_service_sid
        else:
            fields["From"] = s.twilio_from
        # A field without a value is left out rather than sent empty.
        return {name: value for name, value in fields.items() if value}

    async def send(self, sms: OutgoingSms) -> Accepted:
        s = self.settings
        try:
            response = await self.client.post(
                self.url(),
                data=self.form(sms),
                auth=(s.twilio_account_sid, s.twilio_auth_token),
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        body = _json(response)
        if response.status_code in (200, 201):
            sid = body.get("sid")
            if not isinstance(sid, str) or not sid:
                raise GatewayError("Twilio accepted the message but returned no sid", False)
            return Accepted(provider_message_id=sid, status=str(body.get("status") or "queued"))
        raise http_error(
            response,
            "Twilio refused the message",
            str(body.get("message") or body.get("detail") or body.get("title") or ""),
            *_validation_messages(body),
            code=str(body.get("code") or ""),
        )


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _validation_messages(body: dict) -> list[str]:
    """Field reasons from a contract validator (Prism answers 422 with a ``validation`` list)."""
    items = body.get("validation")
    if not isinstance(items, list):
        return []
    return [str(item.get("message")) for item in items if isinstance(item, dict)]
