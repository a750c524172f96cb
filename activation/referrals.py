"""Referrals, answers and the good-reason review: when a decline counts as a refusal."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from activation import rules
from activation.common import (
    OPEN_SANCTION_STATES,
    close_tasks,
    get_referral,
    live_case,
    lock_person,
    member_or_404,
    not_future,
    open_application,
    open_task,
    record_decision,
)
from activation.models import (
    GoodReasonReview,
    Referral,
    Refusal,
    Registration,
    Sanction,
    Task,
    Warning,
)
from activation.sanctions import comply, withdraw_announcement
from activation.schemas import (
    AnswerIn,
    DeliveryIn,
    EvidenceIn,
    GoodReasonDecisionIn,
    ReferralIn,
)
from activation.sms_out import send_offer, send_warning
from kernel import audit
from kernel.context import ServiceContext
from kernel.errors import Conflict, InvalidInput, Problem
from kernel.messages import as_data, code_text, say, stored
from kernel.money import from_fen, yuan_text
from matching import rules as matching_rules
from matching import services as matching
from training import services as training
from training.schemas import EnrolmentIn

CODE_ALPHABET = "ACEFHJKLMPQUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B; no T, R, N, D (opt-out words)


def _new_code(session: Session) -> str:
    for _ in range(50):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
        if code.isalpha() or code.isdigit():
            continue  # a code mixes letters and digits, so a reply can never be mistaken for one
        if session.exec(select(Referral.id).where(Referral.code == code)).first() is None:
            return code
    raise RuntimeError("could not find a free offer code")


def _vacancy_offer(
    ctx: ServiceContext, member_id: int, vacancy_id: int, on: date
) -> tuple[dict, dict]:
    params = ctx.params(on)
    vacancy = matching.get_vacancy(ctx.session, vacancy_id)
    suitability = matching.suitability_for(ctx.session, member_id, vacancy_id, params, on)
    offer = {
        "employer": vacancy.employer,
        "title": vacancy.title,
        "occupation": vacancy.occupation_code,
        "monthly_wage": yuan_text(from_fen(vacancy.monthly_wage_fen)),
        "hours_per_week": vacancy.hours_per_week,
        "shift": vacancy.shift,
        "place": vacancy.community,
        "physical_demand": vacancy.physical_demand,
        "source": vacancy.source,
    }
    return offer, suitability.as_dict()


def _course_offer(
    ctx: ServiceContext, member_id: int, course_id: int, on: date
) -> tuple[dict, dict]:
    params = ctx.params(on)
    course = training.get_course(ctx.session, course_id)
    seats_left = course.capacity - training.seats_taken(ctx.session, [course_id]).get(course_id, 0)
    trades = {t["code"]: t for t in params.raw("training.trades")}
    facts = matching_rules.CourseFacts(
        course_id=course_id,
        trade=course.trade,
        title=course.title,
        physical_demand=course.physical_demand,
        starts_on=course.starts_on,
        seats_left=seats_left,
        occupations=tuple(trades.get(course.trade, {}).get("occupations", ())),
        community=course.community,
        lat=course.lat,
        lon=course.lon,
    )
    seeker = matching.seeker_facts(matching.get_seeker_profile(ctx.session, member_id))
    checks = matching_rules.course_checks(seeker, facts, on)
    suitability = {
        "suitable": all(c.passed for c in checks),
        "rule": "matching.course-suitability/1",
        "course_id": course_id,
        "checked_on": on.isoformat(),
        "parameter_version": params.version_id,
        "failed": [c.name for c in checks if not c.passed],
        "checks": [c.as_dict() for c in checks],
    }
    offer = {
        "employer": f"training provider {course.provider_id}",
        "title": course.title,
        "trade": course.trade,
        "starts_on": course.starts_on.isoformat(),
        "place": course.community,
        "physical_demand": course.physical_demand,
        "monthly_wage": "0.00",
    }
    return offer, suitability


def refer(ctx: ServiceContext, data: ReferralIn) -> Referral:
    """Refer a registered person to a vacancy or a course place, storing matching's
    suitability check and who made it. An unsuitable referral may still be made (the person
    may want it) but it can never count as a refusal (POLICY.md safeguards)."""
    member_or_404(ctx, data.member_id)
    lock_person(ctx, data.member_id)
    referred_on = data.referred_on or ctx.today
    not_future(ctx, "referred_on", referred_on)
    params = ctx.params(referred_on)
    if data.vacancy_id is not None:
        kind, target = "vacancy", data.vacancy_id
        offer, suitability = _vacancy_offer(ctx, data.member_id, data.vacancy_id, referred_on)
    else:
        assert data.course_id is not None
        kind, target = "course", data.course_id
        offer, suitability = _course_offer(ctx, data.member_id, data.course_id, referred_on)
    in_person = data.channel in ("in_person", "phone")
    referral = Referral(
        member_id=data.member_id,
        kind=kind,
        target_id=target,
        offer=offer,
        code=_new_code(ctx.session),
        referred_on=referred_on,
        answer_due_on=referred_on + timedelta(days=params.int("activation.referral.answer_days")),
        channel=data.channel,
        delivered=in_person,
        delivered_at=ctx.now if in_person else None,
        delivery_note=told_note(data.channel) if in_person else None,
        suitable=bool(suitability["suitable"]),
        suitability=suitability,
        made_by=ctx.actor.label,
        state=rules.ReferralState.OPEN,
        created_at=ctx.now,
    )
    ctx.session.add(referral)
    ctx.session.flush()
    if data.channel == "sms":
        send_offer(ctx, member_or_404(ctx, data.member_id), referral)
    audit.note(
        ctx,
        entity="referral",
        entity_id=referral.id or 0,
        action="referred",
        parameter_version=params.version_id,
        details={
            "member_id": data.member_id,
            kind: target,
            "suitable": referral.suitable,
            "code": referral.code,
        },
    )
    ctx.session.commit()
    return referral


def told_note(channel: str) -> str:
    """The delivery note of an offer the counsellor made in person or by phone: it reached the
    person as it was made (POLICY.md rule 3 counts a refusal only on an offer that did)."""
    return stored(say("told %(channel)s by the counsellor", channel=code_text(channel)))


def confirm_delivery(ctx: ServiceContext, referral_id: int, data: DeliveryIn) -> Referral:
    """The counsellor confirms the offer reached the person (a call, a visit, an SMS receipt)."""
    referral = get_referral(ctx, referral_id, lock=True)
    confirmed_on = data.confirmed_on or ctx.today
    not_future(ctx, "confirmed_on", confirmed_on)
    if confirmed_on < referral.referred_on:
        raise InvalidInput(
            Problem(
                "confirmed_on", "date-order", "the offer cannot reach the person before it was made"
            )
        )
    referral.delivered = True
    referral.delivered_at = ctx.now
    how, day = code_text(data.how), confirmed_on.isoformat()
    referral.delivery_note = stored(
        say("confirmed %(how)s on %(day)s: %(note)s", how=how, day=day, note=data.note)
        if data.note.strip()
        else say("confirmed %(how)s on %(day)s", how=how, day=day)
    )
    audit.note(
        ctx,
        entity="referral",
        entity_id=referral_id,
        action="delivery-confirmed",
        details={"how": data.how},
    )
    ctx.session.commit()
    return referral


def answer(
    ctx: ServiceContext, referral_id: int, data: AnswerIn, *, channel: str = "counsellor"
) -> Referral:
    """Record the person's answer. The path is channel-neutral: the counsellor now, SMS later.

    A decline opens the good-reason review (it is not yet a refusal); no answer opens a
    follow-up task (never a refusal by itself); an acceptance of a suitable offer is
    compliance, which opens the way back from a sanction.
    """
    referral = get_referral(ctx, referral_id, lock=True)
    lock_person(ctx, referral.member_id)
    ctx.session.refresh(referral)
    reply = rules.Answer(data.answer)
    if problem := rules.answer_problem(referral.state, reply):
        raise Conflict(Problem("answer", "referral-open", problem))
    answered_on = data.answered_on or ctx.today
    not_future(ctx, "answered_on", answered_on)
    if answered_on < referral.referred_on:
        raise InvalidInput(
            Problem("answered_on", "date-order", "an answer cannot precede the referral")
        )
    if reply is rules.Answer.DECLINED and not data.reason.strip() and channel == "counsellor":
        raise InvalidInput(
            Problem(
                "reason", "stated-reason", "record the reason the person gave (or 'none given')"
            )
        )
    referral.state = rules.ANSWER_STATES[reply]
    referral.answered_on = answered_on
    referral.answered_at = ctx.now
    referral.answered_by = ctx.actor.label
    referral.answer_channel = channel
    ref = f"referral:{referral.id}"
    if reply is rules.Answer.DECLINED:
        referral.decline_reason = data.reason.strip() or None
        evidence = (
            [{"on": answered_on.isoformat(), "source": channel, "text": data.reason.strip()}]
            if data.reason.strip()
            else []
        )
        ctx.session.add(
            GoodReasonReview(
                referral_id=referral_id,
                member_id=referral.member_id,
                opened_on=answered_on,
                state="pending",
                evidence=evidence,
            )
        )
        open_task(
            ctx,
            referral.member_id,
            "good_reason_review",
            ref,
            ctx.today + timedelta(days=3),
            say("decide whether the person had a good reason"),
        )
    elif reply is rules.Answer.NO_ANSWER:
        open_task(
            ctx,
            referral.member_id,
            "no_answer_follow_up",
            ref,
            ctx.today + timedelta(days=2),
            say("no answer to the offer: contact the person"),
        )
    if reply is not rules.Answer.NO_ANSWER:
        close_tasks(ctx, ref, ["no_answer_follow_up"])
    if reply is rules.Answer.ACCEPTED and referral.kind == "course" and referral.target_id:
        training.add_enrolment(
            ctx,
            referral.target_id,
            EnrolmentIn(member_id=referral.member_id, enrolled_on=answered_on),
        )
    if reply is rules.Answer.ACCEPTED and referral.suitable:
        comply(
            ctx,
            referral.member_id,
            answered_on,
            say("accepted suitable offer %(code)s", code=referral.code),
        )
    audit.note(
        ctx,
        entity="referral",
        entity_id=referral_id,
        action=f"answer:{reply.value}",
        reason=data.reason,
        details={"channel": channel},
    )
    ctx.session.commit()
    return referral


def _review(ctx: ServiceContext, referral_id: int) -> GoodReasonReview:
    review = ctx.session.exec(
        select(GoodReasonReview).where(GoodReasonReview.referral_id == referral_id)
    ).first()
    if review is None:
        raise Conflict(Problem("referral_id", "declined", "this referral was not declined"))
    return review


def add_evidence(ctx: ServiceContext, referral_id: int, data: EvidenceIn) -> GoodReasonReview:
    """The person may add evidence until a sanction built on this decline takes effect; new
    evidence reopens a decided review and, meanwhile, the refusal no longer counts."""
    referral = get_referral(ctx, referral_id, lock=True)
    lock_person(ctx, referral.member_id)
    review = _review(ctx, referral_id)
    started = sanctions_with(ctx, referral.member_id, referral_id, ["active"])
    if started:
        raise Conflict(
            Problem(
                "referral_id",
                "evidence-before-effect",
                "the sanction has taken effect: ask for reconsideration (appeal) instead",
            )
        )
    received_on = data.received_on or ctx.today
    not_future(ctx, "received_on", received_on)
    review.evidence = [
        *review.evidence,
        {"on": received_on.isoformat(), "source": data.source, "text": data.text},
    ]
    if review.state == "decided":
        review.state = "pending"
        open_task(
            ctx,
            referral.member_id,
            "good_reason_review",
            f"referral:{referral_id}:evidence:{len(review.evidence)}",
            ctx.today + timedelta(days=3),
            say("new evidence: review the decline again"),
        )
        refusal = ctx.session.exec(
            select(Refusal).where(Refusal.referral_id == referral_id)
        ).first()
        if refusal is not None and refusal.voided_on is None:
            refusal.voided_on = ctx.today
            refusal.void_reason = stored(say("good-reason review reopened by new evidence"))
            for sanction in sanctions_with(
                ctx, referral.member_id, referral_id, ["proposed", "confirmed"]
            ):
                withdraw_announcement(ctx, sanction)
                sanction.state = "cancelled"
                sanction.closed_reason = stored(
                    say("the refusal on referral %(id)s is being reviewed again", id=referral_id)
                )
    audit.note(
        ctx,
        entity="referral",
        entity_id=referral_id,
        action="evidence-added",
        details={"source": data.source},
    )
    ctx.session.commit()
    return review


def sanctions_with(
    ctx: ServiceContext, member_id: int, referral_id: int, states: list[str]
) -> list[Sanction]:
    rows = ctx.session.exec(
        select(Sanction).where(Sanction.member_id == member_id, col(Sanction.state).in_(states))
    )
    return [s for s in rows if referral_id in s.referral_ids]


def decide_good_reason(
    ctx: ServiceContext, referral_id: int, data: GoodReasonDecisionIn
) -> GoodReasonReview:
    """Decide the good-reason review; when nothing excuses a suitable, delivered offer, the
    decline counts, and the count decides between a warning and a sanction proposal."""
    referral = get_referral(ctx, referral_id, lock=True)
    registration = lock_person(ctx, referral.member_id)
    review = _review(ctx, referral_id)
    ctx.session.refresh(review)
    if review.state != "pending":
        raise Conflict(
            Problem("referral_id", "review-pending", "the good-reason review is already decided")
        )
    decided_on = data.decided_on or ctx.today
    not_future(ctx, "decided_on", decided_on)
    if referral.answered_on is not None and decided_on < referral.answered_on:
        raise InvalidInput(
            Problem(
                "decided_on",
                "date-order",
                say(
                    "the review cannot be decided before the answer of %(day)s",
                    day=referral.answered_on.isoformat(),
                ),
            )
        )
    good_reason = data.good_reason or data.doubt
    if not good_reason and data.reason_code != "none":
        raise InvalidInput(
            Problem(
                "reason_code",
                "good-reason-consistent",
                "a reason code other than 'none' describes a good reason; set good_reason",
            )
        )
    review.state = "decided"
    review.good_reason = good_reason
    review.reason_code = data.reason_code if good_reason else "none"
    review.notes = data.notes + (
        " (benefit of the doubt)" if data.doubt and not data.good_reason else ""
    )
    review.decided_by = ctx.actor.label
    review.decided_on = decided_on
    params = ctx.params(decided_on)
    test = rules.RefusalTest(
        declined=True,
        suitable=referral.suitable,
        delivered=referral.delivered,
        review_done=True,
        good_reason=good_reason,
    )
    verdict = rules.decline_counts(test)
    ref = f"referral:{referral_id}"
    decision = record_decision(
        ctx,
        member_id=referral.member_id,
        kind="refusal-verdict",
        ref=ref,
        inputs=asdict(test),
        rule_path=verdict.rule_path,
        outcome={
            "counts": verdict.counts,
            "rule_path": list(verdict.rule_path),
            "reason": verdict.reason,
        },
        parameter_version=params.version_id,
    )
    close_tasks(ctx, ref, ["good_reason_review"])
    for task in ctx.session.exec(
        select(Task).where(col(Task.ref).startswith(f"{ref}:evidence"), Task.state == "open")
    ):
        task.state, task.closed_at = "done", ctx.now
    if verdict.counts:
        # A refusal takes its place in the person's history on the day they declined, as an
        # acceptance does on the day they accepted: the count's order and window follow what
        # happened, not when an officer got round to the review.
        refused_on = referral.answered_on or decided_on
        refusal = ctx.session.exec(
            select(Refusal).where(Refusal.referral_id == referral_id)
        ).first()
        if refusal is None:
            ctx.session.add(
                Refusal(
                    referral_id=referral_id,
                    member_id=referral.member_id,
                    counted_on=refused_on,
                    decision_id=decision.id or 0,
                )
            )
        else:
            refusal.voided_on, refusal.void_reason = None, None
            refusal.counted_on, refusal.decision_id = refused_on, decision.id or 0
        ctx.session.flush()
        _consequence(ctx, registration, referral, decided_on)
    audit.note(
        ctx,
        entity="referral",
        entity_id=referral_id,
        action="good-reason-decided",
        reason=data.notes,
        parameter_version=params.version_id,
        details={"good_reason": good_reason, "counts": verdict.counts},
    )
    ctx.session.commit()
    return review


def outcomes_of(session: Session, member_id: int) -> list[rules.Outcome]:
    """Counted refusals and compliance (accepted suitable offers) for the refusal count."""
    refusals = session.exec(
        select(Refusal).where(Refusal.member_id == member_id, col(Refusal.voided_on).is_(None))
    )
    outcomes = [rules.Outcome(r.counted_on, "refusal", r.referral_id) for r in refusals]
    accepted = session.exec(
        select(Referral).where(
            Referral.member_id == member_id,
            col(Referral.state).in_([rules.ReferralState.ACCEPTED, rules.ReferralState.NOT_HIRED]),
            col(Referral.suitable).is_(True),
        )
    )
    outcomes += [
        rules.Outcome(r.answered_on or r.referred_on, "compliance", r.id or 0) for r in accepted
    ]
    return outcomes


def _consequence(
    ctx: ServiceContext, registration: Registration, referral: Referral, on: date
) -> None:
    """What the count of refusals on ``on`` (the review's day) leads to: a warning or a
    sanction proposal, dated that day."""
    member_id = registration.member_id
    params = ctx.params(on)
    outcomes = outcomes_of(ctx.session, member_id)
    count = rules.count_refusals(outcomes, on, params)
    decision = record_decision(
        ctx,
        member_id=member_id,
        kind="refusal-count",
        ref=f"referral:{referral.id}",
        inputs={
            "on": on.isoformat(),
            "outcomes": [
                {"on": o.on.isoformat(), "kind": o.kind, "referral_id": o.referral_id}
                for o in outcomes
            ],
        },
        rule_path=[
            f"window-{count.window_start.isoformat()}",
            f"count-{count.count}",
            count.consequence,
        ],
        outcome=count.as_dict(),
        parameter_version=params.version_id,
    )
    if count.consequence == "warning":
        written = rules.warning_text(count, params.text("activation.sanction.scope"))
        warning = Warning(
            member_id=member_id,
            kind="refusal",
            issued_on=on,
            said=as_data(written),
            refusal_count=count.count,
            decision_id=decision.id,
        )
        ctx.session.add(warning)
        ctx.session.flush()
        send_warning(ctx, member_or_404(ctx, member_id), warning, referral, count.threshold)
    elif count.consequence == "sanction_proposal":
        open_sanction = ctx.session.exec(
            select(Sanction).where(
                Sanction.member_id == member_id, col(Sanction.state).in_(OPEN_SANCTION_STATES)
            )
        ).first()
        if open_sanction is None:
            member = member_or_404(ctx, member_id)
            case = live_case(ctx.session, member.household_id)
            application = open_application(ctx.session, member.household_id)
            ctx.session.add(
                Sanction(
                    member_id=member_id,
                    household_id=member.household_id,
                    case_id=case.id if case else None,
                    application_id=application.id if application and case is None else None,
                    state="proposed",
                    proposed_on=on,
                    proposed_by=ctx.actor.label,
                    referral_ids=list(count.counted_referrals),
                    count_decision_id=decision.id or 0,
                )
            )


def course_matches(ctx: ServiceContext, member_id: int, k: int) -> list[tuple[Any, Any, int]]:
    """Open courses ranked for the person (matching's rule over training's courses, which the
    two leaf contexts cannot join themselves). Returns (match, course, seats left)."""
    params = ctx.params()
    trades = {t["code"]: t for t in params.raw("training.trades")}
    seeker = matching.seeker_facts(matching.get_seeker_profile(ctx.session, member_id))
    open_courses = training.open_courses(ctx.session, ctx.today)
    by_id = {course.id: (course, seats) for course, seats in open_courses}
    facts = [
        matching_rules.CourseFacts(
            course_id=course.id or 0,
            trade=course.trade,
            title=course.title,
            physical_demand=course.physical_demand,
            starts_on=course.starts_on,
            seats_left=seats,
            occupations=tuple(trades.get(course.trade, {}).get("occupations", ())),
            community=course.community,
            lat=course.lat,
            lon=course.lon,
        )
        for course, seats in open_courses
    ]
    ranked = matching_rules.rank_courses(seeker, facts, today=ctx.today)[:k]
    return [(m, *by_id[m.course_id]) for m in ranked]
