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
from activation.schemas import EmploymentFileOut, TimelineEntry
from benefits.models import BenefitCase, CaseStatusPeriod, Member
from kernel.context import ServiceContext
from kernel.money import from_fen, yuan_text
from kernel.national_id import mask
from training.models import Course, Enrolment, OutcomeReport


def _entry(on: date, kind: str, title: str, detail: str, ref: str) -> TimelineEntry:
    return TimelineEntry(on=on, kind=kind, title=title, detail=detail, ref=ref)


def employment_file(ctx: ServiceContext, member: Member) -> EmploymentFileOut:
    session, member_id = ctx.session, member.id
    entries: list[TimelineEntry] = []
    for duty in session.exec(
        select(RegistrationDuty).where(RegistrationDuty.member_id == member_id)
    ):
        entries.append(
            _entry(
                duty.obligated_since,
                "duty",
                "must register as a job seeker",
                duty.assessment.get("reason", ""),
                f"duty:{duty.id}",
            )
        )
        if duty.ended_on:
            entries.append(
                _entry(
                    duty.ended_on,
                    "duty_ended",
                    "duty to register ended",
                    duty.end_reason or "",
                    f"duty:{duty.id}",
                )
            )
    registration = session.exec(
        select(Registration).where(Registration.member_id == member_id)
    ).first()
    if registration:
        entries.append(
            _entry(
                registration.registered_on,
                "registered",
                "registered as a job seeker",
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
        offer = f"{r.offer.get('title')} — {r.offer.get('employer')}"
        entries.append(
            _entry(
                r.referred_on,
                f"referred_{r.kind}",
                f"offered: {offer}",
                f"code {r.code}; {'suitable' if r.suitable else 'not suitable'}; {r.channel}",
                f"referral:{r.id}",
            )
        )
        if r.answered_on:
            entries.append(
                _entry(
                    r.answered_on,
                    f"answer_{r.state}",
                    f"answer: {r.state.replace('_', ' ')}",
                    r.decline_reason or "",
                    f"referral:{r.id}",
                )
            )
        review = reviews.get(r.id or 0)
        if review and review.decided_on:
            entries.append(
                _entry(
                    review.decided_on,
                    "good_reason_review",
                    "good reason found" if review.good_reason else "no good reason found",
                    review.notes or "",
                    f"referral:{r.id}",
                )
            )
        refusal = refusals.get(r.id or 0)
        if refusal:
            entries.append(
                _entry(
                    refusal.counted_on,
                    "refusal_counted",
                    "refusal counted",
                    offer,
                    f"referral:{r.id}",
                )
            )
            if refusal.voided_on:
                entries.append(
                    _entry(
                        refusal.voided_on,
                        "refusal_voided",
                        "refusal no longer counts",
                        refusal.void_reason or "",
                        f"referral:{r.id}",
                    )
                )
    for w in session.exec(select(Warning).where(Warning.member_id == member_id)):
        entries.append(
            _entry(w.issued_on, "warning", f"written warning ({w.kind})", w.text, f"warning:{w.id}")
        )
    sanctions = list(session.exec(select(Sanction).where(Sanction.member_id == member_id)))
    for s in sanctions:
        entries.append(
            _entry(
                s.proposed_on,
                "sanction_proposed",
                "sanction proposed",
                f"{len(s.referral_ids)} refusals",
                f"sanction:{s.id}",
            )
        )
        if s.confirmed_on:
            entries.append(
                _entry(
                    s.confirmed_on,
                    "sanction_confirmed",
                    "sanction confirmed; notice issued",
                    (s.notice or {}).get("effect", ""),
                    f"sanction:{s.id}",
                )
            )
        if s.started_on:
            entries.append(
                _entry(
                    s.started_on, "sanction_started", "sanction in effect", "", f"sanction:{s.id}"
                )
            )
        if s.ended_on:
            entries.append(
                _entry(
                    s.ended_on,
                    f"sanction_{s.state}",
                    f"sanction {s.state}",
                    s.closed_reason or "",
                    f"sanction:{s.id}",
                )
            )
    sanction_ids = [s.id for s in sanctions]
    for a in session.exec(select(Appeal).where(col(Appeal.sanction_id).in_(sanction_ids))):
        entries.append(
            _entry(a.lodged_on, "appeal_lodged", "appeal lodged", a.grounds, f"appeal:{a.id}")
        )
        if a.decided_on:
            entries.append(
                _entry(
                    a.decided_on,
                    f"appeal_{a.state}",
                    f"appeal {a.state}",
                    a.reasons or "",
                    f"appeal:{a.id}",
                )
            )
    for enrolment, course in session.exec(
        select(Enrolment, Course)
        .join(Course, col(Course.id) == Enrolment.course_id)
        .where(Enrolment.member_id == member_id)
    ):
        entries.append(
            _entry(
                enrolment.enrolled_on,
                "training_enrolled",
                f"enrolled: {course.title}",
                course.trade,
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
                _entry(
                    on,
                    f"training_{report.kind}",
                    f"training: {report.kind}",
                    course.title,
                    f"outcome:{report.id}",
                )
            )
    jobs = list(session.exec(select(Job).where(Job.member_id == member_id)))
    for j in jobs:
        entries.append(
            _entry(
                j.starts_on,
                "job_started",
                f"started work: {j.employer}",
                f"{j.occupation}; {yuan_text(from_fen(j.monthly_income_fen))} yuan/month; "
                f"{j.source}",
                f"job:{j.id}",
            )
        )
        if j.ends_on:
            entries.append(
                _entry(
                    j.ends_on,
                    "job_ended",
                    f"job ended: {j.employer}",
                    j.end_reason or "",
                    f"job:{j.id}",
                )
            )
    for c in session.exec(select(Continuation).where(Continuation.member_id == member_id)):
        entries.append(
            _entry(
                c.starts_on,
                c.status,
                f"benefit continues ({c.status.replace('_', ' ')})",
                f"until {c.ends_on.isoformat()}",
                f"continuation:{c.id}",
            )
        )
        if c.ended_on:
            entries.append(
                _entry(
                    c.ended_on,
                    f"continuation_{c.state}",
                    "continuation ended",
                    c.end_reason or "",
                    f"continuation:{c.id}",
                )
            )
    for period, case in session.exec(
        select(CaseStatusPeriod, BenefitCase)
        .join(BenefitCase, col(BenefitCase.id) == CaseStatusPeriod.case_id)
        .where(BenefitCase.household_id == member.household_id)
    ):
        entries.append(
            _entry(
                period.effective_from,
                "benefit_status",
                f"benefit {period.status.replace('_', ' ')}: "
                f"{yuan_text(from_fen(period.monthly_amount_fen))} yuan/month",
                period.reason,
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
    writer.writerow(["date", "kind", "title", "detail", "reference"])
    for e in file.entries:
        writer.writerow([e.on.isoformat(), e.kind, e.title, e.detail, e.ref])
    return "\ufeff" + buffer.getvalue()
