"""The daily sweep: idempotent work that falls due with the calendar."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, and_, cast, exists, literal, or_
from sqlmodel import col, select

from activation import rules
from activation.common import NewTask, open_tasks_once
from activation.duties import refresh_duties
from activation.models import (
    Referral,
    Registration,
    RegistrationDuty,
    Sanction,
    Task,
    Warning,
)
from activation.sanctions import restore_case, start_sanction
from activation.work import continuation_sweep
from benefits.models import (
    BenefitCase,
    Member,
)
from benefits.services import LIVE_CASE_STATUSES
from kernel.context import ServiceContext
from kernel.messages import as_data, code_text, say, uncarry


def daily_sweep(ctx: ServiceContext) -> dict[str, int]:
    """Idempotent daily work: duties (ages change), registration reminders and warnings,
    unanswered offers, sanctions whose notice period has elapsed, resumptions that are due."""
    results = {
        k: 0
        for k in (
            "duties_opened",
            "duties_ended",
            "reminders",
            "registration_warnings",
            "no_answer",
            "sanctions_started",
            "sanctions_ended",
        )
    }
    changed = refresh_duties(ctx)
    results["duties_opened"], results["duties_ended"] = changed["opened"], changed["ended"]
    params = ctx.params()
    registered = select(Registration.member_id)
    tasks: list[NewTask] = []
    # Only duties whose reminder or warning day has come are loaded: both days are calendar
    # offsets from obligated_since (activation.rules), so "the day has come" is a date bound.
    # The rules below still decide; the bound only spares reading every open duty each day.
    remind_from = ctx.today - (rules.registration_deadline(ctx.today, params) - ctx.today)
    warn_from = ctx.today - (rules.registration_warning_day(ctx.today, params) - ctx.today)
    for duty in ctx.session.exec(
        select(RegistrationDuty).where(
            col(RegistrationDuty.ended_on).is_(None),
            col(RegistrationDuty.member_id).not_in(registered),
            or_(
                and_(
                    col(RegistrationDuty.reminded_on).is_(None),
                    RegistrationDuty.obligated_since <= remind_from,
                ),
                and_(
                    col(RegistrationDuty.warned_on).is_(None),
                    RegistrationDuty.obligated_since <= warn_from,
                ),
            ),
        )
    ):
        if duty.reminded_on is None and ctx.today >= rules.registration_deadline(
            duty.obligated_since, params
        ):
            duty.reminded_on = ctx.today
            tasks.append(
                NewTask(
                    duty.member_id,
                    "registration_reminder",
                    f"duty:{duty.id}",
                    ctx.today,
                    say("registration deadline passed: remind the person"),
                )
            )
            results["reminders"] += 1
        if duty.warned_on is None and ctx.today >= rules.registration_warning_day(
            duty.obligated_since, params
        ):
            duty.warned_on = ctx.today
            written = say(
                "Written warning: you must register as a job seeker at your community or "
                "township labour office (report 4 §五4); the deadline was %(deadline)s. "
                "(%(version)s)",
                deadline=rules.registration_deadline(duty.obligated_since, params).isoformat(),
                version=params.version_id,
            )
            ctx.session.add(
                Warning(
                    member_id=duty.member_id,
                    kind="registration",
                    issued_on=ctx.today,
                    said=as_data(written),
                )
            )
            results["registration_warnings"] += 1
    for referral in ctx.session.exec(
        select(Referral).where(
            Referral.state == rules.ReferralState.OPEN, Referral.answer_due_on < ctx.today
        )
    ):
        referral.state = rules.ReferralState.NO_ANSWER
        tasks.append(
            NewTask(
                referral.member_id,
                "no_answer_follow_up",
                f"referral:{referral.id}",
                ctx.today,
                say("no answer by the deadline: contact the person (not a refusal)"),
            )
        )
        results["no_answer"] += 1
    open_tasks_once(ctx, tasks)
    for sanction in ctx.session.exec(select(Sanction).where(Sanction.state == "confirmed")):
        if date.fromisoformat((sanction.terms or {})["starts_on"]) <= ctx.today:
            start_sanction(ctx, sanction)
            results["sanctions_started"] += 1
    for sanction in ctx.session.exec(select(Sanction).where(Sanction.state == "active")):
        if sanction.resumes_on is not None and sanction.resumes_on <= ctx.today:
            restore_case(
                ctx,
                sanction,
                sanction.resumes_on,
                say(
                    "sanction %(id)s ended: %(how)s",
                    id=sanction.id,
                    how=uncarry(sanction.closed_reason or ""),
                ),
                "sanction-ended-compliance",
            )
            sanction.state = "ended"
            sanction.ended_on = sanction.resumes_on
            results["sanctions_ended"] += 1
    results.update(continuation_sweep(ctx))
    results["re_reviews_due"] = _re_review_tasks(ctx)
    ctx.session.commit()
    return results


RE_REVIEW_CHUNK = 20_000  # cases whose re-review tasks are opened at a time


def _re_review_tasks(ctx: ServiceContext) -> int:
    """Dynamic management (report 1): a task for each live case whose re-review is due, once
    per due date. Each query finds up to ``RE_REVIEW_CHUNK`` cases due, in case order, with
    their heads and no task for that date yet; one statement opens their tasks.

    Taken in chunks because a county's first sweep finds nearly every case due at once: held
    whole, a million cases' tasks peaked at 1.5 GiB (``workbridge bench sweep``). On an
    ordinary day one query finds the few due and stops."""
    task_ref = (
        literal("case:")
        + cast(BenefitCase.id, String)
        + literal(":review:")
        + cast(BenefitCase.next_review_on, String)
    )
    due_cases = (
        select(BenefitCase.id, BenefitCase.next_review_on, BenefitCase.scheme, Member.id)
        .join(Member, col(Member.household_id) == BenefitCase.household_id)
        .where(
            col(BenefitCase.status).in_([s.value for s in LIVE_CASE_STATUSES]),
            BenefitCase.next_review_on <= ctx.today,
            Member.relation == "head",
            ~exists().where(Task.kind == "re_review", Task.ref == task_ref),
        )
        .order_by(col(BenefitCase.id))
        .limit(RE_REVIEW_CHUNK)
    )
    opened, after = 0, 0
    while True:
        rows = ctx.session.exec(due_cases.where(col(BenefitCase.id) > after)).all()
        open_tasks_once(
            ctx,
            [
                NewTask(
                    head_id or 0,
                    "re_review",
                    f"case:{case_id}:review:{due.isoformat()}",
                    due,
                    say(
                        "re-review of case %(case)s is due (%(scheme)s; report 1)",
                        case=case_id,
                        scheme=code_text(scheme),
                    ),
                )
                for case_id, due, scheme, head_id in rows
            ],
        )
        opened += len(rows)
        if len(rows) < RE_REVIEW_CHUNK:
            return opened
        after = rows[-1][0]
