"""The employment file: one timeline per person of everything that happened on the way into
work and back (report 4 §五4: 建立低保人口就业档案, 掌握其就业的基本信息).

Read-only; one query per source table, merged and sorted by day.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import col, select

from activation.models import (
    Appeal,
    Continuation,
    GoodReasonReview,
    Job,
    Referral,
    Refusal,
    Registration,
    RegistrationDuty,
    Sanction,
    Warning,
)
from activation.rules import Duty
from activation.schemas import EmploymentFileOut, TimelineEntry
from activation.views import warning_words
from benefits.models import BenefitCase, CaseStatusPeriod, Member
from benefits.views import in_words
from kernel.context import ServiceContext
from kernel.messages import Text, code_words, say, words
from kernel.money import from_fen, yuan_text
from kernel.national_id import mask
from training.models import Course, Enrolment, OutcomeReport


def _entry(on: date, kind: str, detail: str | Text | None, ref: str) -> TimelineEntry:
    """An entry in the reader's words: ``title`` is what happened (its ``kind`` in words),
    ``detail`` the particulars."""
    return TimelineEntry(on=on, kind=kind, title=code_words(kind), detail=words(detail), ref=ref)


def _offer(offer: dict[str, object]) -> str:
    return f"{offer.get('title')} — {offer.get('employer')}"


def _duty_reason(assessment: dict[str, object]) -> str | Text:
    try:
        return Duty.from_dict(assessment).explained
    except (KeyError, TypeError, ValueError):  # an assessment stored in another shape
        return str(assessment.get("reason", ""))


def employment_file(ctx: ServiceContext, member: Member) -> EmploymentFileOut:
    session, member_id = ctx.session, member.id
    entries: list[TimelineEntry] = []
    for duty in session.exec(
        select(RegistrationDuty).where(RegistrationDuty.member_id == member_id)
    ):
        ref = f"duty:{duty.id}"
        entries.append(_entry(duty.obligated_since, "duty", _duty_reason(duty.assessment), ref))
        if duty.ended_on:
            entries.append(_entry(duty.ended_on, "duty_ended", duty.end_reason, ref))
    registration = session.exec(
        select(Registration).where(Registration.member_id == member_id)
    ).first()
    if registration:
        entries.append(
            _entry(
                registration.registered_on,
                "registered",
                registration.office,
                f"registration:{registration.id}",
            )
        )
    referrals = list(session.exec(select(Referral).where(Referral.member_id == member_id)))
    reviews = {
        r.referral_id: r
        for r in session.exec(
            select(GoodReasonReview).where(GoodReasonReview.member_id == member_id)
        )
    }
    refusals = {
        r.referral_id: r
        for r in session.exec(select(Refusal).where(Refusal.member_id == member_id))
    }
    for r in referrals:
        ref, offer = f"referral:{r.id}", _offer(r.offer)
        entries.append(
            _entry(
                r.referred_on,
                f"referred_{r.kind}",
                say(
                    "%(offer)s; code %(code)s; %(suitable)s; %(channel)s",
                    offer=offer,
                    code=r.code,
                    suitable=say("suitable") if r.suitable else say("not suitable"),
                    channel=code_words(r.channel),
                ),
                ref,
            )
        )
        if r.answered_on:
            entries.append(_entry(r.answered_on, f"answer_{r.state}", r.decline_reason, ref))
        review = reviews.get(r.id or 0)
        if review and review.decided_on:
            found = say("good reason found") if review.good_reason else say("no good reason found")
            notes = say("%(found)s: %(notes)s", found=found, notes=review.notes)
            entries.append(
                _entry(
                    review.decided_on, "good_reason_review", notes if review.notes else found, ref
                )
            )
        refusal = refusals.get(r.id or 0)
        if refusal:
            entries.append(_entry(refusal.counted_on, "refusal_counted", offer, ref))
            if refusal.voided_on:
                entries.append(
                    _entry(refusal.voided_on, "refusal_voided", refusal.void_reason, ref)
                )
    for w in session.exec(select(Warning).where(Warning.member_id == member_id)):
        entries.append(_entry(w.issued_on, "warning", warning_words(w), f"warning:{w.id}"))
    sanctions = list(session.exec(select(Sanction).where(Sanction.member_id == member_id)))
    for s in sanctions:
        ref = f"sanction:{s.id}"
        entries.append(
            _entry(
                s.proposed_on,
                "sanction_proposed",
                say("%(count)s refusals counted", count=len(s.referral_ids)),
                ref,
            )
        )
        if s.confirmed_on:
            terms = s.terms or {}
            entries.append(
                _entry(
                    s.confirmed_on,
                    "sanction_confirmed",
                    say(
                        "%(amount)s yuan a month withheld from %(day)s",
                        amount=terms.get("monthly_reduction", ""),
                        day=terms.get("starts_on", ""),
                    ),
                    ref,
                )
            )
        if s.started_on:
            entries.append(_entry(s.started_on, "sanction_active", None, ref))
        if s.ended_on:
            entries.append(_entry(s.ended_on, f"sanction_{s.state}", s.closed_reason, ref))
    sanction_ids = [s.id for s in sanctions]
    for a in session.exec(select(Appeal).where(col(Appeal.sanction_id).in_(sanction_ids))):
        entries.append(_entry(a.lodged_on, "appeal_lodged", a.grounds, f"appeal:{a.id}"))
        if a.decided_on:
            entries.append(_entry(a.decided_on, f"appeal_{a.state}", a.reasons, f"appeal:{a.id}"))
    for enrolment, course in session.exec(
        select(Enrolment, Course)
        .join(Course, col(Course.id) == Enrolment.course_id)
        .where(Enrolment.member_id == member_id)
    ):
        entries.append(
            _entry(
                enrolment.enrolled_on,
                "training_enrolled",
                course.title,  # names its trade in words; the trade's code is not for readers
                f"enrolment:{enrolment.id}",
            )
        )
        for report in session.exec(
            select(OutcomeReport).where(OutcomeReport.enrolment_id == enrolment.id)
        ):
            on = (
                date.fromisoformat(str(report.payload.get("on")))
                if report.payload.get("on")
                else enrolment.enrolled_on
            )
            entries.append(
                _entry(on, f"training_{report.kind}", course.title, f"outcome:{report.id}")
            )
    jobs = list(session.exec(select(Job).where(Job.member_id == member_id)))
    for j in jobs:
        ref = f"job:{j.id}"
        entries.append(
            _entry(
                j.starts_on,
                "job_started",
                say(
                    "%(employer)s: %(occupation)s, %(pay)s yuan a month (%(source)s)",
                    employer=j.employer,
                    occupation=j.occupation,
                    pay=yuan_text(from_fen(j.monthly_income_fen)),
                    source=code_words(j.source),
                ),
                ref,
            )
        )
        if j.ends_on:
            entries.append(
                _entry(
                    j.ends_on,
                    "job_ended",
                    say(
                        "%(employer)s: %(reason)s",
                        employer=j.employer,
                        reason=code_words(j.end_reason) if j.end_reason else say("no reason given"),
                    ),
                    ref,
                )
            )
    for c in session.exec(select(Continuation).where(Continuation.member_id == member_id)):
        ref = f"continuation:{c.id}"
        entries.append(
            _entry(c.starts_on, c.status, say("until %(day)s", day=c.ends_on.isoformat()), ref)
        )
        if c.ended_on:
            entries.append(_entry(c.ended_on, f"continuation_{c.state}", c.end_reason, ref))
    for period, case in session.exec(
        select(CaseStatusPeriod, BenefitCase)
        .join(BenefitCase, col(BenefitCase.id) == CaseStatusPeriod.case_id)
        .where(BenefitCase.household_id == member.household_id)
    ):
        entries.append(
            _entry(
                period.effective_from,
                "benefit_status",
                say(
                    "%(status)s, %(amount)s yuan a month: %(reason)s",
                    status=code_words(period.status),
                    amount=yuan_text(from_fen(period.monthly_amount_fen)),
                    reason=in_words(period.reason, period.said) or "",
                ),
                f"case:{case.id}",
            )
        )
    entries.sort(key=lambda e: (e.on, e.ref, e.kind))
    return EmploymentFileOut(
        member_id=member_id or 0,
        name=member.name,
        national_id_masked=mask(member.national_id),
        entries=entries,
    )


def as_csv(file: EmploymentFileOut) -> str:
    """The export: UTF-8 with a byte-order mark so spreadsheet programs read the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            words(say("date")),
            words(say("code")),
            words(say("what happened")),
            words(say("details")),
            words(say("reference")),
        ]
    )
    for e in file.entries:
        writer.writerow([e.on.isoformat(), e.kind, e.title, e.detail, e.ref])
    return "\ufeff" + buffer.getvalue()
