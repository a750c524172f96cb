"""Read models: shape benefit tables into API responses (masking ID numbers on the way out)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, col, select

from benefits.models import (
    Application,
    ApplicationStep,
    BenefitCase,
    Household,
    Member,
    MemberIncome,
    Objection,
)
from benefits.schemas import (
    ApplicationOut,
    CaseOut,
    HouseholdOut,
    IncomeOut,
    MemberOut,
    ObjectionOut,
    PeriodOut,
    StatusOut,
    StepOut,
)
from benefits.services import StatusFacts, case_history, members_of
from kernel.money import from_fen, yuan_text
from kernel.national_id import mask


def member_out(member: Member, incomes: list[MemberIncome]) -> MemberOut:
    assert member.id is not None
    return MemberOut(
        id=member.id,
        name=member.name,
        national_id_masked=mask(member.national_id),
        sex=member.sex,
        birth_date=member.birth_date,
        relation=member.relation,
        phone=member.phone,
        language=member.language,
        work_capacity=member.work_capacity,
        disability=member.disability,
        serious_illness=member.serious_illness,
        student=member.student,
        carer=member.carer,
        pregnant=member.pregnant,
        three_nos=member.three_nos,
        official_relative=member.official_relative,
        incomes=[
            IncomeOut(
                source=i.source,
                monthly_amount=yuan_text(from_fen(i.monthly_amount_fen)),
                effective_from=i.effective_from,
            )
            for i in incomes
        ],
    )


def household_out(session: Session, household: Household) -> HouseholdOut:
    assert household.id is not None
    members = members_of(session, household.id)
    incomes: dict[int, list[MemberIncome]] = defaultdict(list)
    for income in session.exec(
        select(MemberIncome)
        .where(
            col(MemberIncome.member_id).in_([m.id for m in members]),
            col(MemberIncome.effective_to).is_(None),
        )
        .order_by(col(MemberIncome.source))
    ):
        incomes[income.member_id].append(income)
    return HouseholdOut(
        id=household.id,
        scheme=household.scheme,
        address=household.address,
        community=household.community,
        township=household.township,
        members=[member_out(m, incomes[m.id or 0]) for m in members],
    )


def application_out(session: Session, application: Application) -> ApplicationOut:
    assert application.id is not None
    steps = session.exec(
        select(ApplicationStep)
        .where(ApplicationStep.application_id == application.id)
        .order_by(col(ApplicationStep.id))
    )
    objections = session.exec(
        select(Objection)
        .where(Objection.application_id == application.id)
        .order_by(col(Objection.id))
    )
    case = session.exec(
        select(BenefitCase).where(BenefitCase.application_id == application.id)
    ).first()
    return ApplicationOut(
        id=application.id,
        household_id=application.household_id,
        state=application.state,
        category_requested=application.category_requested,
        documents=application.documents,
        applied_on=application.applied_on,
        notice_starts_on=application.notice_starts_on,
        notice_last_day=application.notice_last_day,
        second_approval_required=application.second_approval_required,
        decided_on=application.decided_on,
        decision_reason=application.decision_reason,
        parameter_version=application.parameter_version,
        case_id=case.id if case else None,
        steps=[StepOut(step=s.step, on=s.on, actor=s.actor, details=s.details) for s in steps],
        objections=[
            ObjectionOut(
                id=o.id or 0,
                received_on=o.received_on,
                objector=o.objector,
                text=o.text,
                upheld=o.upheld,
                resolution=o.resolution,
                resolved_on=o.resolved_on,
            )
            for o in objections
        ],
    )


def case_out(session: Session, case: BenefitCase, *, with_history: bool = True) -> CaseOut:
    assert case.id is not None
    history = case_history(session, case.id) if with_history else []
    return CaseOut(
        id=case.id,
        household_id=case.household_id,
        application_id=case.application_id,
        scheme=case.scheme,
        category=case.category,
        status=case.status,
        status_since=case.status_since,
        status_reason=case.status_reason,
        monthly_amount=yuan_text(from_fen(case.monthly_amount_fen)),
        explanation=case.explanation,
        parameter_version=case.parameter_version,
        opened_on=case.opened_on,
        next_review_on=case.next_review_on,
        history=[
            PeriodOut(
                status=p.status,
                effective_from=p.effective_from,
                effective_to=p.effective_to,
                monthly_amount=yuan_text(from_fen(p.monthly_amount_fen)),
                reason=p.reason,
                rule=p.rule,
                parameter_version=p.parameter_version,
                actor=p.actor,
            )
            for p in history
        ],
    )


def status_out(facts: StatusFacts) -> StatusOut:
    member, household, case, application = (
        facts.member,
        facts.household,
        facts.case,
        facts.application,
    )
    assert household.id is not None
    since: date | None
    if case is not None:
        status, category, amount = case.status, case.category, case.monthly_amount_fen
        since, why, review = case.status_since, case.status_reason, case.next_review_on
        version: str | None = case.parameter_version
    elif application is not None:
        status, category, amount = f"application_{application.state}", None, 0
        since = application.decided_on or application.applied_on
        why = application.decision_reason or f"application {application.id} is {application.state}"
        review, version = None, application.parameter_version
    else:
        status, category, amount, since = "no_application", None, 0, None
        why, review, version = "the household has not applied", None, None
    return StatusOut(
        national_id_masked=mask(member.national_id),
        name=member.name,
        household_id=household.id,
        community=household.community,
        township=household.township,
        scheme=household.scheme,
        case_id=case.id if case else None,
        status=status,
        category=category,
        monthly_amount=yuan_text(from_fen(amount)),
        since=since,
        why=why,
        next_review_on=review,
        parameter_version=version,
    )
