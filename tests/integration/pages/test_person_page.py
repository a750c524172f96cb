"""What a counsellor works from on a person's page (issue 12): the household and its address,
a contact log dated the day each contact happened, every text message with where it is (held
until 08:00 at night, delivered, failed) and the replies from the same number — and no matching
or referral buttons for someone who has just started work."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlmodel import Session, func, select

from activation.models import ContactNote
from kernel.db import session_scope
from notifications import services as sms
from support import SHANGHAI, Desk, PageClient, make_account, member, move_to


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


@pytest.fixture
def family(desk) -> dict:
    return desk.household_with_case(
        member("刘丽", incomes=[("wages", "100.00")]),
        member("刘小明", birth=date(2015, 3, 1), sex="male", relation="child", phone=None),
    )


def counsellor(client, engine, language: str = "en") -> PageClient:
    make_account(engine, "page.counsellor", "counsellor", language=language)
    pages = PageClient(client)
    assert pages.sign_in("page.counsellor").status_code == 303
    return pages


def notes(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(ContactNote)).one()


def test_the_household_and_its_address_are_on_the_page(client, engine, clock, family) -> None:
    mother, child = family["members"]
    pages = counsellor(client, engine)
    page = pages.get(f"/app/people/{mother['id']}").text
    household = page.split('id="household"', 1)[1].split("</section>", 1)[0]
    assert "定城镇东大街12号" in household
    assert f'href="/app/people/{child["id"]}">刘小明</a>' in household and "child" in household


def test_a_contact_is_logged_with_the_day_it_happened(client, engine, clock, family) -> None:
    mother = family["members"][0]
    pages = counsellor(client, engine)
    person = f"/app/people/{mother['id']}"
    pages.get(person)
    today = clock.now().astimezone(SHANGHAI).date()
    late = pages.post(
        f"{person}/notes", {"kind": "phone", "on": "2026-02-27", "text": "电话联系，下周一来站"}
    )
    assert late.status_code == 303 and late.headers["location"].endswith("#contacts")
    page = pages.get(person).text
    assert "电话联系，下周一来站" in page and "phone call" in page and "Feb 27, 2026" in page

    before = notes(engine)
    for bad, fields in [
        ({"kind": "", "on": today.isoformat(), "text": "有内容"}, {"kind"}),
        ({"kind": "visit", "on": "2099-01-01", "text": "有内容"}, {"on"}),
        ({"kind": "visit", "on": today.isoformat(), "text": ""}, {"text"}),
        ({"kind": "gossip", "on": "not a day", "text": "x"}, {"kind", "on", "text"}),
    ]:
        answer = pages.post(f"{person}/notes", bad)
        assert answer.status_code == 422, bad
        assert {f for f in fields if f'data-field="{f}"' in answer.text} == fields, bad
    assert notes(engine) == before  # nothing written by a bad form


def test_another_offices_person_cannot_be_noted(client, engine, clock, family) -> None:
    mother = family["members"][0]
    make_account(engine, "far.counsellor", "counsellor", office="炉桥镇")
    pages = PageClient(client)
    pages.sign_in("far.counsellor")
    pages.get("/app/today")
    answer = pages.post(
        f"/app/people/{mother['id']}/notes", {"kind": "note", "on": "2026-03-01", "text": "试试"}
    )
    assert answer.status_code == 404 and notes(engine) == 0


def test_text_messages_show_where_they_are_and_the_replies(client, engine, clock, family) -> None:
    mother = family["members"][0]
    night = datetime.combine(date(2026, 3, 3), time(22, 30), tzinfo=SHANGHAI)
    clock.set(night)
    with session_scope(engine) as session:
        held = sms.enqueue(
            session,
            phone="13912345678",
            locale="zh_CN",
            template_key="job_offer",
            params={
                "code": "QF7",
                "employer": "定远食品厂",
                "job_title": "包装工",
                "place": "定城镇",
                "wage": "2600.00",
                "deadline": "2026-03-10",
            },
            reference="test:offer",
            urgent=False,
            dedupe_key="test-offer-1",
            now=night,
        )
        session.commit()
    assert held.outcome == "queued"
    pages = counsellor(client, engine)
    page = pages.get(f"/app/people/{mother['id']}").text
    texts = page.split('id="sms"', 1)[1].split("</section>", 1)[0]
    assert "job offer" in texts and "包装工" in texts  # as it reads on the handset
    assert "waits until" in texts and "8:00" in texts  # no offers at night
    move_to(clock, "2026-03-04")
    pages.sign_in("page.counsellor")
    later = pages.get(f"/app/people/{mother['id']}").text.split('id="sms"', 1)[1]
    assert "waits until" not in later.split("</section>", 1)[0]


def test_no_matching_or_referral_for_someone_in_work(client, engine, clock, desk, family) -> None:
    mother = family["members"][0]
    desk.vacancy()
    pages = counsellor(client, engine)
    person = f"/app/people/{mother['id']}"
    pages.get(person)
    registered = pages.post(
        f"{person}/registration",
        {
            "office": "东街社区劳动保障服务站",
            "hours_per_week": "40",
            "max_commute_km": "10",
            "shifts": "day",
            "physical_limit": "none",
        },
    )
    assert registered.status_code == 303, registered.text[:500]
    before = pages.get(person).text
    offered = before.split('id="matches"', 1)[1].split("</section>", 1)[0]
    assert f'action="{person}/referrals"' in offered  # a job to refer to, before the job
    started = pages.post(
        f"{person}/jobs",
        {
            "employer": "定远食品厂",
            "occupation": "包装工",
            "starts_on": "2026-03-02",
            "monthly_income": "1800",
            "hours_per_week": "40",
        },
    )
    assert started.status_code == 303, started.text[:500]
    after = pages.get(person).text
    matches = after.split('id="matches"', 1)[1].split("</section>", 1)[0]
    assert "In work at 定远食品厂" in matches
    assert "/referrals" not in matches and "Refer" not in matches


def outbox(engine, reference: str):
    from notifications.models import OutboxMessage

    with Session(engine) as session:
        return session.exec(
            select(OutboxMessage).where(OutboxMessage.reference == reference)
        ).one_or_none()


def test_an_appointment_sends_its_reminder_at_nine_the_day_before(
    client, engine, clock, family
) -> None:
    from activation.models import Appointment

    mother = family["members"][0]
    clock.set(datetime.combine(date(2026, 3, 3), time(15, 0), tzinfo=SHANGHAI))
    pages = counsellor(client, engine)
    person = f"/app/people/{mother['id']}"
    pages.get(person)
    booked = pages.post(
        f"{person}/appointments",
        {
            "on": "2026-03-09",
            "time": "09:30",
            "place": "东街社区服务站",
            "purpose": "面谈",
            "remind": "yes",
        },
    )
    assert booked.status_code == 303
    with Session(engine) as session:
        appointment = session.exec(select(Appointment)).one()
    reminder = outbox(engine, f"appointment:{appointment.id}")
    assert reminder is not None and reminder.template_key == "appointment_reminder"
    day_before = datetime.combine(date(2026, 3, 8), time(9, 0), tzinfo=SHANGHAI)
    assert reminder.not_before == day_before  # not now, and not at night
    assert reminder.params["time"] == "09:30"
    page = pages.get(person).text.split('id="appointments"', 1)[1].split("</section>", 1)[0]
    assert "东街社区服务站" in page and "waiting to be sent" in page and "Did not come" not in page
    # too early to say whether the person came
    early = pages.post(f"/app/appointments/{appointment.id}/close", {"outcome": "attended"})
    assert early.status_code == 422 and 'data-rule="appointment-held"' in early.text

    called_off = pages.post(f"/app/appointments/{appointment.id}/close", {"outcome": "cancelled"})
    assert called_off.status_code == 303
    assert outbox(engine, f"appointment:{appointment.id}").status == "cancelled"  # withdrawn
    again = pages.post(f"/app/appointments/{appointment.id}/close", {"outcome": "cancelled"})
    assert again.status_code == 422 and 'data-rule="appointment-open"' in again.text


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ({"on": "2026-03-02", "time": "09:00", "place": "站里"}, {"on"}),  # yesterday
        ({"on": "2027-03-09", "time": "09:00", "place": "站里"}, {"on"}),  # over a year ahead
        ({"on": "2026-03-09", "time": "25:00", "place": "站里"}, {"time"}),
        ({"on": "2026-03-09", "time": "9.30", "place": ""}, {"time", "place"}),
        ({"on": "", "time": "", "place": ""}, {"on", "time", "place"}),
    ],
)
def test_a_bad_appointment_lists_every_problem_and_books_nothing(
    client, engine, clock, family, form, fields
) -> None:
    from activation.models import Appointment

    mother = family["members"][0]
    clock.set(datetime.combine(date(2026, 3, 3), time(15, 0), tzinfo=SHANGHAI))
    pages = counsellor(client, engine)
    person = f"/app/people/{mother['id']}"
    pages.get(person)
    answer = pages.post(f"{person}/appointments", {**form, "remind": "yes"})
    assert answer.status_code == 422
    assert {f for f in fields if f'data-field="{f}"' in answer.text} == fields
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Appointment)).one() == 0


def test_a_reminder_boundary_tomorrow_today_and_no_phone(client, engine, clock, family) -> None:
    """Booked the afternoon before: the reminder goes now (not at nine, which has passed);
    booked for later today: none; a member without a mobile: none, and the page says so."""
    from activation.models import Appointment

    mother, child = family["members"]
    now = datetime.combine(date(2026, 3, 3), time(15, 0), tzinfo=SHANGHAI)
    clock.set(now)
    pages = counsellor(client, engine)
    pages.get(f"/app/people/{mother['id']}")
    for day, hour in [("2026-03-04", "10:00"), ("2026-03-03", "17:00")]:
        assert (
            pages.post(
                f"/app/people/{mother['id']}/appointments",
                {"on": day, "time": hour, "place": "站里", "remind": "yes"},
            ).status_code
            == 303
        )
    assert (
        pages.post(
            f"/app/people/{child['id']}/appointments",
            {"on": "2026-03-05", "time": "10:00", "place": "站里", "remind": "yes"},
        ).status_code
        == 303
    )
    with Session(engine) as session:
        tomorrow, today, no_phone = session.exec(select(Appointment).order_by(Appointment.id)).all()
    assert outbox(engine, f"appointment:{tomorrow.id}").not_before == now
    assert today.reminder_id is None and no_phone.reminder_id is None
    page = pages.get(f"/app/people/{child['id']}").text
    assert "No SMS reminder" in page
