"""Each adapter's request and its reading of the answer: httpx.MockTransport for the adapters on
the shared httpx client, a real server on loopback for Kannel's aiohttp connections."""

import asyncio
import base64
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from notifications.gateways import (
    AlibabaGateway,
    ConsoleGateway,
    GatewayError,
    KannelGateway,
    OutgoingSms,
    TencentGateway,
    TwilioGateway,
    build_gateway,
)
from notifications.settings import SmsSettings
from notifications.signing import alibaba_signature, tencent_authorization
from notifications.templates import render

SID = "AC" + "0123456789abcdef" * 2
SETTINGS = SmsSettings(
    public_base_url="https://jobs.example.cn",
    callback_token="cb-secret",
    twilio_account_sid=SID,
    twilio_auth_token="twilio-token",
    twilio_from="+15005550006",
    twilio_base_url="https://twilio.test",
    alibaba_access_key_id="ak-id",
    alibaba_access_key_secret="ak-secret",
    alibaba_endpoint="https://dysmsapi.test/",
    alibaba_templates={"job_offer": "SMS_0001"},
    tencent_secret_id="tc-id",
    tencent_secret_key="tc-key",
    tencent_sdk_app_id="1400000001",
    tencent_endpoint="https://sms.tencentcloudapi.test/",
    tencent_templates={"job_offer": "100001"},
    kannel_sendsms_url="http://kannel.test/cgi-bin/sendsms",
    kannel_username="wb",
    kannel_password="pw",
    kannel_from="10690000",
)
JOB = {
    "code": "K7Q2",
    "employer": "皖东电子",
    "job_title": "装配工",
    "place": "城南工业园",
    "wage": Decimal("2850.00"),
    "deadline": date(2026, 3, 12),
}


def sms() -> OutgoingSms:
    return OutgoingSms(
        message_id=7,
        key="referral:42",
        phone="+8613912345678",
        signature="【定远就业】",
        rendered=render("job_offer", JOB, "zh_CN"),
    )


class Recorder:
    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0)


def run(gateway, message=None):
    return asyncio.run(gateway.send(message or sms()))


def client(recorder: Recorder) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(recorder))


# --- Twilio -----------------------------------------------------------------------------------


def test_twilio_posts_the_form_with_basic_auth() -> None:
    rec = Recorder(httpx.Response(201, json={"sid": "SM123", "status": "queued"}))
    accepted = run(TwilioGateway(client(rec), SETTINGS))
    assert accepted.provider_message_id == "SM123"
    request = rec.requests[0]
    assert request.url == f"https://twilio.test/2010-04-01/Accounts/{SID}/Messages.json"
    user, token = base64.b64decode(request.headers["authorization"].split()[1]).decode().split(":")
    assert (user, token) == (SID, "twilio-token")
    form = dict(parse_qsl(request.content.decode()))
    assert form["To"] == "+8613912345678"
    assert form["From"] == "+15005550006"
    assert form["Body"].startswith("【定远就业】岗位K7Q2：")
    assert form["StatusCallback"] == (
        "https://jobs.example.cn/webhooks/sms/twilio/status?key=referral%3A42"
    )


def test_twilio_messaging_service_replaces_from() -> None:
    rec = Recorder(httpx.Response(201, json={"sid": "SM1"}))
    settings = SmsSettings(**{**SETTINGS.__dict__, "twilio_messaging_service_sid": "MG" + "a" * 32})
    run(TwilioGateway(client(rec), settings))
    form = dict(parse_qsl(rec.requests[0].content.decode()))
    assert "From" not in form and form["MessagingServiceSid"] == "MG" + "a" * 32


@pytest.mark.parametrize(
    ("response", "transient", "retry_after", "words"),
    [
        (httpx.Response(400, json={"code": 21211, "message": "Invalid 'To' Phone Number"}),
         False, None, "Invalid 'To'"),
        (httpx.Response(401, json={"code": 20003, "message": "Authenticate"}), False, None,
         "Authenticate"),
        (httpx.Response(429, headers={"Retry-After": "12"}, json={"code": 20429}), True, 12.0,
         "429"),
        (httpx.Response(503, text="busy"), True, None, "503"),
    ],
)  # fmt: skip
def test_twilio_errors(response, transient, retry_after, words) -> None:
    with pytest.raises(GatewayError) as caught:
        run(TwilioGateway(client(Recorder(response)), SETTINGS))
    assert caught.value.transient is transient
    assert caught.value.retry_after == retry_after
    assert words in str(caught.value)


def test_a_timeout_is_transient() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    gateway = TwilioGateway(httpx.AsyncClient(transport=httpx.MockTransport(boom)), SETTINGS)
    with pytest.raises(GatewayError) as caught:
        run(gateway)
    assert caught.value.transient is True


# --- Alibaba ----------------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def alibaba(rec: Recorder) -> AlibabaGateway:
    return AlibabaGateway(client(rec), SETTINGS, now=lambda: NOW, nonce=lambda: "nonce-1")


