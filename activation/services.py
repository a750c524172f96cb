"""Activation use cases: duties, registration, referrals and answers, the refusal rule,
sanctions with their safeguards, appeals and the way back (POLICY.md rules 2-3).

Use cases that can count a refusal lock the person's registration row first (FOR UPDATE on
PostgreSQL), so concurrent answers for one person are serialised; the database also refuses a
second refusal for the same referral. Every decision that can change money is stored with its
inputs, rule path, outcome, parameter version and officer, and can be replayed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from activation import rules
from activation import sms as activation_sms
from activation.models import (
    ActivationDecision,
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
    AnswerIn,
    AppealDecisionIn,
    AppealIn,
    DeliveryIn,
    EvidenceIn,
    GoodReasonDecisionIn,
    HiredIn,
    JobEndIn,
    JobIncomeIn,
    JobStartIn,
    ReferralIn,
    RegistrationIn,
    SanctionDecisionIn,
    VulnerabilityReviewIn,
)
from benefits import services as benefit_services
from benefits.models import (
    Application,
    BenefitCase,
    Household,
    Member,
    PaymentAdjustment,
)
from benefits.rules import AmountPeriod, CaseStatus, amount_between
from benefits.services import LIVE_CASE_STATUSES, OPEN_APPLICATION_STATES
from kernel import audit
from kernel.context import ServiceContext, context_of
from kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from kernel.money import from_fen, to_fen, yuan_text
from matching import rules as matching_rules
from matching import services as matching
from matching.schemas import SeekerProfileIn
from training import services as training
from training.schemas import EnrolmentIn

CODE_ALPHABET = "ACEFHJKLMPQUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B; no T, R, N, D (opt-out words)
OPEN_SANCTION_STATES = ("proposed", "confirmed", "active")
RUNNING = (CaseStatus.ACTIVE, CaseStatus.CONTINUATION_FULL, CaseStatus.CONTINUATION_HALF)

# --- small helpers ------------------------------------------------------------------------


def _not_future(ctx: ServiceContext, field: str, day: date) -> None:
    if day > ctx.today:
        raise InvalidInput(
            Problem(field, "not-in-future", f"{field} {day.isoformat()} is after today")
        )


def _task(
    ctx: ServiceContext, member_id: int, kind: str, ref: str, due_on: date, note: str = ""
) -> None:
    """Open a task once per (kind, ref); a task that already exists is left as it is."""
    exists = ctx.session.exec(select(Task.id).where(Task.kind == kind, Task.ref == ref)).first()
    if exists is None:
        ctx.session.add(
            Task(
                member_id=member_id,
                kind=kind,
                ref=ref,
                due_on=due_on,
                note=note,
                created_at=ctx.now,
            )
        )


def _close_tasks(ctx: ServiceContext, ref: str, kinds: Sequence[str] | None = None) -> None:
    query = select(Task).where(Task.ref == ref, Task.state == "open")
    if kinds:
        query = query.where(col(Task.kind).in_(list(kinds)))
    for task in ctx.session.exec(query):
        task.state = "done"
        task.closed_at = ctx.now


def record_decision(
    ctx: ServiceContext,
    *,
    member_id: int,
    kind: str,
    ref: str,
    inputs: dict[str, Any],
    rule_path: Sequence[str],
    outcome: dict[str, Any],
    parameter_version: str,
    on: date | None = None,
) -> ActivationDecision:
    decision = ActivationDecision(
        member_id=member_id,
        kind=kind,
        ref=ref,
        decided_on=on or ctx.today,
        decided_at=ctx.now,
        actor=ctx.actor.label,
        inputs=inputs,
        rule_path=list(rule_path),
        outcome=outcome,
        parameter_version=parameter_version,
    )
    ctx.session.add(decision)
    ctx.session.flush()
    return decision


def person_facts(member: Member) -> rules.PersonFacts:
    return rules.PersonFacts(
        sex=member.sex,
        birth_date=member.birth_date,
        work_capacity=member.work_capacity,
        disability=member.disability,
        serious_illness=member.serious_illness,
        carer=member.carer,
        pregnant=member.pregnant,
        student=member.student,
        three_nos=member.three_nos,
    )


# --- the duty to register -----------------------------------------------------------------


def live_household_ids(session: Session, household_ids: Sequence[int] | None = None) -> list[int]:
    """Households applying (open application) or receiving (case not terminated)."""
    applying = select(Application.household_id).where(
        col(Application.state).in_([s.value for s in OPEN_APPLICATION_STATES])
    )
    receiving = select(BenefitCase.household_id).where(
        col(BenefitCase.status).in_([s.value for s in LIVE_CASE_STATUSES])
    )
    query = select(Household.id).where(
        col(Household.id).in_(applying) | col(Household.id).in_(receiving)
    )
    if household_ids is not None:
        query = query.where(col(Household.id).in_(list(household_ids)))
    return [row for row in session.exec(query) if row is not None]


def refresh_duties(
    ctx: ServiceContext, household_ids: Sequence[int] | None = None
) -> dict[str, int]:
    """Recompute the duty of every member of the given (or all) households, set-based: one
    query for members, one for open duty rows; rows open when a duty arises and end when it
    ends (age, exemption, household no longer live). Changes are stored as decisions."""
    live = set(live_household_ids(ctx.session, household_ids))
    member_query = select(Member)
    if household_ids is not None:
        member_query = member_query.where(col(Member.household_id).in_(list(household_ids)))
    members = list(ctx.session.exec(member_query))
    open_duties = {
        d.member_id: d
        for d in ctx.session.exec(
            select(RegistrationDuty).where(
                col(RegistrationDuty.ended_on).is_(None),
                col(RegistrationDuty.member_id).in_([m.id for m in members]),
            )
        )
    }
    registered = set(
        ctx.session.exec(
            select(Registration.member_id).where(
                col(Registration.member_id).in_([m.id for m in members])
            )
        )
    )
    params = ctx.params()
    counts = {"opened": 0, "ended": 0}
    for member in members:
        assert member.id is not None
        facts = person_facts(member)
        duty = rules.registration_duty(facts, ctx.today, params)
        obligated = duty.obligated and member.household_id in live
        current = open_duties.get(member.id)
        if obligated and current is None:
            ctx.session.add(
                RegistrationDuty(
                    member_id=member.id,
                    obligated_since=ctx.today,
                    assessment=duty.as_dict(),
                    parameter_version=duty.parameter_version,
                )
            )
            counts["opened"] += 1
        elif not obligated and current is not None:
            current.ended_on = ctx.today
            current.end_reason = (
                duty.reason
                if member.household_id in live
                else "household no longer applying or receiving"
            )
            counts["ended"] += 1
        else:
            continue
        record_decision(
            ctx,
            member_id=member.id,
            kind="registration-duty",
            ref=f"member:{member.id}",
            inputs={"person": facts.as_dict(), "on": ctx.today.isoformat()},
            rule_path=[
                duty.rule,
                "household-live" if member.household_id in live else "household-not-live",
            ],
            outcome=duty.as_dict(),
            parameter_version=duty.parameter_version,
        )
        if obligated and member.id not in registered:
            deadline = rules.registration_deadline(ctx.today, params)
            _task(
                ctx,
                member.id,
                "register",
                f"member:{member.id}",
                deadline,
                "job-seeker registration due",
            )
    return counts


def on_household_changed(session: Session, event: Any) -> None:
    """Event handler: a household's members or status changed, so duties may have changed."""
    ctx = context_of(session)
    refresh_duties(ctx, [event.household_id])
    sync_profiles(ctx, [event.household_id])


