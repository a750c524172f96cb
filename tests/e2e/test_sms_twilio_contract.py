"""The Twilio adapter against Twilio's own OpenAPI contract, served by Stoplight Prism.

Prism validates each request against ``twilio_api_v2010.json`` (SMS.md): a valid send gets
201 with an example message; a send the contract forbids gets 422 with the reason, and the
adapter must surface that reason rather than swallow it.
"""

import asyncio
from datetime import date
from decimal import Decimal

import httpx

from notifications.gateways import GatewayError, OutgoingSms, TwilioGateway
from notifications.settings import SmsSettings
from notifications.templates import render

ACCOUNT = "AC" + "0123456789abcdef" * 2
JOB = {
    "code": "K7Q2",
    "employer": "Wandong Electronics",
    "job_title": "Assembly operator",
    "place": "Chengnan Industrial Park",
    "wage": Decimal("2850.00"),
    "deadline": date(2026, 3, 12),
}


def settings(prism, **overrides) -> SmsSettings:
    values = dict(
        gateway="twilio",
        twilio_base_url=prism.url,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token="contract-token",
        twilio_from="+15005550006",
        public_base_url="https://jobs.example.cn",
    )
    return SmsSettings(**{**values, **overrides})


def message(phone: str = "+8613912345678") -> OutgoingSms:
    return OutgoingSms(
        message_id=1,
        key="referral:42:offer",
        phone=phone,
        signature="[Dingyuan Jobs] ",
        rendered=render("job_offer", JOB, "en"),
    )


def send(gateway_settings: SmsSettings, sms: OutgoingSms):
    async def go():
        async with httpx.AsyncClient(timeout=30) as client:
            gateway = TwilioGateway(client, gateway_settings)
            raw = await client.post(
                gateway.url(),
                data=gateway.form(sms),
                auth=(gateway_settings.twilio_account_sid, gateway_settings.twilio_auth_token),
            )
            try:
                return raw.status_code, await gateway.send(sms), None
            except GatewayError as exc:
                return raw.status_code, None, exc

    return asyncio.run(go())


def test_a_valid_send_is_created(prism) -> None:
    status, accepted, error = send(settings(prism), message())
    assert error is None
    assert status == 201
    assert accepted.provider_message_id.startswith("SM")


def test_a_send_without_to_is_refused_and_the_reason_surfaces(prism) -> None:
    status, accepted, error = send(settings(prism), message(phone=""))
    assert status == 422 and accepted is None
    assert error.transient is False and error.status_code == 422
    assert "required property 'To'" in str(error)


def test_a_malformed_account_sid_is_refused_and_the_reason_surfaces(prism) -> None:
    status, accepted, error = send(settings(prism, twilio_account_sid="ACnot-a-sid"), message())
    assert status == 422 and accepted is None
    assert error.transient is False
    assert "accountsid" in str(error).lower() and "pattern" in str(error)
