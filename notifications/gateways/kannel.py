"""Kannel smsbox: ``GET /cgi-bin/sendsms`` on a real SMS gateway we can run ourselves.

SMS.md: answers ``202 0: Accepted for delivery`` (or ``3: Queued for later delivery``), 403 for
a bad password, 400 for a missing ``to``. Chinese needs ``coding=2&charset=UTF-8`` or it
arrives garbled; ``dlr-mask=31`` with a ``dlr-url`` asks for every delivery report, and the
DLR URL carries the outbox key (Kannel returns no message id of its own).

Kannel takes one request per message, so its sends are the outbox's whole cost per message.
This adapter talks to it through aiohttp, on connections kept alive and as many as the worker
sends at once: the same requests through httpx reached 370–570 a second on this project's
machine, through aiohttp 1,300–1,700, against the same local gateway (README, *SMS*).
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import aiohttp

from notifications.gateways.base import (
    Accepted,
    GatewayError,
    OutgoingSms,
    SmsGateway,
    status_error,
)
from notifications.segments import UCS2, measure
from notifications.settings import SmsSettings

DLR_MASK = "31"  # delivered, failed, buffered, SMSC accepted, SMSC rejected


def dlr_url(settings: SmsSettings, key: str) -> str:
    """Our DLR webhook with Kannel's escapes: %d the report type, %T its Unix time."""
    base = f"{settings.public_base_url}/webhooks/sms/kannel/{settings.callback_token}/dlr"
    return f"{base}?key={quote(key, safe='')}&type=%d&at=%T"


def new_session(settings: SmsSettings) -> aiohttp.ClientSession:
    """Keep-alive connections, as many as the worker's concurrency, the settings' timeouts.
    Must be called on the event loop that will use it."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=settings.concurrency, limit_per_host=settings.concurrency
        ),
        timeout=aiohttp.ClientTimeout(
            sock_connect=settings.connect_timeout_seconds,
            sock_read=settings.read_timeout_seconds,
        ),
        raise_for_status=False,
    )


class KannelGateway(SmsGateway):
    name = "kannel"
    confirms_opt_out = False  # a bare SMSC link: nobody else answers 退订, so we do

    def __init__(self, settings: SmsSettings, session: aiohttp.ClientSession | None = None):
        self.settings = settings
        self._session = session
        self._owned: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

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

    def _client(self) -> aiohttp.ClientSession:
        """The given session, or one of our own for the running loop (a session belongs to
        the loop it was made on; a test or a restarted worker may bring a new loop)."""
        if self._session is not None:
            return self._session
        loop = asyncio.get_running_loop()
        if self._owned is None or self._owned.closed or self._loop is not loop:
            self._owned, self._loop = new_session(self.settings), loop
        return self._owned

    async def send(self, sms: OutgoingSms) -> Accepted:
        try:
            async with self._client().get(
                self.settings.kannel_sendsms_url, params=self.query(sms)
            ) as response:
                status = response.status
                retry_after = response.headers.get("retry-after")
                answer = (await response.text(errors="replace")).strip()
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Not chained: aiohttp's errors may carry the request URL, which holds the
            # password, the phone and the text.
            raise GatewayError(
                f"{type(exc).__name__}: no answer from the gateway", transient=True
            ) from None
        if status in (200, 202) and answer[:2] in ("0:", "3:"):
            return Accepted(provider_message_id=sms.key, status="sent")
        if status in (200, 202):
            raise GatewayError("Kannel did not accept the message", False, details=[answer[:200]])
        raise status_error(status, retry_after, "Kannel refused the message", answer[:200])

    async def aclose(self) -> None:
        if self._owned is not None and not self._owned.closed:
            await self._owned.close()
        self._owned = None
