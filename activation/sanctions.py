"""Sanctions with their safeguards: vulnerability review, a second officer, notice, the
way back on compliance, reconsideration and back pay (POLICY.md "Safeguards")."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from activation import rules
from activation.common import (
    RUNNING,
    live_case,
    member_or_404,
    not_future,
    person_facts,
    record_decision,
)
from activation.models import (
    Appeal,
    Referral,
    Refusal,
    Sanction,
)
from activation.schemas import (
    AppealDecisionIn,
    AppealIn,
    SanctionDecisionIn,
    VulnerabilityReviewIn,
)
from activation.sms_out import send_sanction_notice
from benefits import coming
from benefits import services as benefit_services
from benefits.models import (
    BenefitCase,
    Member,
    PaymentAdjustment,
)
from benefits.offices import members_in
from benefits.rules import AmountPeriod, CaseStatus, amount_between
from kernel import audit
from kernel.context import ServiceContext
from kernel.errors import Conflict, InvalidInput, NotFound, Problem, missing
from kernel.four_eyes import second_person
from kernel.messages import N_, Text, as_data, code_text, say, stored
from kernel.money import from_fen, to_fen, yuan_text
from kernel.visibility import office_of


def get_sanction(ctx: ServiceContext, sanction_id: int, *, lock: bool = False) -> Sanction:
    query = select(Sanction).where(Sanction.id == sanction_id)
    if lock:
        query = query.with_for_update()
    sanction = ctx.session.exec(query).first()
    if sanction is None:
        raise NotFound(missing("sanction_id", sanction_id))
    return sanction


def review_vulnerability(
    ctx: ServiceContext, sanction_id: int, data: VulnerabilityReviewIn
) -> Sanction:
    """A second officer looks at the household before anything is cut (POLICY.md safeguards)."""
    sanction = get_sanction(ctx, sanction_id, lock=True)
    if sanction.state != "proposed":
        raise Conflict(
            Problem(
                "state",
                "sanction-proposed",
                say("a %(state)s sanction is not reviewed", state=sanction.state),
            )
        )
    second_person(ctx, sanction.proposed_by, N_("the vulnerability review"))
    sanction.vulnerability_review = {
        "by": ctx.actor.label,
        "on": ctx.today.isoformat(),
        "proceed": data.proceed,
        "factors": list(data.factors),
        "findings": data.findings,
    }
    if not data.proceed:
        sanction.state = "rejected"
        sanction.rejected_on = ctx.today
        sanction.closed_reason = stored(
            say("vulnerability review: %(findings)s", findings=data.findings)
        )
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


# A sanction confirmed although the review found a vulnerability (children at risk, a
# disability...) says why in a sentence, not a word (POLICY.md "Safeguards": vulnerability).
MIN_DESPITE_LENGTH = 10


def decide_sanction(ctx: ServiceContext, sanction_id: int, data: SanctionDecisionIn) -> Sanction:
    """A second person with the benefit officer role confirms or rejects. On confirmation the
    notice is written and the cut is dated after the notice period; nothing is cut now."""
    sanction = get_sanction(ctx, sanction_id, lock=True)
    if sanction.state != "proposed":
        raise Conflict(
            Problem(
                "state",
                "sanction-proposed",
                say("a %(state)s sanction cannot be decided", state=sanction.state),
            )
        )
    second_person(ctx, sanction.proposed_by, N_("confirming a sanction"))
    on = _decision_day(ctx, sanction, data.decided_on)
    if not data.confirm:
        sanction.state = "rejected"
        sanction.rejected_on = on
        sanction.closed_reason = data.reason
        audit.note(
            ctx,
            entity="sanction",
            entity_id=sanction_id,
            action="rejected",
            reason=data.reason,
            details={"decided_on": on.isoformat()},
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
    found = list(sanction.vulnerability_review.get("factors") or [])
    despite = (data.despite_vulnerability or "").strip()
    if found and len(despite) < MIN_DESPITE_LENGTH:
        raise InvalidInput(
            Problem(
                "despite_vulnerability",
                "vulnerability-reason",
                say(
                    "the review found %(factors)s: write why the sanction goes ahead all the "
                    "same (at least %(n)s characters)",
                    factors=[code_text(f) for f in found],
                    n=MIN_DESPITE_LENGTH,
                ),
            )
        )
    if found:
        sanction.vulnerability_review = {**sanction.vulnerability_review, "despite": despite}
    member = member_or_404(ctx, sanction.member_id)
    params = ctx.params(on)
    duty = rules.registration_duty(person_facts(member), on, params)
    if not duty.obligated:
        raise Conflict(
            Problem(
                "member_id",
                "duty-applies",
                say(
                    "the person is not (or no longer) subject to the duty: %(reason)s",
                    reason=duty.explained,
                ),
            )
        )
    case = live_case(ctx.session, sanction.household_id)
    household_amount = from_fen(case.entitled_amount_fen) if case else Decimal(0)
    member_count = len(benefit_services.members_of(ctx.session, sanction.household_id))
    terms = rules.sanction_terms(
        confirmed_on=on,
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
            "confirmed_on": on.isoformat(),
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
    sanction.confirmed_on = on
    sanction.terms = terms.as_dict()
    sanction.notice = _notice(ctx, sanction, member, terms, data.reason)
    if case is not None:  # told with the status until it takes effect
        coming.announce(case, terms.starts_on, _sanction_words(sanction, terms.as_dict()))
    send_sanction_notice(ctx, member, sanction)
    audit.note(
        ctx,
        entity="sanction",
        entity_id=sanction_id,
        action="confirmed",
        reason=data.reason,
        parameter_version=params.version_id,
        details={**terms.as_dict(), "decided_on": on.isoformat()},
    )
    ctx.session.commit()
    return sanction


def _decision_day(ctx: ServiceContext, sanction: Sanction, given: date | None) -> date:
    """The day a sanction was decided: given when the decision is recorded later, never after
    today nor before the proposal and the vulnerability review it rests on."""
    on = given or ctx.today
    not_future(ctx, "decided_on", on)
    review = (sanction.vulnerability_review or {}).get("on")
    earliest = max(sanction.proposed_on, date.fromisoformat(review) if review else date.min)
    if on < earliest:
        raise InvalidInput(
            Problem(
                "decided_on",
                "date-order",
                say(
                    "the decision cannot come before the proposal and its review (%(day)s)",
                    day=earliest.isoformat(),
                ),
            )
        )
    return on


def _sanction_words(sanction: Sanction, terms: dict[str, Any]) -> Text:
    return say(
        "refusal sanction %(id)s: %(amount)s yuan a month withheld from %(day)s",
        id=sanction.id,
        amount=terms["monthly_reduction"],
        day=terms["starts_on"],
    )


def withdraw_announcement(ctx: ServiceContext, sanction: Sanction) -> None:
    """A confirmed sanction overturned or cancelled before its day: its stop is not coming."""
    case = ctx.session.get(BenefitCase, sanction.case_id) if sanction.case_id else None
    starts = (sanction.terms or {}).get("starts_on")
    if case is not None and starts and case.coming_on == date.fromisoformat(starts):
        coming.withdraw(case)


def _yuan(amount: Decimal) -> Text:
    return say("%(amount)s yuan", amount=yuan_text(amount))


def _notice(
    ctx: ServiceContext, sanction: Sanction, member: Member, terms: rules.SanctionTerms, reason: str
) -> dict[str, Any]:
    """The written notice: facts, rule and version, effect, start, how to end it, how to appeal
    (Interim Measures art. 45; POLICY.md safeguards: notice and appeal). Its sentences are kept
    as data, in the words of the printed notice, and read in the reader's language
    (``views.notice_out``); the officer's reason stays as written."""
    referrals = ctx.session.exec(
        select(Referral).where(col(Referral.id).in_(sanction.referral_ids))
    )
    facts: list[Text] = []
    for r in referrals:
        facts.append(
            say(
                "On %(day)s you were offered %(title)s at %(employer)s for %(wage)s a month, "
                "and declined.",
                day=r.referred_on.isoformat(),
                title=str(r.offer.get("title")),
                employer=str(r.offer.get("employer")),
                wage=_yuan(Decimal(r.offer.get("monthly_wage", "0"))),
            )
        )
        if r.decline_reason:
            facts.append(say("The reason you gave: %(reason)s.", reason=r.decline_reason))
    amount, starts = _yuan(terms.monthly_reduction), terms.starts_on.isoformat()
    if terms.scope == "household":
        effect = say(
            "The household's payment of %(amount)s a month stops from %(day)s.",
            amount=amount,
            day=starts,
        )
        rule = say(
            "Report 4 §5.4, county pilot: refusing suitable job offers from the public "
            "employment service twice stops the dibao payment."
        )
    else:
        effect = say(
            "Your share of %(amount)s a month is withheld from %(day)s.", amount=amount, day=starts
        )
        rule = say(
            "Interim Measures on Social Assistance (2014), art. 45: after three consecutive "
            "refusals of suitable work, the person's share is withheld."
        )
    if sanction.application_id and not sanction.case_id:
        effect = say("The dibao application is not accepted while the sanction stands.")
    return {
        "to": member.name,
        "date": terms.notice_on.isoformat(),
        "facts": [as_data(fact) for fact in facts],
        "decision": reason,
        "rule": as_data(rule),
        "parameter_version": terms.parameter_version,
        "effect": as_data(effect),
        "starts_on": starts,
        "how_to_end": as_data(
            say(
                "Accept a suitable job offer or attend the training you are referred to. "
                "Payment resumes from then, but not before %(day)s.",
                day=terms.earliest_end_on.isoformat(),
            )
        ),
        "appeal": as_data(
            say(
                "You may ask the county civil affairs bureau to reconsider this decision, in "
                "writing or in person, until %(day)s. You may add evidence of a good reason "
                "until the sanction takes effect.",
                day=terms.appeal_by.isoformat(),
            )
        ),
        "confirmed_by": ctx.actor.label,
    }


