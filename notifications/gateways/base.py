"""The gateway port: what the outbox worker needs from any SMS provider.

Adapters translate one ``OutgoingSms`` into a provider request and its answer into
``Accepted`` or a ``GatewayError``. Whether an error is worth retrying is the adapter's call
(it knows the provider's codes); *when* to retry is the worker's (backoff, attempts).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import httpx

from notifications.templates import Rendered


@dataclass(frozen=True)
class OutgoingSms:
    """One message ready to send.

    ``key`` is the outbox's idempotency key: adapters pass it where the provider echoes it
    (Alibaba OutId, Tencent SessionContext, the Kannel DLR URL, the Twilio status callback URL),
    so every receipt finds its message even if the worker died before recording the send.
    """

    message_id: int
    key: str
    phone: str  # E.164
    signature: str  # 【签名】, prepended by us where the provider does not add it
    rendered: Rendered

    @property
    def template_key(self) -> str:
        return self.rendered.template.key

    @property
    def full_text(self) -> str:
        return self.signature + self.rendered.text


@dataclass(frozen=True)
class Accepted:
    provider_message_id: str
    status: str = "sent"


@dataclass
class GatewayError(Exception):
    """A send that did not go through. ``transient`` ones are retried with backoff."""

    message: str
    transient: bool
    code: str = ""
    status_code: int | None = None
    retry_after: float | None = None
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"code {self.code}")
        if self.status_code:
            parts.append(f"HTTP {self.status_code}")
        parts.extend(self.details)
        return "; ".join(parts)


class SmsGateway(ABC):
    name: str = ""
    # True if the provider answers STOP / 退订 itself (Twilio's default opt-out handling, the
    # carriers' TD blacklist behind Alibaba and Tencent), so we must not send a confirmation.
    confirms_opt_out: bool = False

    @abstractmethod
    async def send(self, sms: OutgoingSms) -> Accepted:
        """Send one message; raise GatewayError when it was not accepted."""

    async def aclose(self) -> None:
        """Close what the adapter opened itself (the process's shared client is closed by
        whoever made it)."""
        return None


def http_error(
    response: httpx.Response, message: str, *details: str, code: str = ""
) -> GatewayError:
    """5xx and 429 are worth another try; any other refusal is final."""
    return status_error(
        response.status_code, response.headers.get("retry-after"), message, *details, code=code
    )


def status_error(
    status: int, retry_after_header: str | None, message: str, *details: str, code: str = ""
) -> GatewayError:
    """``http_error`` for any client: the status and the Retry-After header decide."""
    transient = status >= 500 or status == 429
    wait = None
    if transient and retry_after_header is not None:
        try:
            wait = max(0.0, float(retry_after_header))
        except ValueError:
            wait = None
    return GatewayError(
        message=message,
        transient=transient,
        code=code,
        status_code=status,
        retry_after=wait,
        details=[d for d in details if d],
    )


def transport_error(exc: httpx.TransportError) -> GatewayError:
    """Timeouts and connection failures: the provider may not have the message, so retry (the
    outbox key travels with the retry, see OutgoingSms)."""
    return GatewayError(message=f"{type(exc).__name__}: no answer from the gateway", transient=True)