def test_alibaba_sends_a_signed_template_request() -> None:
    rec = Recorder(httpx.Response(200, json={"Code": "OK", "BizId": "900619746^0"}))
    accepted = run(alibaba(rec))
    assert accepted.provider_message_id == "900619746^0"
    sent = dict(parse_qsl(rec.requests[0].content.decode()))
    assert rec.requests[0].method == "POST"
    assert sent["Action"] == "SendSms" and sent["Version"] == "2017-05-25"
    assert sent["PhoneNumbers"] == "13912345678"
    assert sent["SignName"] == "定远就业"
    assert sent["TemplateCode"] == "SMS_0001"
    assert sent["OutId"] == "referral:42"
    assert sent["Timestamp"] == "2026-03-02T01:30:00Z"
    params = json.loads(sent["TemplateParam"])
    assert params == {
        "code": "K7Q2",
        "employer": "皖东电子",
        "job_title": "装配工",
        "place": "城南工业园",
        "wage": "¥2,850.00",
        "deadline": "2026年3月12日",
    }
    signature = sent.pop("Signature")
    assert signature == alibaba_signature("ak-secret", "POST", sent)


@pytest.mark.parametrize(
    ("body", "status", "transient"),
    [
        ({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad number"}, 200, False),
        ({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "flow control"}, 200, True),
        ({"Code": "Throttling.User", "Message": "slow down"}, 200, True),
        ({"Code": "SignatureDoesNotMatch"}, 400, False),
        ({}, 502, True),
    ],
)
def test_alibaba_errors(body, status, transient) -> None:
    with pytest.raises(GatewayError) as caught:
        run(alibaba(Recorder(httpx.Response(status, json=body))))
    assert caught.value.transient is transient


def test_alibaba_needs_a_template_code_and_sends_nothing_without_one() -> None:
    rec = Recorder()
    no_code = OutgoingSms(
        message_id=1,
        key="k",
        phone="+8613912345678",
        signature="",
        rendered=render("opt_in_confirmation", {}, "zh_CN"),
    )
    with pytest.raises(GatewayError) as caught:
        run(alibaba(rec), no_code)
    assert caught.value.code == "template-code" and not caught.value.transient
    assert rec.requests == []


# --- Tencent ----------------------------------------------------------------------------------


def test_tencent_sends_a_tc3_signed_json_request() -> None:
    answer = {
        "Response": {
            "SendStatusSet": [
                {"SerialNo": "5000:104571066915", "Code": "Ok", "SessionContext": "referral:42"}
            ],
            "RequestId": "r1",
        }
    }
    rec = Recorder(httpx.Response(200, json=answer))
    accepted = run(TencentGateway(client(rec), SETTINGS, clock=lambda: 1772415000))
    assert accepted.provider_message_id == "5000:104571066915"
    request = rec.requests[0]
    body = json.loads(request.content)
    assert body == {
        "PhoneNumberSet": ["+8613912345678"],
        "SmsSdkAppId": "1400000001",
        "TemplateId": "100001",
        "SignName": "定远就业",
        "TemplateParamSet": [
            "K7Q2",
            "皖东电子",
            "装配工",
            "城南工业园",
            "¥2,850.00",
            "2026年3月12日",
        ],
        "SessionContext": "referral:42",
    }
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-timestamp"] == "1772415000"
    assert request.headers["authorization"] == tencent_authorization(
        secret_id="tc-id",
        secret_key="tc-key",
        service="sms",
        host="sms.tencentcloudapi.test",
        payload=request.content,
        timestamp=1772415000,
    )


@pytest.mark.parametrize(
    ("answer", "transient", "code"),
    [
        ({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"}}}, False,
         "AuthFailure.SignatureFailure"),
        ({"Response": {"Error": {"Code": "InternalError.Timeout", "Message": "x"}}}, True,
         "InternalError.Timeout"),
        ({"Response": {"SendStatusSet": [{"Code": "FailedOperation.PhoneNumberInBlacklist"}]}},
         False, "FailedOperation.PhoneNumberInBlacklist"),
        ({"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberThirtySecondLimit"}]}},
         True, "LimitExceeded.PhoneNumberThirtySecondLimit"),
    ],
)  # fmt: skip
def test_tencent_errors(answer, transient, code) -> None:
    gateway = TencentGateway(client(Recorder(httpx.Response(200, json=answer))), SETTINGS)
    with pytest.raises(GatewayError) as caught:
        run(gateway)
    assert (caught.value.transient, caught.value.code) == (transient, code)


# --- Kannel: a real HTTP server on loopback (the adapter speaks aiohttp, not httpx) ---------