def comply(ctx: ServiceContext, member_id: int, on: date, how: Text) -> None:
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
        sanction.closed_reason = stored(how)


def start_sanction(ctx: ServiceContext, sanction: Sanction) -> None:
    terms = sanction.terms or {}
    starts_on = date.fromisoformat(terms["starts_on"])
    case = ctx.session.get(BenefitCase, sanction.case_id) if sanction.case_id else None
    sanction.state = "active"
    sanction.started_on = starts_on
    if case is None:
        return
    reduction = to_fen(Decimal(terms["monthly_reduction"]))
    if case.status not in RUNNING:
        sanction.closed_reason = stored(
            say("the case was %(status)s when the sanction began", status=code_text(case.status))
        )
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
        effective_from=benefit_services.status_day(case, starts_on),
        monthly_amount_fen=amount,
        reason=_sanction_words(sanction, terms),
        rule=rule,
        parameter_version=terms["parameter_version"],
        details={"sanction_id": sanction.id},
    )


def restore_case(
    ctx: ServiceContext, sanction: Sanction, from_day: date, why: Text, rule: str
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
        effective_from=benefit_services.status_day(case, from_day),
        monthly_amount_fen=amount,
        reason=why,
        rule=rule,
        parameter_version=terms["parameter_version"],
        details={"sanction_id": sanction.id},
    )