def _member(ctx: ServiceContext, member_id: int) -> Member:
    member = ctx.session.get(Member, member_id)
    if member is None:
        raise NotFound(Problem("member_id", "exists", f"no member {member_id}"))
    return member


def approval_check(
    ctx: ServiceContext,
    application: Application,
    household: Household,
    members: Sequence[Member],
) -> list[Problem]:
    """The benefits approval hook: an obligated but unregistered member blocks approval, and so
    does a confirmed refusal sanction against an applicant (report 4 §五4: 不受理其申请)."""
    params = ctx.params()
    ids = [m.id for m in members]
    registered = set(
        ctx.session.exec(select(Registration.member_id).where(col(Registration.member_id).in_(ids)))
    )
    problems: list[Problem] = []
    for member in members:
        duty = rules.registration_duty(person_facts(member), ctx.today, params)
        if duty.obligated and member.id not in registered:
            problems.append(
                Problem(
                    f"members.{member.id}",
                    "job-seeker-registration",
                    f"{member.name} must register as a job seeker before approval ({duty.reason}; "
                    f"{duty.parameter_version})",
                )
            )
    sanctions = ctx.session.exec(
        select(Sanction).where(
            Sanction.household_id == household.id, col(Sanction.state).in_(["confirmed", "active"])
        )
    )
    for sanction in sanctions:
        problems.append(
            Problem(
                f"members.{sanction.member_id}",
                "refusal-sanction",
                f"a confirmed refusal sanction (no. {sanction.id}) stands against a member: the "
                "application is not accepted until the person complies (report 4 §五4)",
            )
        )
    return problems


# --- registration -------------------------------------------------------------------------


def _profile_in(
    member: Member, household: Household, office: str, prefs: dict[str, Any]
) -> SeekerProfileIn:
    """Matching's profile: the person's preferences plus the health facts of their record."""
    return SeekerProfileIn.model_validate(
        {
            **prefs,
            "community": prefs.get("community") or household.community,
            "labour_office": office,
            "work_capacity": member.work_capacity if member.work_capacity != "none" else "partial",
            "disability": member.disability,
            "serious_illness": member.serious_illness,
            "active": member.work_capacity != "none",
        }
    )


