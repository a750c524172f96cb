"""Into work and back: jobs, the continuation (report 4 §五4), job loss and fast re-entry."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from activation import rules
from activation.common import (
    close_tasks,
    get_referral,
    live_case,
    member_or_404,
    not_future,
    open_application,
    open_task,
    record_decision,
)
from activation.models import (
    Continuation,
    Job,
    Task,
)
from activation.sanctions import comply
from activation.schemas import (
    HiredIn,
    JobEndIn,
    JobIncomeIn,
    JobStartIn,
)
from activation.sms_out import send_continuation_end, send_continuation_start
from benefits import coming
from benefits import services as benefit_services
from benefits.assessments import assessment_record
from benefits.incomes import incomes_on
from benefits.models import (
    BenefitCase,
    Household,
)
from benefits.rules import CaseStatus
from kernel import audit
from kernel.context import ServiceContext, context_of
from kernel.errors import Conflict, InvalidInput, NotFound, Problem, missing
from kernel.messages import code_text, say, stored
from kernel.money import from_fen, to_fen, yuan_text
from kernel.working_days import working_calendar


def get_job(ctx: ServiceContext, job_id: int) -> Job:
    job = ctx.session.exec(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None:
        raise NotFound(missing("job_id", job_id))
    return job


def _running_continuation(ctx: ServiceContext, case_id: int) -> Continuation | None:
    return ctx.session.exec(
        select(Continuation).where(Continuation.case_id == case_id, Continuation.state == "running")
    ).first()


def start_job(
    ctx: ServiceContext,
    data: JobStartIn,
    *,
    source: str = "counsellor",
    source_ref: str | None = None,
    commit: bool = True,
) -> Job:
    """Record a job start. The job's wage becomes the person's income from its first day; the
    household's case moves into its continuation automatically (an automatic right, not a
    favour); and taking a job is compliance, which opens the way back from a sanction."""
    if source_ref is not None:
        existing = ctx.session.exec(select(Job).where(Job.source_ref == source_ref)).first()
        if existing is not None:
            return existing
    member = member_or_404(ctx, data.member_id)
    not_future(ctx, "starts_on", data.starts_on)
    job = Job(
        member_id=data.member_id,
        household_id=member.household_id,
        employer=data.employer,
        occupation=data.occupation,
        starts_on=data.starts_on,
        monthly_income_fen=to_fen(data.monthly_income),
        hours_per_week=data.hours_per_week,
        source=source,
        source_ref=source_ref,
        recorded_by=ctx.actor.label,
        created_at=ctx.now,
    )
    ctx.session.add(job)
    ctx.session.flush()
    benefit_services.record_income(
        ctx, data.member_id, "wages", data.monthly_income, data.starts_on
    )
    case = live_case(ctx.session, member.household_id)
    if (
        case is not None
        and case.status == CaseStatus.ACTIVE
        and _running_continuation(ctx, case.id or 0) is None
    ):
        _begin_continuation(ctx, job, case, data.monthly_income)
    comply(
        ctx,
        data.member_id,
        data.starts_on,
        say("started work at %(employer)s", employer=data.employer),
    )
    audit.note(
        ctx,
        entity="job",
        entity_id=job.id or 0,
        action="started",
        details={
            "member_id": data.member_id,
            "source": source,
            "monthly_income": yuan_text(data.monthly_income),
        },
    )
    if commit:
        ctx.session.commit()
    return job


def _begin_continuation(
    ctx: ServiceContext, job: Job, case: BenefitCase, income: Decimal
) -> Continuation:
    params = ctx.params(job.starts_on)
    previous = from_fen(case.entitled_amount_fen)
    terms = rules.continuation_terms(
        job_start=job.starts_on, monthly_income=income, previous_amount=previous, params=params
    )
    decision = record_decision(
        ctx,
        member_id=job.member_id,
        kind="continuation-terms",
        ref=f"job:{job.id}",
        inputs={
            "job_start": job.starts_on.isoformat(),
            "monthly_income": str(income),
            "previous_amount": str(previous),
        },
        rule_path=terms.rule_path,
        outcome=terms.as_dict(),
        parameter_version=params.version_id,
        on=job.starts_on,
    )
    benefit_services.set_case_status(
        ctx,
        case,
        status=CaseStatus(terms.status),
        effective_from=benefit_services.status_day(case, job.starts_on),
        monthly_amount_fen=to_fen(terms.monthly_amount),
        reason=terms.reason,
        rule="continuation-start",
        parameter_version=params.version_id,
        details={"job_id": job.id, "ends_on": terms.ends_on.isoformat()},
    )
    continuation = Continuation(
        job_id=job.id or 0,
        case_id=case.id or 0,
        member_id=job.member_id,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        base_amount_fen=case.entitled_amount_fen,
        status=terms.status,
        fraction=str(terms.fraction),
        state="running",
        decision_id=decision.id or 0,
    )
    ctx.session.add(continuation)
    ctx.session.flush()
    coming.announce(
        case,
        terms.ends_on + timedelta(days=1),
        say(
            "the continuation ends on %(day)s; the household is then reassessed on its incomes",
            day=terms.ends_on.isoformat(),
        ),
    )
    send_continuation_start(
        ctx,
        member_or_404(ctx, job.member_id),
        continuation.id or 0,
        terms.monthly_amount,
        terms.starts_on,
        terms.ends_on,
    )
    return continuation


def hired(ctx: ServiceContext, referral_id: int, data: HiredIn) -> Job:
    """The employer confirmed an accepted referral: the job starts from the offer's details."""
    referral = get_referral(ctx, referral_id, lock=True)
    if referral.kind != "vacancy" or referral.state != rules.ReferralState.ACCEPTED:
        raise Conflict(
            Problem(
                "referral_id",
                "accepted-vacancy",
                "only an accepted job offer can be confirmed as a hire",
            )
        )
    return start_job(
        ctx,
        JobStartIn(
            member_id=referral.member_id,
            employer=referral.offer.get("employer", ""),
            occupation=referral.offer.get("occupation") or referral.offer.get("title", ""),
            starts_on=data.starts_on,
            monthly_income=data.monthly_income,
            hours_per_week=data.hours_per_week,
        ),
        source="referral",
        source_ref=f"referral:{referral_id}",
    )


