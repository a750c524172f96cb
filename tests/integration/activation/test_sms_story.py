"""Offers by text and answers by text (issue 6's story), through the Kannel webhooks."""

from datetime import date
from urllib.parse import urlencode

import pytest
from litestar import Litestar

from kernel.clock import FixedClock
from kernel.settings import Settings
from notifications.settings import SmsSettings
from sms_support import CALLBACK_TOKEN, PHONE, mark_sent, outbox
from support import Desk, member
from workbridge.app import create_app

KANNEL = f"/webhooks/sms/kannel/{CALLBACK_TOKEN}"


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Litestar:
    return create_app(
        settings,
        clock=clock,
        sms_settings=SmsSettings(gateway="console", callback_token=CALLBACK_TOKEN),
    )


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


class Phone:
    """The handset: it texts our Kannel MO webhook; the gateway reports deliveries."""

    def __init__(self, desk: Desk, engine) -> None:
        self.desk, self.engine, self.sent = desk, engine, 0

    def text(self, body: str, number: str = PHONE) -> None:
        self.sent += 1
        at = int(self.desk.clock.now().timestamp()) + self.sent
        query = urlencode(
            {"from": number, "to": "10690000", "text": body, "id": f"mo-{self.sent}", "at": at}
        )
        assert self.desk.client.get(f"{KANNEL}/mo?{query}").status_code == 200

    def deliver(self, key: str, ok: bool = True) -> None:
        message = next(m for m in outbox(self.engine) if m.dedupe_key == key)
        mark_sent(self.engine, message.id, "kannel", f"k-{message.id}")
        response = self.desk.client.get(
            f"{KANNEL}/dlr?{urlencode({'key': key, 'type': 1 if ok else 2})}"
        )
        assert response.status_code == 200


def refer_by_sms(desk: Desk, member_id: int, day: str) -> dict:
    desk.on(day)
    vacancy_id = desk.vacancy()["id"]
    return desk.call(
        "POST",
        "/activation/referrals",
        desk.counsellor,
        {"member_id": member_id, "vacancy_id": vacancy_id, "channel": "sms"},
    )


def test_offer_by_text_decline_reason_review_warning_second_decline_proposal_status(
    desk: Desk, engine
) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    woman = home["members"][0]["id"]
    phone = Phone(desk, engine)

    first = refer_by_sms(desk, woman, "2026-03-05")
    assert first["delivered"] is False  # only a receipt confirms an SMS offer
    offers = [m for m in outbox(engine) if m.template_key == "job_offer"]
    assert [(m.reference, m.dedupe_key, m.params["code"]) for m in offers] == [
        (f"referral:{first['id']}", f"referral:{first['id']}:offer", first["code"])
    ]
    phone.deliver(f"referral:{first['id']}:offer")
    assert (
        desk.call("GET", f"/activation/referrals/{first['id']}", desk.counsellor)["delivered"]
        is True
    )

    phone.text(f"2 {first['code']}")
    phone.text("太远了，孩子没人接送")
    referral = desk.call("GET", f"/activation/referrals/{first['id']}", desk.counsellor)
    assert (referral["state"], referral["answer_channel"]) == ("declined", "sms")
    assert [e["text"] for e in referral["review"]["evidence"]] == ["太远了，孩子没人接送"]

    desk.review(first["id"], "2026-03-06")
    warnings = [m for m in outbox(engine) if m.template_key == "warning_notice"]
    assert len(warnings) == 1 and warnings[0].urgent

    second = refer_by_sms(desk, woman, "2026-03-10")
    phone.deliver(f"referral:{second['id']}:offer")
    phone.text("2")  # a bare answer: the one pending offer
    assert (
        desk.call("GET", f"/activation/referrals/{second['id']}", desk.counsellor)["state"]
        == "declined"
    )
    desk.review(second["id"], "2026-03-11")
    assert desk.person(woman)["sanctions"][0]["state"] == "proposed"

    phone.text("CX")
    (status,) = [m for m in outbox(engine) if m.template_key == "status_reply"]
    assert status.params["status"] == "active" and str(status.params["amount"]) in ("150.00", "150")


def test_an_offer_never_delivered_never_counts(desk: Desk, engine) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    woman = home["members"][0]["id"]
    phone = Phone(desk, engine)
    referral = refer_by_sms(desk, woman, "2026-03-05")
    phone.deliver(f"referral:{referral['id']}:offer", ok=False)
    desk.answer(referral["id"], "2026-03-06", "declined", reason="没收到短信")
    decided = desk.review(referral["id"], "2026-03-07")
    assert decided["delivered"] is False and decided["refusal_counted"] is False