def register(ctx: ServiceContext, member_id: int, data: RegistrationIn) -> Registration:
    """Register (or update the registration of) a job seeker at a labour office, and keep the
    seeker profile that matching ranks jobs and courses on in step with it."""
    member = _member(ctx, member_id)
    registered_on = data.registered_on or ctx.today
    _not_future(ctx, "registered_on", registered_on)
    if member.work_capacity == "none":
        raise Conflict(
            Problem(
                "member_id",
                "work-capacity",
                "the person is recorded as without work capacity; update that record first",
            )
        )
    household = _live_household(ctx, member)
    prefs = data.model_dump(exclude={"office", "registered_on"})
    matching.upsert_seeker_profile(
        ctx.session,
        member_id,
        _profile_in(member, household, data.office, prefs),
        ctx.now,
        known_trades=matching.trade_occupations(ctx.params()),
        actor=ctx.actor,
    )
    existing = ctx.session.exec(
        select(Registration).where(Registration.member_id == member_id).with_for_update()
    ).first()
    if existing is None:
        registration = Registration(
            member_id=member_id,
            office=data.office,
            registered_on=registered_on,
            registered_by=ctx.actor.label,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.session.add(registration)
        action = "registered"
    else:
        registration = existing
        registration.office = data.office
        registration.updated_at = ctx.now
        action = "registration-updated"
    _close_tasks(ctx, f"member:{member.id}", ["register"])
    audit.note(
        ctx,
        entity="registration",
        entity_id=member_id,
        action=action,
        details={"office": data.office, "registered_on": registered_on.isoformat()},
    )
    ctx.session.commit()
    return registration


def sync_profiles(ctx: ServiceContext, household_ids: Sequence[int]) -> None:
    """Health facts changed on a member's record: the seeker profile follows (set-based)."""
    from matching.models import SeekerProfile

    rows = ctx.session.exec(
        select(SeekerProfile, Member)
        .join(Member, col(Member.id) == SeekerProfile.member_id)
        .where(col(Member.household_id).in_(list(household_ids)))
    )
    for profile, member in rows:
        profile.work_capacity = (
            member.work_capacity if member.work_capacity != "none" else "partial"
        )
        profile.disability = member.disability
        profile.serious_illness = member.serious_illness
        profile.active = member.work_capacity != "none"
        profile.updated_at = ctx.now


def _lock_person(ctx: ServiceContext, member_id: int) -> Registration:
    registration = ctx.session.exec(
        select(Registration).where(Registration.member_id == member_id).with_for_update()
    ).first()
    if registration is None:
        raise Conflict(
            Problem("member_id", "registered", "the person is not registered as a job seeker")
        )
    return registration


# --- referrals ----------------------------------------------------------------------------


def _new_code(session: Session) -> str:
    for _ in range(50):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
        if code.isalpha() or code.isdigit():
            continue  # a code mixes letters and digits, so a reply can never be mistaken for one
        if session.exec(select(Referral.id).where(Referral.code == code)).first() is None:
            return code
    raise RuntimeError("could not find a free offer code")


def _live_household(ctx: ServiceContext, member: Member) -> Household:
    household = ctx.session.get(Household, member.household_id)
    assert household is not None
    return household


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
    _member(ctx, data.member_id)
    _lock_person(ctx, data.member_id)
    referred_on = data.referred_on or ctx.today
    _not_future(ctx, "referred_on", referred_on)
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
        delivery_note=f"told {data.channel.replace('_', ' ')} by the counsellor"
        if in_person
        else None,
        suitable=bool(suitability["suitable"]),
        suitability=suitability,
        made_by=ctx.actor.label,
        state=rules.ReferralState.OPEN,
        created_at=ctx.now,
    )
    ctx.session.add(referral)
    ctx.session.flush()
    if data.channel == "sms":
        activation_sms.send_offer(ctx, _member(ctx, data.member_id), referral)
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


def _referral(ctx: ServiceContext, referral_id: int, *, lock: bool = False) -> Referral:
    query = select(Referral).where(Referral.id == referral_id)
    if lock:
        query = query.with_for_update()
    referral = ctx.session.exec(query).first()
    if referral is None:
        raise NotFound(Problem("referral_id", "exists", f"no referral {referral_id}"))
    return referral