def change_job_income(ctx: ServiceContext, job_id: int, data: JobIncomeIn) -> Job:
    """An income change during the continuation moves the person between full and half when
    the policy says so (continuation.follow_income_changes)."""
    job = get_job(ctx, job_id)
    if job.ends_on is not None:
        raise Conflict(Problem("job_id", "job-running", "this job has ended"))
    not_future(ctx, "effective_from", data.effective_from)
    if data.effective_from < job.starts_on:
        raise InvalidInput(
            Problem("effective_from", "date-order", "the change precedes the job's start")
        )
    job.monthly_income_fen = to_fen(data.monthly_income)
    benefit_services.record_income(
        ctx, job.member_id, "wages", data.monthly_income, data.effective_from
    )
    continuation = ctx.session.exec(
        select(Continuation).where(Continuation.job_id == job_id, Continuation.state == "running")
    ).first()
    params = ctx.params(data.effective_from)
    if continuation is not None and params.bool("continuation.follow_income_changes"):
        fraction, path = rules.continuation_fraction(data.monthly_income, params)
        if str(fraction) != continuation.fraction:
            case = ctx.session.get(BenefitCase, continuation.case_id)
            assert case is not None
            terms = rules.continuation_terms(
                job_start=continuation.starts_on,
                monthly_income=data.monthly_income,
                previous_amount=from_fen(continuation.base_amount_fen),
                params=params,
            )
            record_decision(
                ctx,
                member_id=job.member_id,
                kind="continuation-terms",
                ref=f"job:{job_id}",
                inputs={
                    "job_start": continuation.starts_on.isoformat(),
                    "monthly_income": str(data.monthly_income),
                    "previous_amount": str(from_fen(continuation.base_amount_fen)),
                },
                rule_path=(*path, "income-changed"),
                outcome=terms.as_dict(),
                parameter_version=params.version_id,
                on=data.effective_from,
            )
            benefit_services.set_case_status(
                ctx,
                case,
                status=CaseStatus(terms.status),
                effective_from=benefit_services.status_day(case, data.effective_from),
                monthly_amount_fen=to_fen(terms.monthly_amount),
                reason=f"income changed to {yuan_text(data.monthly_income)} yuan/month: "
                f"{terms.status.replace('_', ' ')}",
                rule="continuation-income-change",
                parameter_version=params.version_id,
            )
            continuation.status, continuation.fraction = terms.status, str(terms.fraction)
    ctx.session.commit()
    return job


