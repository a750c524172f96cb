"""Texts coming back to activation: a reply accepts or declines an offer, gives a reason or
asks for status; a receipt confirms an offer reached the handset; an opt-out tells the
counsellor. Subscribed to kernel events by ``workbridge.wiring``.

A reply is one more channel into the same use cases a counsellor uses (answer, evidence), so
every safeguard applies unchanged: an offer that never reached the handset can never count as
a refusal, and opting out of SMS offers is never a refusal (POLICY.md safeguards).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from activation.models import Job, Referral, Task
from activation.referrals import add_evidence, answer
from activation.rules import ReferralState
from activation.schemas import AnswerIn, EvidenceIn
from activation.sms_out import send_reentry_decision, send_text
from benefits.models import BenefitCase, Member
from benefits.services import LIVE_CASE_STATUSES
from kernel.context import ServiceContext, context_or_system
from kernel.errors import DomainError
from kernel.events import SmsDeliveryChanged, SmsOptOutChanged, SmsReplyReceived
from kernel.messages import say, stored
from kernel.money import from_fen
from notifications import services as sms
from notifications.phones import mask_phone

log = logging.getLogger(__name__)
STATUS_FOR_SMS = {
    "continuation_full": "continuation",
    "continuation_half": "continuation",
}


def person_by_phone(session: Session, phone: str) -> Member | None:
    """The member with this number, preferring one in a household that is applying or paid."""
    members = list(
        session.exec(select(Member).where(Member.phone == phone).order_by(col(Member.id).desc()))
    )
    if not members:
        return None
    live = set(
        session.exec(
            select(BenefitCase.household_id).where(
                col(BenefitCase.household_id).in_([m.household_id for m in members]),
                col(BenefitCase.status).in_([s.value for s in LIVE_CASE_STATUSES]),
            )
        )
    )
    return next((m for m in members if m.household_id in live), members[0])


def _pending(session: Session, member_id: int) -> list[Referral]:
    return list(
        session.exec(
            select(Referral)
            .where(Referral.member_id == member_id, Referral.state == ReferralState.OPEN)
            .order_by(col(Referral.id))
        )
    )


def _reply(
    ctx: ServiceContext, member: Member, template: str, params: dict[str, Any], key: str
) -> None:
    send_text(
        ctx,
        member,
        template,
        params,
        reference=f"reply:{member.id}",
        key=key,
        urgent=True,
    )


def on_sms_reply(session: Session, event: SmsReplyReceived) -> None:
    """A text arrived: accept or decline an offer, give a reason, ask for status."""
    ctx = context_or_system(session)
    member = person_by_phone(session, event.phone)
    if member is None or member.id is None:
        log.info("SMS from an unknown number %s (content not logged)", mask_phone(event.phone))
        return
    # One answer per incoming text, whatever its provider id holds (Tencent's holds the +86
    # number, which a dedupe key may not contain).
    key = sms.derived_key(f"reply:{event.gateway}", event.provider_message_id)
    pending = _pending(session, member.id)
    try:
        if event.command in ("accept", "decline"):
            referral = _offer_for(pending, member.id, event.code, session)
            if referral is None:
                _reply(ctx, member, "help_text", {"codes": [r.code for r in pending]}, key)
                return
            answer(
                ctx,
                referral.id or 0,
                AnswerIn(
                    answer="accepted" if event.command == "accept" else "declined",
                    answered_on=ctx.today,
                    reason="",
                ),
                channel="sms",
            )
        elif event.command == "reason":
            declined = session.exec(
                select(Referral)
                .where(Referral.member_id == member.id, Referral.state == ReferralState.DECLINED)
                .order_by(col(Referral.answered_at).desc())
            ).first()
            if declined is None:
                _reply(ctx, member, "help_text", {"codes": [r.code for r in pending]}, key)
                return
            add_evidence(ctx, declined.id or 0, EvidenceIn(text=event.text[:2000], source="sms"))
        elif event.command == "status":
            _status_reply(ctx, member, key)
        else:
            _reply(ctx, member, "help_text", {"codes": [r.code for r in pending]}, key)
    except DomainError as exc:
        log.info(
            "SMS from %s could not be applied: %s", mask_phone(event.phone), exc.problems[0].rule
        )
        session.rollback()
        _reply(
            ctx, member, "help_text", {"codes": [r.code for r in _pending(session, member.id)]}, key
        )


def _offer_for(
    pending: list[Referral], member_id: int, code: str | None, session: Session
) -> Referral | None:
    """``1 CODE`` names the offer; a bare ``1`` is the one pending offer, if there is only one."""
    if code is None:
        return pending[0] if len(pending) == 1 else None
    return session.exec(
        select(Referral).where(Referral.member_id == member_id, Referral.code == code.upper())
    ).first()


def _status_reply(ctx: ServiceContext, member: Member, key: str) -> None:
    """CX (查询): the household's status and amount, without any other personal data."""
    case = ctx.session.exec(
        select(BenefitCase)
        .where(BenefitCase.household_id == member.household_id)
        .order_by(col(BenefitCase.id).desc())
    ).first()
    if case is None:
        status, amount, since = "pending", Decimal(0), ctx.today
    else:
        status = STATUS_FOR_SMS.get(case.status, case.status)
        amount, since = from_fen(case.monthly_amount_fen), case.status_since
    _reply(ctx, member, "status_reply", {"status": status, "amount": amount, "since": since}, key)


