"""Tencent Cloud SMS ``SendSms`` (API 2021-01-11), signed with TC3-HMAC-SHA256.

SMS.md: ``PhoneNumberSet`` (E.164), ``SmsSdkAppId``, ``TemplateId``, ``SignName``,
``TemplateParamSet`` (positional: ``{1}``, ``{2}`` ... in the template's parameter order) and
``SessionContext``, which Tencent echoes and which carries the outbox key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

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
from notifications.signing import tencent_authorization

VERSION = "2021-01-11"
SERVICE = "sms"
CONTENT_TYPE = "application/json; charset=utf-8"
# Error codes that mean "try again later" (Tencent's InternalError.*, rate limits).
TRANSIENT_PREFIXES = (
    "InternalError",
    "RequestLimitExceeded",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
)


class TencentGateway(SmsGateway):
    name = "tencent"
    confirms_opt_out = True  # TD / 退订 blacklist the number at the platform

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: SmsSettings,
        *,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock

    def payload(self, sms: OutgoingSms) -> bytes:
        s = self.settings
        template_id = s.tencent_templates.get(sms.template_key)
        if not template_id:
            raise GatewayError(
                f"no Tencent template id for {sms.template_key} "
                "(set WORKBRIDGE_SMS_TENCENT_TEMPLATES)",
                transient=False,
                code="template-code",
            )
        body = {
            "PhoneNumberSet": [sms.phone],
            "SmsSdkAppId": s.tencent_sdk_app_id,
            "TemplateId": template_id,
            "SignName": s.sign_name,
            "TemplateParamSet": sms.rendered.ordered_values,
            "SessionContext": sms.key,
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def headers(self, payload: bytes) -> dict[str, str]:
        s = self.settings
        host = urlsplit(s.tencent_endpoint).netloc
        timestamp = self.clock()
        return {
            "Authorization": tencent_authorization(
                secret_id=s.tencent_secret_id,
                secret_key=s.tencent_secret_key,
                service=SERVICE,
                host=host,
                payload=payload,
                timestamp=timestamp,
                content_type=CONTENT_TYPE,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": VERSION,
            "X-TC-Region": s.tencent_region,
        }

    async def send(self, sms: OutgoingSms) -> Accepted:
        payload = self.payload(sms)
        try:
            response = await self.client.post(
                self.settings.tencent_endpoint, content=payload, headers=self.headers(payload)
            )
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        if response.status_code != 200:
            raise http_error(response, "Tencent SMS did not accept the request")
        try:
            answer = response.json().get("Response", {})
        except (ValueError, AttributeError):
            raise GatewayError("Tencent SMS answered with something not JSON", True) from None
        error = answer.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code") or "")
            raise GatewayError(
                "Tencent SMS refused the request",
                transient=code.startswith(TRANSIENT_PREFIXES),
                code=code,
                details=[str(error.get("Message") or "")],
            )
        statuses = answer.get("SendStatusSet") or []
        status = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
        code = str(status.get("Code") or "")
        if code == "Ok" and status.get("SerialNo"):
            return Accepted(provider_message_id=str(status["SerialNo"]))
        raise GatewayError(
            "Tencent SMS refused the message",
            transient=code.startswith(TRANSIENT_PREFIXES),
            code=code or "no-status",
            details=[str(status.get("Message") or "")],
        )
