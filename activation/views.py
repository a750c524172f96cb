"""Read models of the activation API."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from activation import rules
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
    Task,
    Warning,
)
from activation.schemas import (
    DecisionOut,
    DutyOut,
    JobOut,
    PersonActivationOut,
    ReferralOut,
    RegistrationOut,
    SanctionOut,
    TaskOut,
    WarningOut,
)
from activation.services import person_facts
from benefits.models import Household, Member
from kernel.context import ServiceContext
from kernel.messages import answer_gettext, from_data, render, words
from kernel.money import from_fen, yuan_text
from kernel.national_id import mask


def duty_out(
    ctx: ServiceContext,
    member: Member,
    household: Household,
    duty_row: RegistrationDuty | None,
    registered: bool,
) -> DutyOut:
    params = ctx.params()
    duty = rules.registration_duty(person_facts(member), ctx.today, params)
    assert member.id is not None and household.id is not None
    return DutyOut(
        member_id=member.id,
        name=member.name,
        national_id_masked=mask(member.national_id),
        household_id=household.id,
        community=household.community,
        obligated=duty.obligated,
        rule=duty.rule,
        reason=render(duty.explained, answer_gettext()),
        age=duty.age,
        parameter_version=duty.parameter_version,
        registered=registered,
        obligated_since=duty_row.obligated_since if duty_row else None,
        deadline=rules.registration_deadline(duty_row.obligated_since, params)
        if duty_row
        else None,
    )


def registration_out(ctx: ServiceContext, registration: Registration) -> RegistrationOut:
    from matching.services import get_seeker_profile
    from matching.views import profile_out

    profile = get_seeker_profile(ctx.session, registration.member_id)
    return RegistrationOut(
        id=registration.id or 0,
        member_id=registration.member_id,
        office=registration.office,
        registered_on=registration.registered_on,
        registered_by=registration.registered_by,
        profile=profile_out(profile).model_dump(mode="json"),
    )


def _review_out(review: GoodReasonReview | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "state": review.state,
        "good_reason": review.good_reason,
        "reason_code": review.reason_code,
        "notes": review.notes,
        "decided_by": review.decided_by,
        "decided_on": review.decided_on.isoformat() if review.decided_on else None,
        "evidence": review.evidence,
    }


def referrals_out(ctx: ServiceContext, referrals: list[Referral]) -> list[ReferralOut]:
    """Referrals with their reviews and refusals: one query per table, not per referral."""
    ids = [r.id for r in referrals]
    reviews = {
        r.referral_id: r
        for r in ctx.session.exec(
            select(GoodReasonReview).where(col(GoodReasonReview.referral_id).in_(ids))
        )
    }
    refusals = {
        r.referral_id: r
        for r in ctx.session.exec(select(Refusal).where(col(Refusal.referral_id).in_(ids)))
    }
    out = []
    for referral in referrals:
        refusal = refusals.get(referral.id or 0)
        out.append(
            ReferralOut.model_validate(
                referral,
                update={
                    "review": _review_out(reviews.get(referral.id or 0)),
                    "refusal_counted": refusal is not None and refusal.voided_on is None,
                    "delivery_note": words(referral.delivery_note) or None,
                },
            )
        )
    return out


def referrals_by_id(ctx: ServiceContext, ids: list[int]) -> list[Referral]:
    found = ctx.session.exec(select(Referral).where(col(Referral.id).in_(ids)))
    return sorted(found, key=lambda r: ids.index(r.id or 0))


def referral_out(ctx: ServiceContext, referral: Referral) -> ReferralOut:
    return referrals_out(ctx, [referral])[0]


def sanction_out(ctx: ServiceContext, sanction: Sanction) -> SanctionOut:
    appeals = ctx.session.exec(
        select(Appeal).where(Appeal.sanction_id == sanction.id).order_by(col(Appeal.id))
    )
    return SanctionOut(
        id=sanction.id or 0,
        member_id=sanction.member_id,
        household_id=sanction.household_id,
        case_id=sanction.case_id,
        application_id=sanction.application_id,
        state=sanction.state,
        proposed_on=sanction.proposed_on,
        proposed_by=sanction.proposed_by,
        referral_ids=sanction.referral_ids,
        vulnerability_review=sanction.vulnerability_review,
        confirmed_by=sanction.confirmed_by,
        confirmed_on=sanction.confirmed_on,
        terms=sanction.terms,
        notice=notice_out(sanction.notice),
        started_on=sanction.started_on,
        complied_on=sanction.complied_on,
        resumes_on=sanction.resumes_on,
        ended_on=sanction.ended_on,
        closed_reason=words(sanction.closed_reason) or None,
        appeals=[
            {
                "id": a.id,
                "lodged_on": a.lodged_on.isoformat(),
                "grounds": a.grounds,
                "state": a.state,
                "decided_by": a.decided_by,
                "decided_on": a.decided_on.isoformat() if a.decided_on else None,
                "reasons": a.reasons,
                "back_pay": yuan_text(from_fen(a.back_pay_fen))
                if a.back_pay_fen is not None
                else None,
            }
            for a in appeals
        ],
    )


def task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.id or 0,
        member_id=task.member_id,
        kind=task.kind,
        ref=task.ref,
        due_on=task.due_on,
        state=task.state,
        note=words(task.note),
    )


NOTICE_SENTENCES = ("rule", "effect", "how_to_end", "appeal")


def notice_out(notice: dict[str, Any] | None) -> dict[str, Any] | None:
    """The notice as issued, its sentences in the reader's language (notices issued before
    their sentences were kept as data read as they were written)."""
    if notice is None:
        return None
    shown = dict(notice)
    for key in NOTICE_SENTENCES:
        if key in notice:
            shown[key] = render(from_data(notice[key]), answer_gettext())
    shown["facts"] = [render(from_data(f), answer_gettext()) for f in notice.get("facts", [])]
    return shown


def warning_words(warning: Warning) -> str:
    """The warning as it was written, in the reader's language (warnings written before they
    were kept as data read as they were written)."""
    return render(from_data(warning.said) if warning.said else warning.text or "", answer_gettext())


def warning_out(warning: Warning) -> WarningOut:
    return WarningOut(
        id=warning.id or 0,
        kind=warning.kind,
        issued_on=warning.issued_on,
        text=warning_words(warning),
        refusal_count=warning.refusal_count,
    )


def decision_out(decision) -> DecisionOut:  # type: ignore[no-untyped-def]
    return DecisionOut(
        id=decision.id,
        member_id=decision.member_id,
        kind=decision.kind,
        ref=decision.ref,
        decided_on=decision.decided_on,
        actor=decision.actor,
        inputs=decision.inputs,
        rule_path=decision.rule_path,
        outcome=decision.outcome,
        parameter_version=decision.parameter_version,
    )


def person_out(ctx: ServiceContext, member: Member) -> PersonActivationOut:
    household = ctx.session.get(Household, member.household_id)
    assert household is not None
    duty_row = ctx.session.exec(
        select(RegistrationDuty).where(
            RegistrationDuty.member_id == member.id, col(RegistrationDuty.ended_on).is_(None)
        )
    ).first()
    registration = ctx.session.exec(
        select(Registration).where(Registration.member_id == member.id)
    ).first()
    referrals = ctx.session.exec(
        select(Referral).where(Referral.member_id == member.id).order_by(col(Referral.id))
    )
    warnings = ctx.session.exec(
        select(Warning).where(Warning.member_id == member.id).order_by(col(Warning.id))
    )
    sanctions = ctx.session.exec(
        select(Sanction).where(Sanction.member_id == member.id).order_by(col(Sanction.id))
    )
    tasks = ctx.session.exec(
        select(Task)
        .where(Task.member_id == member.id, Task.state == "open")
        .order_by(col(Task.due_on))
    )
    return PersonActivationOut(
        duty=duty_out(ctx, member, household, duty_row, registration is not None),
        registration=registration_out(ctx, registration) if registration else None,
        referrals=referrals_out(ctx, list(referrals)),
        warnings=[warning_out(w) for w in warnings],
        sanctions=[sanction_out(ctx, s) for s in sanctions],
        open_tasks=[task_out(t) for t in tasks],
    )


def job_out(ctx: ServiceContext, job: Job) -> JobOut:
    continuation = ctx.session.exec(
        select(Continuation)
        .where(Continuation.job_id == job.id)
        .order_by(col(Continuation.id).desc())
    ).first()
    return JobOut(
        id=job.id or 0,
        member_id=job.member_id,
        household_id=job.household_id,
        employer=job.employer,
        occupation=job.occupation,
        starts_on=job.starts_on,
        ends_on=job.ends_on,
        end_reason=job.end_reason,
        monthly_income=yuan_text(from_fen(job.monthly_income_fen)),
        hours_per_week=job.hours_per_week,
        source=job.source,
        continuation=(
            {
                "id": continuation.id,
                "status": continuation.status,
                "fraction": continuation.fraction,
                "starts_on": continuation.starts_on.isoformat(),
                "ends_on": continuation.ends_on.isoformat(),
                "base_amount": yuan_text(from_fen(continuation.base_amount_fen)),
                "state": continuation.state,
                "end_reason": words(continuation.end_reason) or None,
            }
            if continuation
            else None
        ),
    )