def on_sms_delivery(session: Session, event: SmsDeliveryChanged) -> None:
    """A receipt: an offer is confirmed to have reached the person only when delivered."""
    if not event.reference or not event.reference.startswith("referral:"):
        return
    referral = session.get(Referral, int(event.reference.split(":")[1]))
    if referral is None or referral.channel != "sms":
        return
    if event.delivered:
        referral.delivered, referral.delivered_at = True, event.at
        referral.delivery_note = stored(say("SMS delivered (%(status)s)", status=event.status))
    else:
        referral.delivery_note = stored(
            say(
                "SMS not delivered (%(status)s): it can never count as a refusal",
                status=event.status,
            )
        )


def on_sms_opt_out(session: Session, event: SmsOptOutChanged) -> None:
    """The counsellor is told; offers for this person now go in person. Never a refusal."""
    ctx = context_or_system(session)
    member = person_by_phone(session, event.phone)
    if member is None or member.id is None:
        return
    kind = "sms_opted_out" if event.opted_out else "sms_opted_in"
    ref = f"phone:{member.id}:{event.at.isoformat(timespec='seconds')}"
    if session.exec(select(Task.id).where(Task.kind == kind, Task.ref == ref)).first() is None:
        session.add(
            Task(
                member_id=member.id,
                kind=kind,
                ref=ref,
                due_on=ctx.today,
                created_at=ctx.now,
                note=stored(
                    say(
                        "opted out of SMS offers: give offers in person or by phone (not a refusal)"
                    )
                    if event.opted_out
                    else say("opted back in to SMS offers")
                ),
            )
        )


def on_application_decided(session: Session, event: Any) -> None:
    """A fast re-entry approved: tell the person whose job fell through, by text."""
    if event.kind != "reentry" or not event.approved or event.case_id is None:
        return
    ctx = context_or_system(session)
    job = session.exec(
        select(Job)
        .where(Job.household_id == event.household_id, col(Job.ends_on).is_not(None))
        .order_by(col(Job.ends_on).desc())
    ).first()
    case = session.get(BenefitCase, event.case_id)
    if job is None or case is None:
        return
    member = session.get(Member, job.member_id)
    if member is None:
        return
    send_reentry_decision(
        ctx,
        member,
        case.id or 0,
        event.application_id,
        from_fen(case.monthly_amount_fen),
        case.status_since,
    )