def end_job(ctx: ServiceContext, job_id: int, data: JobEndIn) -> tuple[Job, dict[str, Any] | None]:
    """A job falls through. During a continuation the case returns to active at the full
    amount from that date; after an exit within the re-entry window the simplified path opens
    (report 4 §五4: 出得去进得来)."""
    job = get_job(ctx, job_id)
    if job.ends_on is not None:
        raise Conflict(Problem("job_id", "job-running", "this job has already ended"))
    reported_on = data.reported_on or ctx.today
    not_future(ctx, "ended_on", data.ended_on)
    not_future(ctx, "reported_on", reported_on)
    problems = []
    if data.ended_on < job.starts_on:
        problems.append(Problem("ended_on", "date-order", "a job cannot end before it starts"))
    if reported_on < data.ended_on:
        problems.append(
            Problem("reported_on", "date-order", "the end cannot be reported before it happens")
        )
    if problems:
        raise InvalidInput(problems)
    job.ends_on, job.end_reason = data.ended_on, data.reason
    benefit_services.record_income(
        ctx, job.member_id, "wages", Decimal(0), data.ended_on + timedelta(days=1)
    )
    reentry: dict[str, Any] | None = None
    case = ctx.session.exec(
        select(BenefitCase)
        .where(BenefitCase.household_id == job.household_id)
        .order_by(col(BenefitCase.id).desc())
    ).first()
    continuation = _running_continuation(ctx, case.id or 0) if case else None
    if case is not None and continuation is not None and continuation.job_id == job_id:
        benefit_services.set_case_status(
            ctx,
            case,
            status=CaseStatus.ACTIVE,
            effective_from=benefit_services.status_day(case, data.ended_on),
            monthly_amount_fen=continuation.base_amount_fen,
            reason=say(
                "the job ended on %(day)s (%(reason)s): back to the full amount (report 4 §五4)",
                day=data.ended_on.isoformat(),
                reason=code_text(data.reason),
            ),
            rule="continuation-job-lost",
            parameter_version=ctx.params(data.ended_on).version_id,
        )
        continuation.state, continuation.ended_on = "job_lost", data.ended_on
        coming.withdraw(case)  # the continuation's end will not come: it has ended
        continuation.end_reason = stored(
            say("job ended: %(reason)s", reason=code_text(data.reason))
        )
    elif case is not None and case.status == CaseStatus.TERMINATED and case.closed_on is not None:
        reentry = _offer_reentry(ctx, job, case, data, reported_on)
    audit.note(
        ctx,
        entity="job",
        entity_id=job_id,
        action="ended",
        reason=data.reason,
        details={"ended_on": data.ended_on.isoformat()},
    )
    ctx.session.commit()
    return job, reentry


def _offer_reentry(
    ctx: ServiceContext, job: Job, case: BenefitCase, data: JobEndIn, reported_on: date
) -> dict[str, Any]:
    params = ctx.params(reported_on)
    assert case.closed_on is not None
    right = rules.reentry_right(
        exited_on=case.closed_on,
        job_ended_on=data.ended_on,
        reported_on=reported_on,
        end_reason=data.reason,
        params=params,
        calendar=working_calendar(),
    )
    record_decision(
        ctx,
        member_id=job.member_id,
        kind="reentry-right",
        ref=f"job:{job.id}",
        inputs={
            "exited_on": case.closed_on.isoformat(),
            "job_ended_on": data.ended_on.isoformat(),
            "reported_on": reported_on.isoformat(),
            "end_reason": data.reason,
        },
        rule_path=[
            "eligible" if right.eligible else "outside-window",
            *(["misconduct-flagged"] if right.flagged_for_review else []),
        ],
        outcome=right.as_dict(),
        parameter_version=params.version_id,
        on=reported_on,
    )
    result = right.as_dict()
    if right.eligible and open_application(ctx.session, job.household_id) is None:
        application = benefit_services.apply_reentry(
            ctx,
            job.household_id,
            reported_on=reported_on,
            decision_due_on=right.decision_due_on,
            review_flag="job lost through misconduct: review" if right.flagged_for_review else None,
            declared_changes=data.declared_changes or f"job ended: {data.reason}",
        )
        result["application_id"] = application.id
        open_task(
            ctx,
            job.member_id,
            "reentry_decision",
            f"application:{application.id}",
            right.decision_due_on,
            say("fast re-entry: decide within the working days allowed"),
        )
    return result


