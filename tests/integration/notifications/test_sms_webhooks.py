"""Gateway webhooks through the API: authenticated by each gateway's own mechanism, malformed
pushes refused, repeats with one effect, replies and receipts published as kernel events."""

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlmodel import Session, select

from kernel.events import SmsDeliveryChanged, SmsOptOutChanged, SmsReplyReceived, bus
from kernel.models import AuditRecord
from notifications.models import InboundMessage, OptOut
from notifications.signing import twilio_signature
from sms_support import (
    CALLBACK_TOKEN,
    PHONE,
    PUBLIC,
    TWILIO_TOKEN,
    mark_sent,
    of_type,
    outbox,
    queue,
    sms_rows,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def twilio_post(client, path, params, *, token=TWILIO_TOKEN, url=None, signature=None):
    body = urlencode(params)
    signed_url = url or PUBLIC + path
    headers = {"content-type": FORM}
    if signature is not False:
        headers["X-Twilio-Signature"] = signature or twilio_signature(
            token, signed_url, list(params.items())
        )
    return client.post(path, content=body, headers=headers)


def inbound(sid="SM0001", body="1 K7Q2", sender="+8613912345678"):
    return {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": body}


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


# --- Twilio -----------------------------------------------------------------------------------


def test_a_signed_twilio_reply_is_recorded_and_published(client, engine, published) -> None:
    response = twilio_post(client, "/webhooks/sms/twilio/inbound", inbound())
    assert response.status_code == 200
    assert response.text.endswith("<Response></Response>")
    (event,) = of_type(published, SmsReplyReceived)
    assert (event.phone, event.command, event.code, event.gateway) == (
        PHONE,
        "accept",
        "K7Q2",
        "twilio",
    )
    assert event.provider_message_id == "SM0001" and event.text == "1 K7Q2"
    assert sms_rows(engine)["sms_inbound"] == 1


@pytest.mark.parametrize(
    "forgery",
    [
        {"signature": False},  # unsigned
        {"signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},  # someone else's signature
        {"token": "guessed-token"},
        {"url": "http://testserver.local/webhooks/sms/twilio/inbound"},  # not our public URL
    ],
)
def test_forged_twilio_calls_get_403_and_change_nothing(client, engine, published, forgery):
    before = sms_rows(engine)
    response = twilio_post(client, "/webhooks/sms/twilio/inbound", inbound(), **forgery)
    body = assert_problem(response, 403)
    assert body["problems"][0]["rule"] == "webhook-auth"
    assert sms_rows(engine) == before and published == []


def test_a_tampered_body_breaks_the_signature(client, engine, published) -> None:
    params = inbound(body="1 K7Q2")
    signature = twilio_signature(
        TWILIO_TOKEN, PUBLIC + "/webhooks/sms/twilio/inbound", list(params.items())
    )
    tampered = {**params, "Body": "2 K7Q2"}
    response = twilio_post(client, "/webhooks/sms/twilio/inbound", tampered, signature=signature)
    assert_problem(response, 403)
    assert published == [] and sms_rows(engine)["sms_inbound"] == 0


def test_malformed_twilio_calls_get_4xx_and_change_nothing(client, engine, published) -> None:
    before = sms_rows(engine)
    missing = twilio_post(client, "/webhooks/sms/twilio/inbound", {"MessageSid": "SM1"})
    problems = assert_problem(missing, 422)["problems"]
    assert {p["field"] for p in problems} == {"From", "Body"}
    bad_phone = twilio_post(client, "/webhooks/sms/twilio/inbound", inbound(sender="12345"))
    assert assert_problem(bad_phone, 422)["problems"][0]["field"] == "From"
    body = b"\xff\xfe=\x00"
    response = client.post(
        "/webhooks/sms/twilio/inbound",
        content=body,
        headers={"content-type": FORM, "X-Twilio-Signature": "x"},
    )
    assert_problem(response, 400)
    assert sms_rows(engine) == before and published == []


def test_a_repeated_twilio_push_has_one_effect(client, engine, published) -> None:
    for _ in range(3):
        assert twilio_post(client, "/webhooks/sms/twilio/inbound", inbound()).status_code == 200
    assert len(of_type(published, SmsReplyReceived)) == 1
    assert sms_rows(engine)["sms_inbound"] == 1


def test_twilio_status_callbacks_move_the_message_and_publish_its_fate(
    client, engine, rules, clock, published
) -> None:
    message = queue(engine, rules, clock.now(), key="referral:42:offer", reference="referral:42")
    mark_sent(engine, message.message_id, "twilio", "SMabc")
    path = "/webhooks/sms/twilio/status?key=referral%3A42%3Aoffer"
    status = {"MessageSid": "SMabc", "MessageStatus": "delivered", "To": PHONE}
    for _ in range(2):  # Twilio retries a callback that timed out
        response = twilio_post(client, path, status, url=PUBLIC + path)
        assert response.status_code == 200, response.text
    late = {"MessageSid": "SMabc", "MessageStatus": "sent"}
    assert twilio_post(client, path, late, url=PUBLIC + path).status_code == 200
    (event,) = of_type(published, SmsDeliveryChanged)
    assert (event.message_id, event.reference, event.delivered, event.status) == (
        message.message_id,
        "referral:42",
        True,
        "delivered",
    )
    assert outbox(engine)[0].status == "delivered"
    assert sms_rows(engine)["sms_receipt"] == 2  # delivered and the late "sent"


def test_a_twilio_callback_signed_without_its_query_string_is_refused(client, engine) -> None:
    path = "/webhooks/sms/twilio/status?key=referral%3A42"
    status = {"MessageSid": "SMabc", "MessageStatus": "delivered"}
    response = twilio_post(client, path, status, url=PUBLIC + "/webhooks/sms/twilio/status")
    assert_problem(response, 403)
    assert sms_rows(engine)["sms_receipt"] == 0


def test_an_unknown_twilio_status_is_422(client, engine) -> None:
    path = "/webhooks/sms/twilio/status"
    response = twilio_post(client, path, {"MessageSid": "SM1", "MessageStatus": "exploded"})
    assert_problem(response, 422)
    assert sms_rows(engine)["sms_receipt"] == 0


# --- Alibaba ----------------------------------------------------------------------------------

ALIBABA = f"/webhooks/sms/alibaba/{CALLBACK_TOKEN}"


def alibaba_report(out_id="referral:42:offer", success=True, biz_id="900619746^0"):
    return {
        "phone_number": "13912345678",
        "send_time": "2026-02-20 09:00:01",
        "report_time": "2026-02-20 09:00:05",
        "success": success,
        "err_code": "DELIVERED" if success else "MK:0001",
        "err_msg": "用户接收成功",
        "sms_size": "2",
        "biz_id": biz_id,
        "out_id": out_id,
    }


def test_alibaba_receipts_with_duplicates_in_and_across_pushes(
    client, engine, rules, clock, published
) -> None:
    message = queue(engine, rules, clock.now(), key="referral:42:offer", reference="referral:42")
    mark_sent(engine, message.message_id, "alibaba", "900619746^0")
    push = [alibaba_report(), alibaba_report()]
    for _ in range(2):  # Alibaba retries a push after 1, 5 and 10 minutes
        response = client.post(f"{ALIBABA}/report", json=push)
        assert response.status_code == 200 and response.json()["code"] == 0
    (event,) = of_type(published, SmsDeliveryChanged)
    assert event.delivered and event.reference == "referral:42"
    assert event.at == datetime(2026, 2, 20, 1, 0, 5, tzinfo=UTC)  # report_time is Beijing time
    assert sms_rows(engine)["sms_receipt"] == 1


def test_an_alibaba_failure_receipt(client, engine, rules, clock, published) -> None:
    message = queue(engine, rules, clock.now(), key="referral:43", reference="referral:43")
    mark_sent(engine, message.message_id, "alibaba", "B1")
    client.post(f"{ALIBABA}/report", json=[alibaba_report("referral:43", False, "B1")])
    (event,) = of_type(published, SmsDeliveryChanged)
    assert (event.delivered, event.status) == (False, "undelivered")


@pytest.mark.parametrize("path", ["/report", "/up"])
def test_alibaba_calls_without_the_secret_get_403(client, engine, published, path) -> None:
    before = sms_rows(engine)
    for token in ("wrong-token", CALLBACK_TOKEN[:-1], "x" * 64):
        response = client.post(f"/webhooks/sms/alibaba/{token}{path}", json=[])
        assert_problem(response, 403)
    assert sms_rows(engine) == before and published == []


def test_alibaba_webhooks_refuse_everything_when_no_secret_is_configured(
    settings, clock, engine
) -> None:
    from litestar.testing import TestClient

    from notifications.settings import SmsSettings
    from workbridge.app import create_app

    app = create_app(settings, clock=clock, sms_settings=SmsSettings(callback_token=""))
    with TestClient(app) as bare:
        assert bare.post("/webhooks/sms/alibaba//report", json=[]).status_code in (403, 404)
        assert bare.post("/webhooks/sms/alibaba/x/report", json=[]).status_code == 403


def test_malformed_alibaba_pushes_get_4xx_and_change_nothing(client, engine, published) -> None:
    before = sms_rows(engine)
    not_json = client.post(
        f"{ALIBABA}/report", content=b"[{", headers={"content-type": "application/json"}
    )
    assert_problem(not_json, 400)
    not_array = client.post(f"{ALIBABA}/report", json={"biz_id": "1"})
    assert_problem(not_array, 422)
    bad_items = client.post(
        f"{ALIBABA}/report",
        json=[alibaba_report(), {"phone_number": "139", "success": "yes"}],
    )
    fields = {p["field"] for p in assert_problem(bad_items, 422)["problems"]}
    assert {"1.success", "1.biz_id"} <= fields
    bad_time = client.post(
        f"{ALIBABA}/report", json=[{**alibaba_report(), "report_time": "yesterday"}]
    )
    assert assert_problem(bad_time, 422)["problems"][0]["field"] == "0.report_time"
    bad_reply = client.post(
        f"{ALIBABA}/up", json=[{"phone_number": "abc", "content": "1", "sequence_id": 1}]
    )
    assert assert_problem(bad_reply, 422)["problems"][0]["field"] == "0.phone_number"
    assert sms_rows(engine) == before and published == []


def test_alibaba_replies_and_opt_out_without_our_confirmation(client, engine, published) -> None:
    push = [
        {"phone_number": "13912345678", "content": "２ k7q2", "send_time": "2026-02-20 09:01:00",
         "dest_code": "1234", "sequence_id": 1001},
        {"phone_number": "13800000000", "content": "TD", "send_time": "2026-02-20 09:02:00",
         "dest_code": "1234", "sequence_id": 1002},
    ]  # fmt: skip
    assert client.post(f"{ALIBABA}/up", json=push).json() == {"code": 0, "msg": "接收成功"}
    (reply,) = of_type(published, SmsReplyReceived)
    assert (reply.command, reply.code, reply.gateway) == ("decline", "K7Q2", "alibaba")
    (change,) = of_type(published, SmsOptOutChanged)
    assert (change.phone, change.opted_out) == ("+8613800000000", True)
    # The platform blacklists the number and tells the person; we queue no confirmation.
    assert sms_rows(engine)["sms_outbox"] == 0
    client.post(f"{ALIBABA}/up", json=push)  # pushed again: nothing new
    assert len(published) == 2


# --- Tencent ----------------------------------------------------------------------------------

TENCENT = f"/webhooks/sms/tencent/{CALLBACK_TOKEN}"


def test_tencent_status_and_reply(client, engine, rules, clock, published) -> None:
    message = queue(engine, rules, clock.now(), key="referral:44", reference="referral:44")
    mark_sent(engine, message.message_id, "tencent", "5000:1045710669")
    report = [{"user_receive_time": "2026-02-20 09:00:09", "nationcode": "86",
               "mobile": "13912345678", "report_status": "SUCCESS", "errmsg": "DELIVRD",
               "description": "用户短信送达成功", "sid": "5000:1045710669"}]  # fmt: skip
    for _ in range(2):
        response = client.post(f"{TENCENT}/status", json=report)
        assert response.json() == {"result": 0, "errmsg": "OK"}
    reply = {"extend": "", "mobile": "13912345678", "nationcode": "86", "sign": "定远就业",
             "text": "查询", "time": 1771549200}  # fmt: skip
    for _ in range(2):
        assert client.post(f"{TENCENT}/reply", json=reply).status_code == 200
    (delivered,) = of_type(published, SmsDeliveryChanged)
    assert delivered.reference == "referral:44" and delivered.delivered
    (status,) = of_type(published, SmsReplyReceived)
    assert (status.command, status.phone, status.gateway) == ("status", PHONE, "tencent")
    assert status.received_at == datetime.fromtimestamp(1771549200, UTC)
    assert sms_rows(engine)["sms_inbound"] == 1 and sms_rows(engine)["sms_receipt"] == 1


def test_tencent_forged_and_malformed(client, engine, published) -> None:
    before = sms_rows(engine)
    assert_problem(client.post("/webhooks/sms/tencent/nope/reply", json={}), 403)
    assert_problem(client.post(f"{TENCENT}/reply", json={"mobile": "139"}), 422)
    bad_status = [{"mobile": "13912345678", "report_status": "MAYBE", "sid": "1"}]
    assert_problem(client.post(f"{TENCENT}/status", json=bad_status), 422)
    assert_problem(
        client.post(f"{TENCENT}/reply", content=b"nope", headers={"content-type": JSON}), 400
    )
    assert_problem(
        client.post(f"{TENCENT}/reply", content=b"{}", headers={"content-type": "text/plain"}),
        415,
    )
    assert sms_rows(engine) == before and published == []


# --- Kannel -----------------------------------------------------------------------------------

KANNEL = f"/webhooks/sms/kannel/{CALLBACK_TOKEN}"


def kannel_mo(client, text, *, msg_id, sender="+8613912345678", at=1771549200):
    query = urlencode({"from": sender, "to": "10690000", "text": text, "id": msg_id, "at": at})
    return client.get(f"{KANNEL}/mo?{query}")


def test_kannel_opt_out_and_back_in_with_our_own_confirmations(
    client, engine, rules, clock, published
) -> None:
    assert kannel_mo(client, "退订", msg_id="u1").status_code == 200
    assert kannel_mo(client, "退订", msg_id="u1").status_code == 200  # repeated: one effect
    with Session(engine) as session:
        row = session.get(OptOut, PHONE)
        assert row is not None and row.opted_out and row.keyword == "退订"
    refused = queue(engine, rules, clock.now(), key="referral:45")
    assert refused.outcome == "opted_out"
    assert kannel_mo(client, "START", msg_id="u2").status_code == 200
    changes = [(e.opted_out, e.gateway) for e in of_type(published, SmsOptOutChanged)]
    assert changes == [(True, "kannel"), (False, "kannel")]
    assert of_type(published, SmsReplyReceived) == []  # opt-out words are not replies
    # Kannel is a bare SMSC link: nobody else tells the person, so we do, at once.
    confirmations = [(m.template_key, m.urgent, m.status) for m in outbox(engine)]
    assert confirmations == [
        ("opt_out_confirmation", True, "queued"),
        ("opt_in_confirmation", True, "queued"),
    ]
    assert queue(engine, rules, clock.now(), key="referral:45").outcome == "queued"


def test_free_text_after_a_decline_is_published_as_the_reason(client, published) -> None:
    kannel_mo(client, "2 K7Q2", msg_id="r1", at=1771549200)
    kannel_mo(client, "太远了，孩子没人接送", msg_id="r2", at=1771549260)
    kannel_mo(client, "你好", msg_id="r3", at=1771549200 + 4 * 86400)  # days later: unknown
    commands = [(e.command, e.code) for e in of_type(published, SmsReplyReceived)]
    assert commands == [("decline", "K7Q2"), ("reason", None), ("unknown", None)]


def test_kannel_receipts_including_intermediate_reports(
    client, engine, rules, clock, published
) -> None:
    message = queue(engine, rules, clock.now(), key="referral:46", reference="referral:46")
    mark_sent(engine, message.message_id, "kannel", "referral:46")
    for dlr_type in (8, 4, 1, 1):
        response = client.get(f"{KANNEL}/dlr?key=referral%3A46&type={dlr_type}&at=1771549205")
        assert response.status_code == 200
    (event,) = of_type(published, SmsDeliveryChanged)
    assert event.delivered and event.reference == "referral:46"
    assert sms_rows(engine)["sms_receipt"] == 3  # 8, 4 and 1; the repeated 1 is dropped


def test_kannel_forged_and_malformed(client, engine, published) -> None:
    before = sms_rows(engine)
    assert_problem(client.get("/webhooks/sms/kannel/guess/mo?from=%2B8613912345678&text=1"), 403)
    assert_problem(client.get("/webhooks/sms/kannel/guess/dlr?key=a&type=1"), 403)
    assert_problem(client.get(f"{KANNEL}/mo?from=%2B8613912345678&text=1"), 422)  # no id
    assert_problem(client.get(f"{KANNEL}/dlr?key=a&type=3"), 422)
    assert_problem(client.get(f"{KANNEL}/dlr?key=a&type=x"), 422)
    assert_problem(client.get(f"{KANNEL}/mo?from=%2B86139&text=1&id=1&at=soon"), 422)
    assert sms_rows(engine) == before and published == []


def test_a_receipt_for_an_unknown_message_is_kept_and_acknowledged(client, engine) -> None:
    response = client.get(f"{KANNEL}/dlr?key=never-sent&type=1")
    assert response.status_code == 200
    assert sms_rows(engine)["sms_receipt"] == 1


# --- logging and transactions -----------------------------------------------------------------


def test_inbound_logs_carry_no_content_and_a_masked_phone(client, caplog) -> None:
    with caplog.at_level("INFO", logger="notifications"):
        kannel_mo(client, "2 K7Q2 my secret reason", msg_id="log1")
    assert "+86139****5678" in caplog.text
    assert "13912345678" not in caplog.text and "secret reason" not in caplog.text


def test_subscribers_run_inside_the_webhook_transaction(client, engine) -> None:
    """A handler's writes commit with the reply; a failing handler rolls everything back and
    the gateway, told 500, pushes again later."""
    from kernel.audit import record
    from kernel.auth import SYSTEM

    def write_audit(session, event) -> None:
        record(session, actor=SYSTEM, at=event.received_at, entity="sms", entity_id=event.code or
               "-", action=f"reply:{event.command}")  # fmt: skip

    def explode(session, event) -> None:
        raise RuntimeError("subscriber down")

    bus.subscribe(SmsReplyReceived, write_audit)
    try:
        assert kannel_mo(client, "1 K7Q2", msg_id="t1").status_code == 200
    finally:
        bus._handlers[SmsReplyReceived].remove(write_audit)
    with Session(engine) as session:
        assert [a.action for a in session.exec(select(AuditRecord))] == ["reply:accept"]
    bus.subscribe(SmsReplyReceived, explode)
    try:
        assert kannel_mo(client, "2 K7Q2", msg_id="t2").status_code == 500
    finally:
        bus._handlers[SmsReplyReceived].remove(explode)
    with Session(engine) as session:
        ids = [m.provider_message_id for m in session.exec(select(InboundMessage))]
    assert ids == ["t1"]  # the failed push left nothing behind
    assert kannel_mo(client, "2 K7Q2", msg_id="t2").status_code == 200  # the retry works


def test_unknown_numbers_are_published_for_the_subscriber_to_judge(client, published) -> None:
    kannel_mo(client, "1 K7Q2", msg_id="x1", sender="+8613700000000")
    (event,) = of_type(published, SmsReplyReceived)
    assert event.phone == "+8613700000000"


def test_webhooks_need_no_api_token_but_the_api_still_does(client) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get(f"{KANNEL}/dlr?key=a&type=1").status_code == 200


def test_the_webhooks_are_described_in_the_openapi_schema(client) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/webhooks/sms/twilio/inbound" in paths
    assert "/webhooks/sms/kannel/{token}/mo" in paths


def test_nul_characters_in_a_pushed_text_are_422_and_change_nothing(client, engine) -> None:
    before = sms_rows(engine)
    response = twilio_post(client, "/webhooks/sms/twilio/inbound", inbound(body="1 K7Q2\x00"))
    assert {p["field"] for p in assert_problem(response, 422)["problems"]} == {"Body"}
    query = urlencode({"from": "+8613912345678", "text": "CX\x00", "id": "n1", "at": 1771549200})
    response = client.get(f"/webhooks/sms/kannel/{CALLBACK_TOKEN}/mo?{query}")
    assert {p["field"] for p in assert_problem(response, 422)["problems"]} == {"text"}
    reply = {"mobile": "13912345678", "nationcode": "86", "text": "CX\x00", "time": 1771549200}
    response = client.post(f"{TENCENT}/reply", json=reply)
    assert {p["field"] for p in assert_problem(response, 422)["problems"]} == {"text"}
    assert sms_rows(engine) == before
