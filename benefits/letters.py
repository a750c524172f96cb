"""Decision letters: what an applicant is told in writing, laid out to print.

Approval and rejection were recorded but never written to the household (issue 12); a
decision that changes money is explained to the person it concerns with its facts, its rule and
parameter version, and the way to challenge it (POLICY.md "Explainable decisions"). Rejection
letters give the officer's written reason (report 1: a rejection is explained in writing) and
the time limits of administrative reconsideration (60 days, Administrative Reconsideration Law
art. 20) and of an administrative lawsuit (6 months, Administrative Litigation Law art. 46).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template
from sqlmodel import col, select

from benefits import services, views
from benefits.models import ApplicationStep, BenefitCase, Member
from kernel.auth import Role, requires
from kernel.errors import NotFound, Problem
from kernel.money import from_fen
from kernel.pages import render
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get

OFFICER = requires(Role.BENEFIT_OFFICER)


@get("/applications/{application_id:int}/letter", access=Access.PERSON, guards=[OFFICER])
def decision_letter(request: Request[Any, Any, Any], ctx: Ctx, application_id: PathId) -> Template:
    application = services.get_application(ctx.session, application_id)
    if application.state not in ("approved", "rejected"):
        raise NotFound(Problem("application_id", "letter", "no decision yet, so no letter"))
    household = services.get_household(ctx.session, application.household_id)
    head = ctx.session.exec(
        select(Member).where(Member.household_id == household.id, Member.relation == "head")
    ).first()
    decided = ctx.session.exec(
        select(ApplicationStep)
        .where(
            ApplicationStep.application_id == application_id,
            col(ApplicationStep.step).in_(["approved", "rejected"]),
        )
        .order_by(col(ApplicationStep.id).desc())
    ).first()
    case = ctx.session.exec(
        select(BenefitCase).where(BenefitCase.application_id == application_id)
    ).first()
    return render(
        request,
        "benefits/letter.html",
        application=application,
        household=household,
        head=head,
        decided_by=decided.actor if decided else application.first_approver,
        reason=views.in_words(application.decision_reason, application.decision_said),
        case=case,
        amount=from_fen(case.monthly_amount_fen) if case else None,
        explanation=views.explanation_out(case.explanation) if case else None,
    )


HANDLERS = [decision_letter]