def lodge_appeal(ctx: ServiceContext, sanction_id: int, data: AppealIn) -> Appeal:
    sanction = get_sanction(ctx, sanction_id, lock=True)
    if sanction.state not in ("confirmed", "active"):
        raise Conflict(
            Problem(
                "state",
                "appealable",
                say("a %(state)s sanction cannot be appealed", state=sanction.state),
            )
        )
    lodged_on = data.lodged_on or ctx.today
    not_future(ctx, "lodged_on", lodged_on)
    appeal_by = date.fromisoformat((sanction.terms or {})["appeal_by"])
    if lodged_on > appeal_by:
        raise InvalidInput(
            Problem(
                "lodged_on",
                "appeal-in-time",
                say("the time to appeal ended on %(appeal_by)s", appeal_by=appeal_by.isoformat()),
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
        raise NotFound(missing("appeal_id", appeal_id))
    if appeal.state != "lodged":
        raise Conflict(Problem("state", "appeal-open", "this appeal is already decided"))
    sanction = get_sanction(ctx, appeal.sanction_id, lock=True)
    second_person(
        ctx, sanction.confirmed_by, N_("deciding an appeal against a sanction one confirmed")
    )
    on = data.decided_on or ctx.today
    not_future(ctx, "decided_on", on)
    if on < appeal.lodged_on:
        raise InvalidInput(
            Problem(
                "decided_on",
                "date-order",
                say(
                    "the appeal cannot be decided before it was lodged (%(day)s)",
                    day=appeal.lodged_on.isoformat(),
                ),
            )
        )
    appeal.decided_by, appeal.decided_on, appeal.reasons = ctx.actor.label, on, data.reasons
    if not data.upheld:
        appeal.state = "dismissed"
        audit.note(
            ctx,
            entity="sanction",
            entity_id=sanction.id or 0,
            action="appeal-dismissed",
            reason=data.reasons,
            details={"decided_on": on.isoformat()},
        )
        ctx.session.commit()
        return appeal
    appeal.state = "upheld"
    for refusal in ctx.session.exec(
        select(Refusal).where(col(Refusal.referral_id).in_(sanction.referral_ids))
    ):
        if refusal.voided_on is None:
            refusal.voided_on = on
            refusal.void_reason = stored(say("appeal %(id)s upheld", id=appeal_id))
    was_started = sanction.started_on is not None and sanction.state in ("active", "ended")
    if was_started and sanction.state == "active":
        restore_case(
            ctx,
            sanction,
            on,
            say("appeal %(id)s upheld: %(reasons)s", id=appeal_id, reasons=data.reasons),
            "appeal-upheld",
        )
    if was_started and sanction.case_id:
        appeal.back_pay_fen = _back_pay(ctx, sanction, appeal, on)
    withdraw_announcement(ctx, sanction)
    sanction.state = "overturned"
    sanction.ended_on = sanction.ended_on or on
    sanction.closed_reason = stored(
        say("appeal %(id)s upheld: %(reasons)s", id=appeal_id, reasons=data.reasons)
    )
    audit.note(
        ctx,
        entity="sanction",
        entity_id=sanction.id or 0,
        action="appeal-upheld",
        reason=data.reasons,
        details={
            "back_pay": yuan_text(from_fen(appeal.back_pay_fen or 0)),
            "decided_on": on.isoformat(),
        },
    )
    ctx.session.commit()
    return appeal


def _back_pay(ctx: ServiceContext, sanction: Sanction, appeal: Appeal, on: date) -> int:
    """What the sanction withheld: its monthly reduction, pro rata, from its start to the day
    before payment was restored (or resumed), rounded once per month by the policy's rule.

    Restored from ``on``, the appeal's day: when that lies in a month already paid (an appeal
    recorded late), the restored status period is dated back and the next payment run finds
    those months underpaid and pays the rest (``benefits.payments`` look-back), so each day is
    repaid once — here before ``on``, there from it."""
    terms = sanction.terms or {}
    assert sanction.started_on is not None and sanction.case_id is not None
    last = (sanction.ended_on or on) - timedelta(days=1)
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
                reason=stored(
                    say(
                        "appeal %(appeal)s upheld: what sanction %(sanction)s withheld is repaid",
                        appeal=appeal.id,
                        sanction=sanction.id,
                    )
                ),
                source=f"appeal:{appeal.id}",
                parameter_version=terms["parameter_version"],
                created_at=ctx.now,
            )
        )
    return amount


def sanctions(ctx: ServiceContext, state: str | None) -> list[Sanction]:
    """The sanction queue, of the actor's office only."""
    query = select(Sanction)
    if office := office_of(ctx.actor):
        query = query.where(col(Sanction.member_id).in_(members_in(office)))
    if state:
        query = query.where(Sanction.state == state)
    return list(ctx.session.exec(query.order_by(col(Sanction.id))))
