"""Alibaba Cloud SMS (dysmsapi 2017-05-25) ``SendSms``, an RPC-style signed request.

SMS.md: ``PhoneNumbers``, ``SignName``, ``TemplateCode``, ``TemplateParam`` (a JSON object),
``OutId`` (echoed in receipts). The approved template lives at Alibaba, so we send its code and
the formatted parameters, never the text; the platform adds the signature. SendSms is not
idempotent: ``OutId`` carries the outbox key so receipts and duplicates can be recognised.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from notifications.gateways.base import (
    Accepted,
    GatewayError,
    OutgoingSms,
    SmsGateway,
    http_error,
    transport_error,
)
from notifications.phones import national_number
from notifications.settings import SmsSettings
from notifications.signing import alibaba_signature, alibaba_timestamp

# Codes that mean "later", not "never": flow control and platform errors.
TRANSIENT_CODES = (
    "isv.BUSINESS_LIMIT_CONTROL",
    "Throttling",
    "isp.SYSTEM_ERROR",
    "ServiceUnavailable",
)


class AlibabaGateway(SmsGateway):
    name = "alibaba"
    confirms_opt_out = True  # 退订 / TD blacklist the number for the signature at the platform

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: SmsSettings,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.client = client
        self.settings = settings
        self.now = now
        self.nonce = nonce

    def signed_params(self, sms: OutgoingSms) -> dict[str, str]:
        s = self.settings
        template_code = s.alibaba_templates.get(sms.template_key)
        if not template_code:
            raise GatewayError(
                f"no Alibaba template code for {sms.template_key} "
                "(set WORKBRIDGE_SMS_ALIBABA_TEMPLATES)",
                transient=False,
                code="template-code",
            )
        params = {
            "AccessKeyId": s.alibaba_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": s.alibaba_region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self.nonce(),
            "SignatureVersion": "1.0",
            "Timestamp": alibaba_timestamp(self.now()),
            "Version": "2017-05-25",
            "PhoneNumbers": national_number(sms.phone),
            "SignName": s.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(
                sms.rendered.values, ensure_ascii=False, separators=(",", ":")
            ),
            "OutId": sms.key,
        }
        params["Signature"] = alibaba_signature(s.alibaba_access_key_secret, "POST", params)
        return params

    async def send(self, sms: OutgoingSms) -> Accepted:
        params = self.signed_params(sms)
        try:
            response = await self.client.post(self.settings.alibaba_endpoint, data=params)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("Code") or "") if isinstance(body, dict) else ""
        if response.status_code == 200 and code == "OK":
            return Accepted(provider_message_id=str(body.get("BizId") or sms.key))
        message = str(body.get("Message") or "") if isinstance(body, dict) else ""
        if response.status_code >= 500 or response.status_code == 429:
            raise http_error(response, "Alibaba SMS did not accept the message", message, code=code)
        transient = code.startswith(TRANSIENT_CODES)
        raise GatewayError(
            "Alibaba SMS refused the message",
            transient=transient,
            code=code,
            status_code=response.status_code,
            details=[message] if message else [],
        )