def continuation_sweep(ctx: ServiceContext) -> dict[str, int]:
    """Daily: a task before each continuation ends; at the end, reassess the household and
    continue at the new amount or exit with a written reason."""
    params = ctx.params()
    warn_days = params.int("continuation.notice_days_before_end")
    results = {"continuation_tasks": 0, "continuations_ended": 0}
    for continuation in ctx.session.exec(
        select(Continuation).where(Continuation.state == "running")
    ):
        if ctx.today >= continuation.ends_on - timedelta(days=warn_days):
            before = ctx.session.exec(
                select(Task.id).where(
                    Task.kind == "continuation_end", Task.ref == f"continuation:{continuation.id}"
                )
            ).first()
            if before is None:
                send_continuation_end(
                    ctx,
                    member_or_404(ctx, continuation.member_id),
                    continuation.id or 0,
                    continuation.ends_on,
                )
                open_task(
                    ctx,
                    continuation.member_id,
                    "continuation_end",
                    f"continuation:{continuation.id}",
                    continuation.ends_on,
                    say("continuation ends: prepare the household's reassessment"),
                )
                results["continuation_tasks"] += 1
        if ctx.today > continuation.ends_on:
            _end_continuation(ctx, continuation)
            results["continuations_ended"] += 1
    return results


def _end_continuation(ctx: ServiceContext, continuation: Continuation) -> None:
    case = ctx.session.get(BenefitCase, continuation.case_id)
    assert case is not None
    household = ctx.session.get(Household, case.household_id)
    assert household is not None
    day = continuation.ends_on + timedelta(days=1)
    entitlement = benefit_services.assess_household(ctx, household, case.category, day)
    members = benefit_services.members_of(ctx.session, household.id or 0)
    incomes = [
        str(from_fen(i.monthly_amount_fen)) for i in incomes_on(ctx.session, household.id or 0, day)
    ]
    record_decision(
        ctx,
        member_id=continuation.member_id,
        kind="reassessment",
        ref=f"continuation:{continuation.id}",
        inputs={
            "scheme": household.scheme,
            "category": case.category,
            "member_count": len(members),
            "incomes": incomes,
            "on": day.isoformat(),
        },
        rule_path=["continuation-ended", "eligible" if entitlement.eligible else "not-eligible"],
        outcome=entitlement.explanation(),
        parameter_version=entitlement.parameter_version,
        on=day,
    )
    case.explanation = entitlement.explanation()
    case.parameter_version = entitlement.parameter_version
    if entitlement.eligible:
        case.entitled_amount_fen = to_fen(entitlement.monthly_amount)
        reason = say(
            "continuation ended on %(day)s; reassessed on current incomes: %(amount)s yuan a month",
            day=continuation.ends_on.isoformat(),
            amount=yuan_text(entitlement.monthly_amount),
        )
        status, amount, rule = (
            CaseStatus.ACTIVE,
            case.entitled_amount_fen,
            "continuation-ended-reassessed",
        )
    else:
        reason = say(
            "continuation ended on %(day)s; per-capita income %(income)s is not below the "
            "standard %(standard)s: the case exits; if the job falls through within "
            "%(months)s months, fast re-entry applies",
            day=continuation.ends_on.isoformat(),
            income=yuan_text(entitlement.per_capita_income),
            standard=yuan_text(entitlement.standard),
            months=ctx.params(day).int("reentry.window_months"),
        )
        status, amount, rule = CaseStatus.TERMINATED, 0, "continuation-ended-exit"
    benefit_services.set_case_status(
        ctx,
        case,
        status=status,
        effective_from=benefit_services.status_day(case, day),
        monthly_amount_fen=amount,
        reason=reason,
        rule=rule,
        parameter_version=entitlement.parameter_version,
        assessment=assessment_record(entitlement, day, benefit_services.status_day(case, day)),
    )
    continuation.state, continuation.ended_on = "reassessed", day
    continuation.end_reason = stored(reason)
    close_tasks(ctx, f"continuation:{continuation.id}", ["continuation_end"])


def on_placement_reported(session: Session, event: Any) -> None:
    """A training provider reported a placement: the job starts and so does its continuation
    (report 4 §五1-4). Idempotent by the provider's report id."""
    ctx = context_of(session)
    start_job(
        ctx,
        JobStartIn(
            member_id=event.member_id,
            employer=event.employer,
            occupation=event.occupation,
            starts_on=event.start_date,
            monthly_income=event.monthly_income,
            hours_per_week=event.hours_per_week,
        ),
        source="placement",
        source_ref=f"placement:{event.provider_id}:{event.report_id}",
        commit=False,
    )
