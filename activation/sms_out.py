"""The texts activation's use cases send: an offer, a warning, a stop's notice, a continuation
starting and ending, a fast re-entry approved. Each is queued in notifications' outbox in the
caller's transaction, so it goes out exactly when the decision it tells of is committed.

Replies, receipts and opt-outs coming back are ``activation.sms_replies``: they call the use
cases, and the use cases call this module, so the two halves live apart and neither imports
the other's callers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from activation.models import Referral, Sanction, Warning
from benefits.models import Member
from kernel.context import ServiceContext
from kernel.errors import Conflict, Problem
from kernel.settings import Settings
from notifications import services as sms


@cache
def office_phone() -> str:
    return Settings.from_env().office_phone


def send_text(
    ctx: ServiceContext,
    member: Member,
    template: str,
    params: dict[str, Any],
    *,
    reference: str,
    key: str,
    urgent: bool,
) -> str | None:
    """Queue one message to the member's phone in the caller's transaction; None if the
    member has no phone (the written notice on paper still stands)."""
    if not member.phone:
        return None
    result = sms.enqueue(
        ctx.session,
        phone=member.phone,
        locale=member.language,
        template_key=template,
        params=params,
        reference=reference,
        urgent=urgent,
        dedupe_key=key,
        now=ctx.now,
    )
    return result.outcome


def send_offer(ctx: ServiceContext, member: Member, referral: Referral) -> None:
    """The offer by text, with its code and deadline. Refused (nothing written) when the
    number has opted out of offers or there is no number: the counsellor gives it in person."""
    if not member.phone:
        raise Conflict(
            Problem("channel", "sms-possible", "the person has no mobile number on record")
        )
    if sms.is_opted_out(ctx.session, member.phone):
        raise Conflict(
            Problem(
                "channel",
                "sms-possible",
                "the number opted out of SMS offers: give the offer in person or by phone",
            )
        )
    offer = referral.offer
    if referral.kind == "vacancy":
        template, params = (
            "job_offer",
            {
                "code": referral.code,
                "employer": offer["employer"],
                "job_title": offer["title"],
                "place": offer["place"],
                "wage": Decimal(offer["monthly_wage"]),
                "deadline": referral.answer_due_on,
            },
        )
    else:
        template, params = (
            "training_offer",
            {
                "code": referral.code,
                "course": offer["title"],
                "provider": offer["employer"],
                "place": offer["place"],
                "start_date": date.fromisoformat(offer["starts_on"]),
                "deadline": referral.answer_due_on,
            },
        )
    send_text(
        ctx,
        member,
        template,
        params,
        reference=f"referral:{referral.id}",
        key=f"referral:{referral.id}:offer",
        urgent=False,
    )


def send_warning(
    ctx: ServiceContext, member: Member, warning: Warning, referral: Referral, threshold: int
) -> None:
    send_text(
        ctx,
        member,
        "warning_notice",
        {
            "job_title": referral.offer.get("title", ""),
            "refused_on": warning.issued_on,
            "count": warning.refusal_count or 0,
            "threshold": threshold,
            "office_phone": office_phone(),
        },
        reference=f"warning:{warning.id}",
        key=f"warning:{warning.id}",
        urgent=True,
    )


def send_sanction_notice(ctx: ServiceContext, member: Member, sanction: Sanction) -> None:
    terms = sanction.terms or {}
    send_text(
        ctx,
        member,
        "sanction_notice",
        {
            "amount": Decimal(terms["monthly_reduction"]),
            "starts_on": date.fromisoformat(terms["starts_on"]),
            "office": "县民政局",
            "appeal_by": date.fromisoformat(terms["appeal_by"]),
        },
        reference=f"sanction:{sanction.id}",
        key=f"sanction:{sanction.id}:notice",
        urgent=True,
    )


def send_continuation_start(
    ctx: ServiceContext,
    member: Member,
    continuation_id: int,
    amount: Decimal,
    starts_on: date,
    ends_on: date,
) -> None:
    send_text(
        ctx,
        member,
        "continuation_start",
        {"amount": amount, "starts_on": starts_on, "ends_on": ends_on},
        reference=f"continuation:{continuation_id}",
        key=f"continuation:{continuation_id}:start",
        urgent=True,
    )


def send_continuation_end(
    ctx: ServiceContext, member: Member, continuation_id: int, ends_on: date
) -> None:
    send_text(
        ctx,
        member,
        "continuation_end",
        {"ends_on": ends_on, "office_phone": office_phone()},
        reference=f"continuation:{continuation_id}",
        key=f"continuation:{continuation_id}:ending",
        urgent=True,
    )


def send_reentry_decision(
    ctx: ServiceContext,
    member: Member,
    case_id: int,
    application_id: int,
    amount: Decimal,
    starts_on: date,
) -> None:
    send_text(
        ctx,
        member,
        "reentry_decision",
        {"amount": amount, "starts_on": starts_on, "office_phone": office_phone()},
        reference=f"case:{case_id}",
        key=f"application:{application_id}:reentry",
        urgent=True,
    )