def test_several_pending_offers_get_the_help_text_and_unknown_numbers_nothing(
    desk: Desk, engine
) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    woman = home["members"][0]["id"]
    phone = Phone(desk, engine)
    a, b = refer_by_sms(desk, woman, "2026-03-05"), refer_by_sms(desk, woman, "2026-03-05")
    phone.text("1")
    (help_text,) = [m for m in outbox(engine) if m.template_key == "help_text"]
    assert sorted(help_text.params["codes"]) == sorted([a["code"], b["code"]])
    before = len(outbox(engine))
    phone.text(f"1 {a['code']}", number="+8613700000000")  # nobody we know
    assert len(outbox(engine)) == before
    assert desk.call("GET", f"/activation/referrals/{a['id']}", desk.counsellor)["state"] == "open"


def test_opting_out_is_never_a_refusal_and_offers_go_through_the_counsellor(
    desk: Desk, engine
) -> None:
    home = desk.household_with_case(member("刘丽", birth=date(1990, 8, 1), sex="female"))
    woman = home["members"][0]["id"]
    Phone(desk, engine).text("TD")
    person = desk.person(woman)
    assert [t["kind"] for t in person["open_tasks"]] == ["sms_opted_out"]
    assert person["open_tasks"][0]["note"] == "已退订短信推荐：请当面或电话推荐（不算拒绝）"
    assert person["warnings"] == [] and person["referrals"] == []
    desk.on("2026-03-05")
    vacancy_id = desk.vacancy()["id"]
    refused = desk.call(
        "POST",
        "/activation/referrals",
        desk.counsellor,
        {"member_id": woman, "vacancy_id": vacancy_id, "channel": "sms"},
        status=409,
    )
    assert refused["problems"][0]["rule"] == "sms-possible"
    in_person = desk.call(
        "POST",
        "/activation/referrals",
        desk.counsellor,
        {"member_id": woman, "vacancy_id": vacancy_id, "channel": "in_person"},
    )
    assert in_person["delivered"] is True


# --- replies through Tencent, whose message ids hold the +86 number ---------------------------

TENCENT = f"/webhooks/sms/tencent/{CALLBACK_TOKEN}"


class TencentPhone(Phone):
    """The same handset behind Tencent Cloud: its reply callback carries no message id, so the
    inbound id is built from the number (+8613...), the time and the text."""

    def text(self, body: str, number: str = PHONE) -> None:
        self.sent += 1
        push = {
            "extend": "",
            "mobile": number.removeprefix("+86"),
            "nationcode": "86",
            "sign": "定远就业",
            "text": body,
            "time": int(self.desk.clock.now().timestamp()) + self.sent,
        }
        response = self.desk.client.post(f"{TENCENT}/reply", json=push)
        # A 4xx here makes Tencent retry the push, and the person's text is never answered.
        assert response.status_code == 200, response.text


def answers(engine) -> list[tuple[str, str]]:
    return [
        (m.template_key, m.dedupe_key)
        for m in outbox(engine)
        if (m.reference or "").startswith("reply:")
    ]


@pytest.mark.parametrize(
    ("text", "template"),
    [("CX", "status_reply"), ("帮助", "help_text"), ("你好, 在吗", "help_text")],
)
def test_tencent_replies_that_need_an_answer_are_answered(
    desk: Desk, engine, text: str, template: str
) -> None:
    desk.household_with_case(member(phone=PHONE))
    TencentPhone(desk, engine).text(text)
    ((sent, key),) = answers(engine)
    assert sent == template
    assert key.startswith("reply:tencent:") and "+" not in key and len(key) <= 64


def test_an_answer_to_an_answered_offer_over_tencent_gets_the_help_text(desk: Desk, engine) -> None:
    person = desk.household_with_case(member(phone=PHONE))["members"][0]["id"]
    referral = refer_by_sms(desk, person, "2026-03-03")
    phone = TencentPhone(desk, engine)
    phone.text(f"1 {referral['code']}")
    assert (
        desk.call("GET", f"/activation/referrals/{referral['id']}", desk.counsellor)["state"]
        == "accepted"
    )
    phone.text(f"2 {referral['code']}")  # too late: the offer was accepted
    assert [sent for sent, _ in answers(engine)] == ["help_text"]
    assert (
        desk.call("GET", f"/activation/referrals/{referral['id']}", desk.counsellor)["state"]
        == "accepted"
    )