def confirm_delivery(ctx: ServiceContext, referral_id: int, data: DeliveryIn) -> Referral:
    """The counsellor confirms the offer reached the person (a call, a visit, an SMS receipt)."""
    referral = _referral(ctx, referral_id, lock=True)
    confirmed_on = data.confirmed_on or ctx.today
    _not_future(ctx, "confirmed_on", confirmed_on)
    if confirmed_on < referral.referred_on:
        raise InvalidInput(
            Problem(
                "confirmed_on", "date-order", "the offer cannot reach the person before it was made"
            )
        )
    referral.delivered = True
    referral.delivered_at = ctx.now
    referral.delivery_note = (
        f"{data.how.replace('_', ' ')} on {confirmed_on.isoformat()}: {data.note}".strip(": ")
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
    referral = _referral(ctx, referral_id, lock=True)
    _lock_person(ctx, referral.member_id)
    ctx.session.refresh(referral)
    reply = rules.Answer(data.answer)
    if problem := rules.answer_problem(referral.state, reply):
        raise Conflict(Problem("answer", "referral-open", problem))
    answered_on = data.answered_on or ctx.today
    _not_future(ctx, "answered_on", answered_on)
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
        _task(
            ctx,
            referral.member_id,
            "good_reason_review",
            ref,
            ctx.today + timedelta(days=3),
            "decide whether the person had a good reason",
        )
    elif reply is rules.Answer.NO_ANSWER:
        _task(
            ctx,
            referral.member_id,
            "no_answer_follow_up",
            ref,
            ctx.today + timedelta(days=2),
            "no answer to the offer: contact the person",
        )
    if reply is not rules.Answer.NO_ANSWER:
        _close_tasks(ctx, ref, ["no_answer_follow_up"])
    if reply is rules.Answer.ACCEPTED and referral.kind == "course" and referral.target_id:
        training.add_enrolment(
            ctx,
            referral.target_id,
            EnrolmentIn(member_id=referral.member_id, enrolled_on=answered_on),
        )
    if reply is rules.Answer.ACCEPTED and referral.suitable:
        _comply(ctx, referral.member_id, answered_on, f"accepted suitable offer {referral.code}")
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
    referral = _referral(ctx, referral_id, lock=True)
    _lock_person(ctx, referral.member_id)
    review = _review(ctx, referral_id)
    started = _sanctions_with(ctx, referral.member_id, referral_id, ["active"])
    if started:
        raise Conflict(
            Problem(
                "referral_id",
                "evidence-before-effect",
                "the sanction has taken effect: ask for reconsideration (appeal) instead",
            )
        )
    received_on = data.received_on or ctx.today
    _not_future(ctx, "received_on", received_on)
    review.evidence = [
        *review.evidence,
        {"on": received_on.isoformat(), "source": data.source, "text": data.text},
    ]
    if review.state == "decided":
        review.state = "pending"
        _task(
            ctx,
            referral.member_id,
            "good_reason_review",
            f"referral:{referral_id}:evidence:{len(review.evidence)}",
            ctx.today + timedelta(days=3),
            "new evidence: review the decline again",
        )
        refusal = ctx.session.exec(
            select(Refusal).where(Refusal.referral_id == referral_id)
        ).first()
        if refusal is not None and refusal.voided_on is None:
            refusal.voided_on = ctx.today
            refusal.void_reason = "good-reason review reopened by new evidence"
            for sanction in _sanctions_with(
                ctx, referral.member_id, referral_id, ["proposed", "confirmed"]
            ):
                sanction.state = "cancelled"
                sanction.closed_reason = (
                    f"refusal on referral {referral_id} is being reviewed again"
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


def _sanctions_with(
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
    referral = _referral(ctx, referral_id, lock=True)
    registration = _lock_person(ctx, referral.member_id)
    review = _review(ctx, referral_id)
    ctx.session.refresh(review)
    if review.state != "pending":
        raise Conflict(
            Problem("referral_id", "review-pending", "the good-reason review is already decided")
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
    review.decided_on = ctx.today
    params = ctx.params()
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
    _close_tasks(ctx, ref, ["good_reason_review"])
    for task in ctx.session.exec(
        select(Task).where(col(Task.ref).startswith(f"{ref}:evidence"), Task.state == "open")
    ):
        task.state, task.closed_at = "done", ctx.now
    if verdict.counts:
        refusal = ctx.session.exec(
            select(Refusal).where(Refusal.referral_id == referral_id)
        ).first()
        if refusal is None:
            ctx.session.add(
                Refusal(
                    referral_id=referral_id,
                    member_id=referral.member_id,
                    counted_on=ctx.today,
                    decision_id=decision.id or 0,
                )
            )
        else:
            refusal.voided_on, refusal.void_reason = None, None
            refusal.counted_on, refusal.decision_id = ctx.today, decision.id or 0
        ctx.session.flush()
        _consequence(ctx, registration, referral)
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


def _consequence(ctx: ServiceContext, registration: Registration, referral: Referral) -> None:
    member_id = registration.member_id
    params = ctx.params()
    outcomes = outcomes_of(ctx.session, member_id)
    count = rules.count_refusals(outcomes, ctx.today, params)
    decision = record_decision(
        ctx,
        member_id=member_id,
        kind="refusal-count",
        ref=f"referral:{referral.id}",
        inputs={
            "on": ctx.today.isoformat(),
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
        warning = Warning(
            member_id=member_id,
            kind="refusal",
            issued_on=ctx.today,
            text=rules.warning_text(count, params.text("activation.sanction.scope")),
            refusal_count=count.count,
            decision_id=decision.id,
        )
        ctx.session.add(warning)
        ctx.session.flush()
        activation_sms.send_warning(
            ctx, _member(ctx, member_id), warning, referral, count.threshold
        )
    elif count.consequence == "sanction_proposal":
        open_sanction = ctx.session.exec(
            select(Sanction).where(
                Sanction.member_id == member_id, col(Sanction.state).in_(OPEN_SANCTION_STATES)
            )
        ).first()
        if open_sanction is None:
            member = _member(ctx, member_id)
            case = _live_case(ctx.session, member.household_id)
            application = _open_application(ctx.session, member.household_id)
            ctx.session.add(
                Sanction(
                    member_id=member_id,
                    household_id=member.household_id,
                    case_id=case.id if case else None,
                    application_id=application.id if application and case is None else None,
                    state="proposed",
                    proposed_on=ctx.today,
                    proposed_by=ctx.actor.label,
                    referral_ids=list(count.counted_referrals),
                    count_decision_id=decision.id or 0,
                )
            )


def _live_case(session: Session, household_id: int) -> BenefitCase | None:
    return session.exec(
        select(BenefitCase).where(
            BenefitCase.household_id == household_id,
            col(BenefitCase.status).in_([s.value for s in LIVE_CASE_STATUSES]),
        )
    ).first()


def _open_application(session: Session, household_id: int) -> Application | None:
    return session.exec(
        select(Application).where(
            Application.household_id == household_id,
            col(Application.state).in_([s.value for s in OPEN_APPLICATION_STATES]),
        )
    ).first()


# --- sanctions ----------------------------------------------------------------------------


def get_sanction(ctx: ServiceContext, sanction_id: int, *, lock: bool = False) -> Sanction:
    query = select(Sanction).where(Sanction.id == sanction_id)
    if lock:
        query = query.with_for_update()
    sanction = ctx.session.exec(query).first()
    if sanction is None:
        raise NotFound(Problem("sanction_id", "exists", f"no sanction {sanction_id}"))
    return sanction


def _second_person(ctx: ServiceContext, first: str | None, what: str) -> None:
    if first == ctx.actor.label:
        raise Forbidden(Problem("actor", "four-eyes", f"{what} must be done by a second person"))


def review_vulnerability(
    ctx: ServiceContext, sanction_id: int, data: VulnerabilityReviewIn
) -> Sanction:
    """A second officer looks at the household before anything is cut (POLICY.md safeguards)."""
    sanction = get_sanction(ctx, sanction_id, lock=True)
    if sanction.state != "proposed":
        raise Conflict(
            Problem("state", "sanction-proposed", f"a {sanction.state} sanction is not reviewed")
        )
    _second_person(ctx, sanction.proposed_by, "the vulnerability review")
    sanction.vulnerability_review = {
        "by": ctx.actor.label,
        "on": ctx.today.isoformat(),
        "proceed": data.proceed,
        "factors": list(data.factors),
        "findings": data.findings,
    }
    if not data.proceed:
        sanction.state = "rejected"
        sanction.closed_reason = f"vulnerability review: {data.findings}"
    audit.note(
        ctx,
        entity="sanction",
        entity_id=sanction_id,
        action="vulnerability-reviewed",
        reason=data.findings,
        details={"proceed": data.proceed},
    )
    ctx.session.commit()
    return sanction


def decide_sanction(ctx: ServiceContext, sanction_id: int, data: SanctionDecisionIn) -> Sanction:
    """A second person with the benefit officer role confirms or rejects. On confirmation the
    notice is written and the cut is dated after the notice period; nothing is cut now."""
    sanction = get_sanction(ctx, sanction_id, lock=True)
    if sanction.state != "proposed":
        raise Conflict(
            Problem("state", "sanction-proposed", f"a {sanction.state} sanction cannot be decided")
        )
    _second_person(ctx, sanction.proposed_by, "confirming a sanction")
    if not data.confirm:
        sanction.state = "rejected"
        sanction.closed_reason = data.reason
        audit.note(
            ctx,
            entity="sanction",
            entity_id=sanction_id,
            action="rejected",
            reason=data.reason,
        )
        ctx.session.commit()
        return sanction
    if not sanction.vulnerability_review or not sanction.vulnerability_review.get("proceed"):
        raise Conflict(
            Problem(
                "vulnerability_review",
                "vulnerability-reviewed",
                "a vulnerability review must come before confirmation",
            )
        )
    member = _member(ctx, sanction.member_id)
    params = ctx.params()
    duty = rules.registration_duty(person_facts(member), ctx.today, params)
    if not duty.obligated:
        raise Conflict(
            Problem(
                "member_id",
                "duty-applies",
                f"the person is not (or no longer) subject to the duty: {duty.reason}",
            )
        )
    case = _live_case(ctx.session, sanction.household_id)
    household_amount = from_fen(case.entitled_amount_fen) if case else Decimal(0)
    member_count = len(benefit_services.members_of(ctx.session, sanction.household_id))
    terms = rules.sanction_terms(
        confirmed_on=ctx.today,
        household_amount=household_amount,
        member_count=member_count,
        params=params,
    )
    record_decision(
        ctx,
        member_id=sanction.member_id,
        kind="sanction-terms",
        ref=f"sanction:{sanction_id}",
        inputs={
            "confirmed_on": ctx.today.isoformat(),
            "household_amount": str(household_amount),
            "member_count": member_count,
        },
        rule_path=[terms.scope, f"notice-{params.int('activation.sanction.notice_days')}-days"],
        outcome=terms.as_dict(),
        parameter_version=params.version_id,
    )
    sanction.case_id = case.id if case else None
    sanction.state = "confirmed"
    sanction.confirmed_by = ctx.actor.label
    sanction.confirmed_on = ctx.today
    sanction.terms = terms.as_dict()
    sanction.notice = _notice(ctx, sanction, member, terms, data.reason)
    activation_sms.send_sanction_notice(ctx, member, sanction)
    audit.note(
        ctx,
        entity="sanction",
        entity_id=sanction_id,
        action="confirmed",
        reason=data.reason,
        parameter_version=params.version_id,
        details=terms.as_dict(),
    )
    ctx.session.commit()
    return sanction


def _notice(
    ctx: ServiceContext, sanction: Sanction, member: Member, terms: rules.SanctionTerms, reason: str
) -> dict[str, Any]:
    """The written notice: facts, rule and version, effect, start, how to end it, how to appeal."""
    referrals = ctx.session.exec(
        select(Referral).where(col(Referral.id).in_(sanction.referral_ids))
    )
    facts = [
        f"{r.referred_on.isoformat()}: {r.offer.get('title')} at {r.offer.get('employer')} "
        f"({yuan_text(Decimal(r.offer.get('monthly_wage', '0')))} yuan/month), declined"
        + (f" — reason given: {r.decline_reason}" if r.decline_reason else "")
        for r in referrals
    ]
    if terms.scope == "household":
        effect = (
            f"the household's dibao payment of {yuan_text(terms.monthly_reduction)} yuan/month "
            f"stops from {terms.starts_on.isoformat()}"
        )
        rule = "report 4 §五4: two refusals of suitable offers stop the payment (county pilot)"
    else:
        effect = (
            f"{member.name}'s share, {yuan_text(terms.monthly_reduction)} yuan/month, is withheld "
            f"from {terms.starts_on.isoformat()}"
        )
        rule = "Interim Measures on Social Assistance (2014) art. 45: three consecutive refusals"
    if sanction.application_id and not sanction.case_id:
        effect = "the dibao application is not accepted while the sanction stands"
    return {
        "to": member.name,
        "date": terms.notice_on.isoformat(),
        "facts": facts,
        "decision": reason,
        "rule": rule,
        "parameter_version": terms.parameter_version,
        "effect": effect,
        "starts_on": terms.starts_on.isoformat(),
        "how_to_end": (
            "accept a suitable job offer or attend the training you are referred to; payment "
            f"resumes from then, but not before {terms.earliest_end_on.isoformat()}"
        ),
        "appeal": (
            "you may ask the county civil affairs bureau to reconsider this decision, in writing "
            f"or in person, until {terms.appeal_by.isoformat()}; you may add evidence of a good "
            "reason until the sanction takes effect"
        ),
        "confirmed_by": ctx.actor.label,
    }


def _comply(ctx: ServiceContext, member_id: int, on: date, how: str) -> None:
    """The way back: compliance ends a confirmed or active sanction, after the minimum period."""
    for sanction in ctx.session.exec(
        select(Sanction).where(
            Sanction.member_id == member_id, col(Sanction.state).in_(["confirmed", "active"])
        )
    ):
        terms = sanction.terms or {}
        earliest = date.fromisoformat(terms["earliest_end_on"])
        resumes = rules.resumption_day(on, earliest)
        params = ctx.params()
        record_decision(
            ctx,
            member_id=member_id,
            kind="sanction-resumption",
            ref=f"sanction:{sanction.id}",
            inputs={"complied_on": on.isoformat(), "earliest_end_on": earliest.isoformat()},
            rule_path=[
                "complied",
                "after-minimum-period" if resumes == on else "minimum-period-applies",
            ],
            outcome={"resumes_on": resumes.isoformat()},
            parameter_version=params.version_id,
        )
        sanction.complied_on = on
        sanction.resumes_on = resumes
        sanction.closed_reason = how


def _apply_sanction_start(ctx: ServiceContext, sanction: Sanction) -> None:
    terms = sanction.terms or {}
    starts_on = date.fromisoformat(terms["starts_on"])
    case = ctx.session.get(BenefitCase, sanction.case_id) if sanction.case_id else None
    sanction.state = "active"
    sanction.started_on = starts_on
    if case is None:
        return
    reduction = to_fen(Decimal(terms["monthly_reduction"]))
    if case.status not in RUNNING:
        sanction.closed_reason = f"case was {case.status} when the sanction began"
        return
    if terms["scope"] == "household":
        status, amount, rule = CaseStatus.SUSPENDED, 0, "refusal-sanction-household"
    else:
        status, amount, rule = (
            CaseStatus(case.status),
            max(case.monthly_amount_fen - reduction, 0),
            "refusal-sanction-member-share",
        )
    benefit_services.set_case_status(
        ctx,
        case,
        status=status,
        effective_from=max(starts_on, case.status_since + timedelta(days=1)),
        monthly_amount_fen=amount,
        reason=f"refusal sanction {sanction.id}: {(sanction.notice or {}).get('effect', '')}",
        rule=rule,
        parameter_version=terms["parameter_version"],
        details={"sanction_id": sanction.id},
    )


def _restore_case(
    ctx: ServiceContext, sanction: Sanction, from_day: date, why: str, rule: str
) -> None:
    terms = sanction.terms or {}
    case = ctx.session.get(BenefitCase, sanction.case_id) if sanction.case_id else None
    if case is None or case.status == CaseStatus.TERMINATED:
        return
    reduction = to_fen(Decimal(terms["monthly_reduction"]))
    if terms["scope"] == "household":
        if case.status != CaseStatus.SUSPENDED:
            return
        status, amount = CaseStatus.ACTIVE, case.entitled_amount_fen
    else:
        status, amount = CaseStatus(case.status), case.monthly_amount_fen + reduction
    benefit_services.set_case_status(
        ctx,
        case,
        status=status,
        effective_from=max(from_day, case.status_since + timedelta(days=1)),
        monthly_amount_fen=amount,
        reason=why,
        rule=rule,
        parameter_version=terms["parameter_version"],
        details={"sanction_id": sanction.id},
    )


# --- appeals ------------------------------------------------------------------------------


def lodge_appeal(ctx: ServiceContext, sanction_id: int, data: AppealIn) -> Appeal:
    sanction = get_sanction(ctx, sanction_id, lock=True)
    if sanction.state not in ("confirmed", "active"):
        raise Conflict(
            Problem("state", "appealable", f"a {sanction.state} sanction cannot be appealed")
        )
    lodged_on = data.lodged_on or ctx.today
    _not_future(ctx, "lodged_on", lodged_on)
    appeal_by = date.fromisoformat((sanction.terms or {})["appeal_by"])
    if lodged_on > appeal_by:
        raise InvalidInput(
            Problem(
                "lodged_on",
                "appeal-in-time",
                f"the time to appeal ended on {appeal_by.isoformat()}",
            )
        )
    if ctx.session.exec(
        select(Appeal).where(Appeal.sanction_id == sanction_id, Appeal.state == "lodged")
    ).first():
        raise Conflict(Problem("sanction_id", "one-open-appeal", "an appeal is already pending"))
    appeal = Appeal(
        sanction_id=sanction_id,
        lodged_on=lodged_on,
        grounds=data.grounds,
        lodged_by=ctx.actor.label,
        state="lodged",
    )
    ctx.session.add(appeal)
    ctx.session.flush()
    audit.note(
        ctx,
        entity="sanction",
        entity_id=sanction_id,
        action="appeal-lodged",
        reason=data.grounds,
        details={"appeal_id": appeal.id},
    )
    ctx.session.commit()
    return appeal


def decide_appeal(ctx: ServiceContext, appeal_id: int, data: AppealDecisionIn) -> Appeal:
    """Reconsideration by someone other than the confirming officer. Upheld: the refusals no
    longer count, the sanction is overturned, payment is restored and back pay is owed."""
    appeal = ctx.session.exec(
        select(Appeal).where(Appeal.id == appeal_id).with_for_update()
    ).first()
    if appeal is None:
        raise NotFound(Problem("appeal_id", "exists", f"no appeal {appeal_id}"))
    if appeal.state != "lodged":
        raise Conflict(Problem("state", "appeal-open", "this appeal is already decided"))
    sanction = get_sanction(ctx, appeal.sanction_id, lock=True)
    _second_person(
        ctx, sanction.confirmed_by, "deciding an appeal against a sanction one confirmed"
    )
    appeal.decided_by, appeal.decided_on, appeal.reasons = ctx.actor.label, ctx.today, data.reasons
    if not data.upheld:
        appeal.state = "dismissed"
        audit.note(
            ctx,
            entity="sanction",
            entity_id=sanction.id or 0,
            action="appeal-dismissed",
            reason=data.reasons,
        )
        ctx.session.commit()
        return appeal
    appeal.state = "upheld"
    for refusal in ctx.session.exec(
        select(Refusal).where(col(Refusal.referral_id).in_(sanction.referral_ids))
    ):
        if refusal.voided_on is None:
            refusal.voided_on, refusal.void_reason = ctx.today, f"appeal {appeal_id} upheld"
    was_started = sanction.started_on is not None and sanction.state in ("active", "ended")
    if was_started and sanction.state == "active":
        _restore_case(
            ctx, sanction, ctx.today, f"appeal {appeal_id} upheld: {data.reasons}", "appeal-upheld"
        )
    if was_started and sanction.case_id:
        appeal.back_pay_fen = _back_pay(ctx, sanction, appeal)
    sanction.state = "overturned"
    sanction.ended_on = sanction.ended_on or ctx.today
    sanction.closed_reason = f"appeal {appeal_id} upheld: {data.reasons}"
    audit.note(
        ctx,
        entity="sanction",
        entity_id=sanction.id or 0,
        action="appeal-upheld",
        reason=data.reasons,
        details={"back_pay": yuan_text(from_fen(appeal.back_pay_fen or 0))},
    )
    ctx.session.commit()
    return appeal


def _back_pay(ctx: ServiceContext, sanction: Sanction, appeal: Appeal) -> int:
    """What the sanction withheld: its monthly reduction, pro rata, from its start to the day
    before payment was restored (or resumed), rounded once per month by the policy's rule."""
    terms = sanction.terms or {}
    assert sanction.started_on is not None and sanction.case_id is not None
    last = (sanction.ended_on or ctx.today) - timedelta(days=1)
    if last < sanction.started_on:
        return 0
    params = ctx.policy.version(terms["parameter_version"])
    withheld = amount_between(
        [AmountPeriod(sanction.started_on, last, Decimal(terms["monthly_reduction"]))],
        sanction.started_on,
        last,
        params.decimal("benefits.rounding.quantum"),
        params.text("benefits.rounding.mode"),
    )
    amount = to_fen(withheld)
    if amount:
        ctx.session.add(
            PaymentAdjustment(
                case_id=sanction.case_id,
                kind="back_pay",
                amount_fen=amount,
                covers_from=sanction.started_on,
                covers_to=last,
                reason=f"appeal {appeal.id} upheld: what sanction {sanction.id} withheld is repaid",
                source=f"appeal:{appeal.id}",
                parameter_version=terms["parameter_version"],
                created_at=ctx.now,
            )
        )
    return amount


# --- the daily sweep ----------------------------------------------------------------------


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
    for duty in ctx.session.exec(
        select(RegistrationDuty).where(
            col(RegistrationDuty.ended_on).is_(None),
            col(RegistrationDuty.member_id).not_in(registered),
        )
    ):
        if duty.reminded_on is None and ctx.today >= rules.registration_deadline(
            duty.obligated_since, params
        ):
            duty.reminded_on = ctx.today
            _task(
                ctx,
                duty.member_id,
                "registration_reminder",
                f"duty:{duty.id}",
                ctx.today,
                "registration deadline passed: remind the person",
            )
            results["reminders"] += 1
        if duty.warned_on is None and ctx.today >= rules.registration_warning_day(
            duty.obligated_since, params
        ):
            duty.warned_on = ctx.today
            ctx.session.add(
                Warning(
                    member_id=duty.member_id,
                    kind="registration",
                    issued_on=ctx.today,
                    text=(
                        "Written warning: you must register as a job seeker at your community or "
                        "township "
                        f"labour office (report 4 §五4); the deadline was "
                        f"{rules.registration_deadline(duty.obligated_since, params).isoformat()}. "
                        f"({params.version_id})"
                    ),
                )
            )
            results["registration_warnings"] += 1
    for referral in ctx.session.exec(
        select(Referral).where(
            Referral.state == rules.ReferralState.OPEN, Referral.answer_due_on < ctx.today
        )
    ):
        referral.state = rules.ReferralState.NO_ANSWER
        _task(
            ctx,
            referral.member_id,
            "no_answer_follow_up",
            f"referral:{referral.id}",
            ctx.today,
            "no answer by the deadline: contact the person (not a refusal)",
        )
        results["no_answer"] += 1
    for sanction in ctx.session.exec(select(Sanction).where(Sanction.state == "confirmed")):
        if date.fromisoformat((sanction.terms or {})["starts_on"]) <= ctx.today:
            _apply_sanction_start(ctx, sanction)
            results["sanctions_started"] += 1
    for sanction in ctx.session.exec(select(Sanction).where(Sanction.state == "active")):
        if sanction.resumes_on is not None and sanction.resumes_on <= ctx.today:
            _restore_case(
                ctx,
                sanction,
                sanction.resumes_on,
                f"sanction {sanction.id} ended: {sanction.closed_reason}",
                "sanction-ended-compliance",
            )
            sanction.state = "ended"
            sanction.ended_on = sanction.resumes_on
            results["sanctions_ended"] += 1
    results.update(continuation_sweep(ctx))
    results["re_reviews_due"] = _re_review_tasks(ctx)
    ctx.session.commit()
    return results


def _re_review_tasks(ctx: ServiceContext) -> int:
    """Dynamic management (report 1): a task for each live case whose re-review is due, once
    per due date (one query for the cases with their heads)."""
    rows = ctx.session.exec(
        select(BenefitCase, Member)
        .join(Member, col(Member.household_id) == BenefitCase.household_id)
        .where(
            col(BenefitCase.status).in_([s.value for s in LIVE_CASE_STATUSES]),
            BenefitCase.next_review_on <= ctx.today,
            Member.relation == "head",
        )
    )
    opened = 0
    for case, head in rows:
        ref = f"case:{case.id}:review:{case.next_review_on.isoformat()}"
        if (
            ctx.session.exec(
                select(Task.id).where(Task.kind == "re_review", Task.ref == ref)
            ).first()
            is None
        ):
            _task(
                ctx,
                head.id or 0,
                "re_review",
                ref,
                case.next_review_on,
                f"re-review of case {case.id} is due ({case.scheme}: report 1)",
            )
            opened += 1
    return opened


# --- decisions ----------------------------------------------------------------------------


def replay_decision(
    ctx: ServiceContext, decision_id: int
) -> tuple[ActivationDecision, dict[str, Any]]:
    decision = ctx.session.get(ActivationDecision, decision_id)
    if decision is None:
        raise NotFound(Problem("decision_id", "exists", f"no decision {decision_id}"))
    params = ctx.policy.version(decision.parameter_version)
    return decision, rules.replay(decision.kind, decision.inputs, params)


# --- reads --------------------------------------------------------------------------------


def unregistered(
    ctx: ServiceContext, office: str | None
) -> list[tuple[Member, Household, RegistrationDuty]]:
    """Obligated but unregistered people, per office (the household's community)."""
    query = (
        select(Member, Household, RegistrationDuty)
        .join(Household, col(Household.id) == Member.household_id)
        .join(RegistrationDuty, col(RegistrationDuty.member_id) == Member.id)
        .where(
            col(RegistrationDuty.ended_on).is_(None),
            col(Member.id).not_in(select(Registration.member_id)),
        )
        .order_by(col(RegistrationDuty.obligated_since), col(Member.id))
    )
    if office:
        query = query.where((Household.community == office) | (Household.township == office))
    return list(ctx.session.exec(query))


def open_tasks(ctx: ServiceContext, kind: str | None, limit: int, offset: int) -> list[Task]:
    query = select(Task).where(Task.state == "open")
    if kind:
        query = query.where(Task.kind == kind)
    return list(
        ctx.session.exec(query.order_by(col(Task.due_on), col(Task.id)).limit(limit).offset(offset))
    )


def sanctions(ctx: ServiceContext, state: str | None) -> list[Sanction]:
    query = select(Sanction)
    if state:
        query = query.where(Sanction.state == state)
    return list(ctx.session.exec(query.order_by(col(Sanction.id))))


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


# --- into work: jobs and the continuation (report 4 §五4; POLICY.md rule 4) ---------------


def _job(ctx: ServiceContext, job_id: int) -> Job:
    job = ctx.session.exec(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None:
        raise NotFound(Problem("job_id", "exists", f"no job {job_id}"))
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
    member = _member(ctx, data.member_id)
    _not_future(ctx, "starts_on", data.starts_on)
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
    case = _live_case(ctx.session, member.household_id)
    if (
        case is not None
        and case.status == CaseStatus.ACTIVE
        and _running_continuation(ctx, case.id or 0) is None
    ):
        _begin_continuation(ctx, job, case, data.monthly_income)
    _comply(ctx, data.member_id, data.starts_on, f"started work at {data.employer}")
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
        effective_from=max(job.starts_on, case.status_since + timedelta(days=1)),
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
    activation_sms.send_continuation_start(
        ctx,
        _member(ctx, job.member_id),
        continuation.id or 0,
        terms.monthly_amount,
        terms.starts_on,
        terms.ends_on,
    )
    return continuation


def hired(ctx: ServiceContext, referral_id: int, data: HiredIn) -> Job:
    """The employer confirmed an accepted referral: the job starts from the offer's details."""
    referral = _referral(ctx, referral_id, lock=True)
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
    job = _job(ctx, job_id)
    if job.ends_on is not None:
        raise Conflict(Problem("job_id", "job-running", "this job has ended"))
    _not_future(ctx, "effective_from", data.effective_from)
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
                effective_from=max(data.effective_from, case.status_since + timedelta(days=1)),
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
    job = _job(ctx, job_id)
    if job.ends_on is not None:
        raise Conflict(Problem("job_id", "job-running", "this job has already ended"))
    reported_on = data.reported_on or ctx.today
    _not_future(ctx, "ended_on", data.ended_on)
    _not_future(ctx, "reported_on", reported_on)
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
            effective_from=max(data.ended_on, case.status_since + timedelta(days=1)),
            monthly_amount_fen=continuation.base_amount_fen,
            reason=f"the job ended on {data.ended_on.isoformat()} "
            f"({data.reason.replace('_', ' ')}): "
            "back to the full amount (report 4 §五4)",
            rule="continuation-job-lost",
            parameter_version=ctx.params(data.ended_on).version_id,
        )
        continuation.state, continuation.ended_on = "job_lost", data.ended_on
        continuation.end_reason = f"job ended: {data.reason}"
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
    if right.eligible and _open_application(ctx.session, job.household_id) is None:
        application = benefit_services.apply_reentry(
            ctx,
            job.household_id,
            reported_on=reported_on,
            decision_due_on=right.decision_due_on,
            review_flag="job lost through misconduct: review" if right.flagged_for_review else None,
            declared_changes=data.declared_changes or f"job ended: {data.reason}",
        )
        result["application_id"] = application.id
        _task(
            ctx,
            job.member_id,
            "reentry_decision",
            f"application:{application.id}",
            right.decision_due_on,
            "fast re-entry: decide within the working days allowed",
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
                activation_sms.send_continuation_end(
                    ctx,
                    _member(ctx, continuation.member_id),
                    continuation.id or 0,
                    continuation.ends_on,
                )
                _task(
                    ctx,
                    continuation.member_id,
                    "continuation_end",
                    f"continuation:{continuation.id}",
                    continuation.ends_on,
                    "continuation ends: prepare the household's reassessment",
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
        str(from_fen(i.monthly_amount_fen))
        for i in benefit_services.incomes_on(ctx.session, household.id or 0, day)
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
        reason = (
            f"continuation ended on {continuation.ends_on.isoformat()}; reassessed on current "
            f"incomes: {yuan_text(entitlement.monthly_amount)} yuan/month"
        )
        status, amount, rule = (
            CaseStatus.ACTIVE,
            case.entitled_amount_fen,
            "continuation-ended-reassessed",
        )
    else:
        reason = (
            f"continuation ended on {continuation.ends_on.isoformat()}; per-capita income "
            f"{yuan_text(entitlement.per_capita_income)} is not below the standard "
            f"{yuan_text(entitlement.standard)}: the case exits; if the job falls through within "
            f"{ctx.params(day).int('reentry.window_months')} months, fast re-entry applies"
        )
        status, amount, rule = CaseStatus.TERMINATED, 0, "continuation-ended-exit"
    benefit_services.set_case_status(
        ctx,
        case,
        status=status,
        effective_from=max(day, case.status_since + timedelta(days=1)),
        monthly_amount_fen=amount,
        reason=reason,
        rule=rule,
        parameter_version=entitlement.parameter_version,
    )
    continuation.state, continuation.ended_on, continuation.end_reason = "reassessed", day, reason
    _close_tasks(ctx, f"continuation:{continuation.id}", ["continuation_end"])


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
