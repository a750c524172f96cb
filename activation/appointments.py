"""Appointments: a time and a place to see the person, and a text the day before.

The offices the product learns from centre their work on invitations with reminders (les-emplois,
rdv-insertion); a reminder that arrives the day before is what makes people come (issue 12).
The reminder is queued when the appointment is booked, held until 09:00 the day before (quiet
hours still apply), and withdrawn if the appointment is called off before it leaves.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlmodel import select

from activation.models import Appointment
from activation.schemas import AppointmentIn, AppointmentOutcome
from activation.sms_out import office_phone
from benefits.models import Member
from kernel import audit
from kernel.context import ServiceContext
from kernel.errors import Conflict, InvalidInput, NotFound, Problem, missing
from kernel.messages import say
from kernel.settings import Settings
from notifications import services as sms

REMIND_AT = time(9, 0)  # the day before, local time
FURTHEST = timedelta(days=366)


@cache
def _zone() -> ZoneInfo:
    return Settings.from_env().zone


def book(ctx: ServiceContext, member_id: int, data: AppointmentIn) -> Appointment:
    member = ctx.session.get(Member, member_id)
    if member is None:
        raise NotFound(missing("member_id", member_id))
    zone = _zone()
    hour, minute = (int(part) for part in data.time.split(":"))
    at = datetime.combine(data.on, time(hour, minute), tzinfo=zone)
    problems: list[Problem] = []
    if at <= ctx.now:
        problems.append(Problem("on", "in-future", say("an appointment is booked ahead")))
    elif at - ctx.now > FURTHEST:
        problems.append(Problem("on", "within-a-year", say("at most a year ahead")))
    if not data.place.strip():
        problems.append(Problem("place", "place-given", "say where"))
    if problems:
        raise InvalidInput(problems)
    appointment = Appointment(
        member_id=member_id,
        at=at,
        place=data.place.strip(),
        purpose=data.purpose.strip(),
        booked_by=ctx.actor.label,
        booked_at=ctx.now,
    )
    ctx.session.add(appointment)
    ctx.session.flush()
    reminder = _remind(ctx, member, appointment) if data.remind else "not_asked"
    audit.note(
        ctx,
        entity="appointment",
        entity_id=appointment.id or 0,
        action="booked",
        details={"member_id": member_id, "at": at.isoformat(), "reminder": reminder},
    )
    ctx.session.commit()
    return appointment


def _remind(ctx: ServiceContext, member: Member, appointment: Appointment) -> str:
    """Queue the reminder for 09:00 the day before; none on the day itself or without a
    mobile number. Returns what became of it (for the audit record)."""
    if not member.phone:
        return "no_phone"
    local = appointment.at.astimezone(_zone())
    if local.date() <= ctx.today:
        return "too_late"
    send_at = datetime.combine(local.date() - timedelta(days=1), REMIND_AT, tzinfo=_zone())
    result = sms.enqueue(
        ctx.session,
        phone=member.phone,
        locale=member.language,
        template_key="appointment_reminder",
        params={
            "place": appointment.place,
            "day": local.date(),
            "time": local.strftime("%H:%M"),
            "office_phone": office_phone(),
        },
        reference=f"appointment:{appointment.id}",
        urgent=False,
        dedupe_key=f"appointment-reminder:{appointment.id}",
        now=ctx.now,
        send_at=send_at,
    )
    appointment.reminder_id = result.message_id
    ctx.session.add(appointment)
    return result.outcome


def close(ctx: ServiceContext, appointment_id: int, outcome: AppointmentOutcome) -> Appointment:
    """Attended or missed once its time has come; called off any time before. A reminder
    that has not left is withdrawn with a cancelled appointment."""
    appointment = get(ctx, appointment_id)
    if appointment.state != "booked":
        raise Conflict(
            Problem("outcome", "appointment-open", say("this appointment is closed already"))
        )
    if outcome != "cancelled" and appointment.at > ctx.now:
        raise Conflict(
            Problem("outcome", "appointment-held", say("the appointment's time has not come"))
        )
    withdrawn = False
    if outcome == "cancelled" and appointment.reminder_id is not None:
        withdrawn = sms.cancel_queued(ctx.session, appointment.reminder_id, ctx.now)
    appointment.state = outcome
    appointment.closed_by = ctx.actor.label
    appointment.closed_at = ctx.now
    ctx.session.add(appointment)
    audit.note(
        ctx,
        entity="appointment",
        entity_id=appointment_id,
        action=outcome,
        details={"member_id": appointment.member_id, "reminder_withdrawn": withdrawn},
    )
    ctx.session.commit()
    return appointment


def get(ctx: ServiceContext, appointment_id: int) -> Appointment:
    appointment = ctx.session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(missing("appointment_id", appointment_id))
    return appointment


def appointments_of(ctx: ServiceContext, member_id: int) -> list[Appointment]:
    """Coming ones first (soonest first), then the past (latest first)."""
    rows = list(ctx.session.exec(select(Appointment).where(Appointment.member_id == member_id)))
    coming = sorted((a for a in rows if a.state == "booked"), key=lambda a: a.at)
    past = sorted((a for a in rows if a.state != "booked"), key=lambda a: a.at, reverse=True)
    return coming + past
