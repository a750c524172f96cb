"""End to end through a real SMS gateway: Debian's Kannel with a fake phone on its fake SMSC.

An offer is queued and sent by the worker through smsbox; the handset receives it; Kannel's
delivery report reaches our DLR webhook and the offer's fate is published; the person answers
``2 CODE`` and our MO webhook publishes the decline with that code (SMS.md, "Real local SMS
peers").
"""

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sms_peers import KANNEL_PASSWORD, KANNEL_USER, SHORT_CODE

from kernel.clock import SystemClock
from kernel.events import SmsDeliveryChanged, SmsOptOutChanged, SmsReplyReceived
from notifications.fake_gateway import ServerThread
from notifications.gateways import KannelGateway
from notifications.gateways.kannel import new_session
from notifications.settings import SmsSettings
from notifications.worker import OutboxWorker
from sms_support import JOB, PHONE, RunningClock, of_type, outbox, queue
from workbridge.app import create_app

# Measures or loads real servers, or kills their processes: run alone (`-m alone`), never beside
# another test on a shared machine's two cores.
pytestmark = pytest.mark.alone

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def sms(kannel, app_port, callback_token) -> SmsSettings:
    return SmsSettings(
        gateway="kannel",
        public_base_url=f"http://127.0.0.1:{app_port}",
        callback_token=callback_token,
        kannel_sendsms_url=kannel.sendsms_url,
        kannel_username=KANNEL_USER,
        kannel_password=KANNEL_PASSWORD,
        kannel_from=SHORT_CODE,
        rate_per_second=0,
    )


@pytest.fixture
def served_app(settings, sms, app_port):
    server = ServerThread(create_app(settings, clock=SystemClock(), sms_settings=sms), app_port)
    server.start()
    yield server
    server.stop()


def wait_for(condition, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def send_queue(engine, sms, rules, clock) -> None:
    async def go():
        async with new_session(sms) as session:
            worker = OutboxWorker(engine, KannelGateway(sms, session), sms, rules, clock=clock)
            return await worker.run(once=True)

    stats = asyncio.run(go())
    assert stats.failed == 0 and stats.sent >= 1


def test_offer_delivery_report_and_decline_through_kannel(
    kannel, served_app, engine, sms, rules, published
) -> None:
    clock = RunningClock(MORNING)
    offer = queue(engine, rules, clock.now(), key="referral:42:offer", reference="referral:42")
    send_queue(engine, sms, rules, clock)

    # The handset gets the offer, Chinese intact (coding=2, charset=UTF-8), split by Kannel.
    sender, receiver, first = kannel.phone.next_message()
    assert (sender, receiver) == (SHORT_CODE, PHONE)
    parts = [first]
    while "2 K7Q2" not in "".join(parts):
        parts.append(kannel.phone.next_message()[2])
    text = "".join(parts)
    assert "【定远就业】岗位K7Q2" in text and JOB["employer"] in text

    # Kannel's delivery report reaches our DLR webhook: the offer's fate is published.
    delivered = wait_for(
        lambda: of_type(published, SmsDeliveryChanged), "the delivery report to arrive"
    )
    assert (delivered[0].message_id, delivered[0].reference) == (offer.message_id, "referral:42")
    assert delivered[0].delivered is True and delivered[0].status == "delivered"
    assert wait_for(lambda: outbox(engine)[0].status == "delivered", "the outbox row")

    # The person declines with the code, typed on a Chinese keyboard.
    kannel.phone.send(PHONE, "２ k7q2，太远了")
    (reply,) = wait_for(lambda: of_type(published, SmsReplyReceived), "the reply to arrive")
    assert (reply.phone, reply.command, reply.code, reply.gateway) == (
        PHONE,
        "decline",
        "K7Q2",
        "kannel",
    )
    assert reply.text == "２ k7q2，太远了"


def test_unsubscribing_by_text_through_kannel(kannel, served_app, engine, rules, published):
    kannel.phone.send("+8613800000001", "退订")
    (change,) = wait_for(lambda: of_type(published, SmsOptOutChanged), "the opt-out")
    assert (change.phone, change.opted_out, change.gateway) == ("+8613800000001", True, "kannel")
    refused = queue(engine, rules, MORNING, key="referral:43", phone="+8613800000001")
    assert refused.outcome == "opted_out"