async def _kannel_exchange(answers, messages, *, session=None):
    """Serve ``answers`` (status, text, headers) in turn as Kannel's sendsms would, send
    ``messages`` through the adapter, and return its results (or errors) with each request's
    query and the client's address, which shows whether a connection was kept."""
    from aiohttp import web

    seen: list[tuple[dict[str, str], tuple]] = []
    pending = list(answers)

    async def sendsms(request: web.Request) -> web.Response:
        seen.append((dict(request.query), request.transport.get_extra_info("peername")))
        status, text, headers = pending.pop(0)
        return web.Response(status=status, text=text, headers=headers)

    app = web.Application()
    app.router.add_get("/cgi-bin/sendsms", sendsms)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    # Timeouts no loaded machine reaches: these tests are about how answers are read; a
    # timeout's own reading is tested apart (test_kannel_unreachable…).
    settings = replace(
        SETTINGS,
        kannel_sendsms_url=f"http://127.0.0.1:{port}/cgi-bin/sendsms",
        connect_timeout_seconds=120.0,
        read_timeout_seconds=120.0,
    )
    gateway = KannelGateway(settings)
    results = []
    try:
        for message in messages:
            try:
                results.append(await gateway.send(message))
            except GatewayError as exc:
                results.append(exc)
    finally:
        await gateway.aclose()
        await runner.cleanup()
    return results, seen


def kannel(answers, messages=None):
    return asyncio.run(_kannel_exchange(answers, messages or [sms()]))


def test_kannel_sends_chinese_as_ucs2_with_a_dlr_url_carrying_the_key() -> None:
    (accepted,), ((query, _),) = kannel([(202, "0: Accepted for delivery", {})])
    assert accepted.provider_message_id == "referral:42"
    assert query["coding"] == "2" and query["charset"] == "UTF-8"
    assert query["dlr-mask"] == "31"
    assert query["text"].startswith("【定远就业】岗位K7Q2")
    assert query["to"] == "+8613912345678" and query["from"] == "10690000"
    assert (query["username"], query["password"]) == ("wb", "pw")
    assert query["dlr-url"] == (
        "https://jobs.example.cn/webhooks/sms/kannel/cb-secret/dlr?key=referral%3A42&type=%d&at=%T"
    )


def test_kannel_sends_plain_latin_text_as_gsm7() -> None:
    message = OutgoingSms(
        message_id=1, key="k1", phone="+14155552345", signature="[Jobs] ",
        rendered=render("opt_in_confirmation", {}, "en"),
    )  # fmt: skip
    (accepted,), ((query, _),) = kannel([(202, "3: Queued for later delivery", {})], [message])
    assert accepted.status == "sent" and query["coding"] == "0"
    assert query["to"] == "+14155552345"  # the plus survives the query string


def test_kannel_keeps_the_connection_for_the_next_message() -> None:
    results, seen = kannel([(202, "0: Accepted for delivery", {})] * 3, [sms(), sms(), sms()])
    assert all(r.status == "sent" for r in results)
    assert len({peer for _, peer in seen}) == 1  # one client port: one kept-alive connection


@pytest.mark.parametrize(
    ("answer", "transient", "retry_after"),
    [
        ((403, "Authorization failed for sendsms", {}), False, None),
        ((400, "Missing receiver number", {}), False, None),
        ((503, "busy", {"Retry-After": "7"}), True, 7.0),
        ((429, "slow down", {"Retry-After": "soon"}), True, None),
        ((500, "boom", {}), True, None),
        ((202, "4: something else", {}), False, None),
        ((200, "", {}), False, None),
    ],
)
def test_kannel_errors(answer, transient, retry_after) -> None:
    (error,), _ = kannel([answer])
    assert isinstance(error, GatewayError)
    assert (error.transient, error.retry_after) == (transient, retry_after), (error, error.details)


def test_kannel_unreachable_is_transient_and_says_nothing_of_the_request() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(SETTINGS, kannel_sendsms_url=f"http://127.0.0.1:{port}/cgi-bin/sendsms")

    async def go():
        gateway = KannelGateway(settings)
        try:
            await gateway.send(sms())
        finally:
            await gateway.aclose()

    with pytest.raises(GatewayError) as caught:
        asyncio.run(go())
    assert caught.value.transient
    said = f"{caught.value} {caught.value.__cause__} {caught.value.__context__}"
    assert "pw" not in said and "13912345678" not in said and caught.value.__cause__ is None


# --- console and the factory ------------------------------------------------------------------


def test_console_logs_with_the_phone_masked(caplog) -> None:
    gateway = ConsoleGateway()
    with caplog.at_level("INFO", logger="notifications.console"):
        accepted = run(gateway)
    assert accepted.provider_message_id == "console-referral:42"
    assert "+86139****5678" in caplog.text and "13912345678" not in caplog.text
    assert gateway.sent[0].key == "referral:42"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("console", ConsoleGateway), ("twilio", TwilioGateway), ("alibaba", AlibabaGateway),
     ("tencent", TencentGateway), ("kannel", KannelGateway)],
)  # fmt: skip
def test_the_setting_chooses_the_adapter(name, kind) -> None:
    settings = SmsSettings(**{**SETTINGS.__dict__, "gateway": name})
    assert isinstance(build_gateway(settings, httpx.AsyncClient()), kind)
