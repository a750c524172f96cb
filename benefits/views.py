"""Read models: shape benefit tables into API responses (masking ID numbers on the way out)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from benefits import bank_file, payments
from benefits.models import (
    Application,
    ApplicationStep,
    BenefitCase,
    Household,
    Member,
    MemberIncome,
    Objection,
    PaymentLine,
    PaymentRun,
    RollImport,
)
from benefits.schemas import (
    ApplicationOut,
    CaseOut,
    HouseholdOut,
    IncomeOut,
    MemberOut,
    ObjectionOut,
    PaymentLineOut,
    PaymentRunOut,
    PeriodOut,
    RollImportOut,
    RollProblemOut,
    StepOut,
)
from benefits.services import case_history, members_of
from kernel.messages import (
    Text,
    answer_gettext,
    code_text,
    from_data,
    render,
    say,
    uncarry,
    words,
)
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
        decision_reason=in_words(application.decision_reason, application.decision_said),
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


def explanation_out(explanation: dict[str, Any]) -> dict[str, Any]:
    """An entitlement's explanation with each line's words in the reader's language (lines
    written before they kept their data read as written)."""
    shown = dict(explanation)
    shown["lines"] = [
        {
            "item": line.get("item"),
            "value": words(str(line.get("value", ""))),
            "text": in_words(line.get("text"), line.get("said")) or "",
        }
        for line in explanation.get("lines", [])
    ]
    return shown


def in_words(written: str | None, said: Any) -> str | None:
    """A stored reason in the reader's language: its data when the service wrote it, else the
    words as an officer gave them (or as written before reasons were kept as data)."""
    if isinstance(said, str):  # a driver that hands JSON back as text ('null' for none)
        said = json.loads(said)
    if not said:
        return written
    return render(from_data(said), answer_gettext())


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
        status_reason=in_words(case.status_reason, case.status_said),
        monthly_amount=yuan_text(from_fen(case.monthly_amount_fen)),
        explanation=explanation_out(case.explanation),
        parameter_version=case.parameter_version,
        opened_on=case.opened_on,
        next_review_on=case.next_review_on,
        history=[
            PeriodOut(
                status=p.status,
                effective_from=p.effective_from,
                effective_to=p.effective_to,
                monthly_amount=yuan_text(from_fen(p.monthly_amount_fen)),
                reason=in_words(p.reason, p.said),
                rule=p.rule,
                parameter_version=p.parameter_version,
                actor=p.actor,
            )
            for p in history
        ],
    )


# --- payment runs -------------------------------------------------------------------------------


def payment_run_out(run: PaymentRun) -> PaymentRunOut:
    assert run.id is not None
    released = run.state == payments.FINISHED and run.signed_off_by is not None
    return PaymentRunOut(
        id=run.id,
        period=run.period,
        state=run.state,
        progress=payments.run_progress(run),
        batches_done=run.batches_done,
        batch_size=run.batch_size,
        parameter_version=run.parameter_version,
        lines=run.lines,
        paid_lines=run.paid_lines,
        zero_lines=run.zero_lines,
        without_account=run.without_account,
        regular_total=yuan_text(from_fen(run.regular_fen)),
        adjustments_total=yuan_text(from_fen(run.adjustments_fen)),
        total=yuan_text(from_fen(run.total_fen)),
        carried=yuan_text(from_fen(run.carried_fen)),
        recomputed_months=run.recomputed_months,
        recoveries_found=yuan_text(from_fen(run.recoveries_found_fen)),
        back_pay_found=yuan_text(from_fen(run.back_pay_found_fen)),
        started_by=run.started_by,
        started_at=run.started_at,
        reconciled_at=run.reconciled_at,
        finished_at=run.finished_at,
        signed_off_by=run.signed_off_by,
        signed_off_at=run.signed_off_at,
        bank_file=f"/api/v1/payments/runs/{run.id}/bank-file" if released else None,
    )


def mask_account(account: str | None) -> str | None:
    """Only the last four digits of a bank account leave the service in API answers."""
    if not account:
        return None
    return "*" * max(len(account) - 4, 0) + account[-4:]


def payment_why(line: PaymentLine) -> list[Text]:
    """The line's inputs as sentences a recipient or an auditor can follow (POLICY.md rule 10:
    every payment explains itself), as messages read in the reader's language."""
    inputs = line.inputs or {}
    days = inputs.get("days_in_month")
    rounding = inputs.get("rounding", {})
    steps = [
        say(
            "%(status)s %(start)s to %(end)s: %(days)s of %(month_days)s days at %(amount)s a "
            "month (%(rule)s, %(version)s)",
            status=code_text(str(p["status"])),
            start=p["from"],
            end=p["to"],
            days=p["days"],
            month_days=days,
            amount=p["monthly_amount"],
            rule=p["rule"],
            version=p["parameter_version"],
        )
        for p in inputs.get("periods", [])
    ]
    if not steps:
        steps.append(say("no status period of the case falls in %(period)s", period=line.period))
    steps.append(
        say(
            "regular amount %(amount)s: pro rata by calendar days, rounded once to %(quantum)s "
            "yuan (%(mode)s, %(version)s)",
            amount=yuan_text(from_fen(line.regular_fen)),
            quantum=rounding.get("quantum"),
            mode=rounding.get("mode"),
            version=rounding.get("parameter_version"),
        )
    )
    for adjustment in inputs.get("adjustments", []):
        steps.append(
            say(
                "%(kind)s %(owed)s (%(source)s): %(applied)s taken this month. %(reason)s",
                kind=code_text(str(adjustment["kind"])),
                owed=adjustment["owed"],
                source=adjustment["source"],
                applied=adjustment["applied"],
                reason=uncarry(str(adjustment.get("reason") or "")),
            )
        )
    steps.append(say("paid %(amount)s", amount=yuan_text(from_fen(line.amount_fen))))
    if line.carried_fen:
        steps.append(
            say(
                "%(amount)s of recovery is carried to later months: a month's payment never goes "
                "below zero",
                amount=yuan_text(from_fen(line.carried_fen)),
            )
        )
    return steps


def payment_line_out(line: PaymentLine) -> PaymentLineOut:
    assert line.id is not None
    return PaymentLineOut(
        id=line.id,
        run_id=line.run_id,
        period=line.period,
        case_id=line.case_id,
        payee_name=line.payee_name,
        bank_account_masked=mask_account(line.bank_account),
        regular=yuan_text(from_fen(line.regular_fen)),
        adjustments=yuan_text(from_fen(line.adjustments_fen)),
        amount=yuan_text(from_fen(line.amount_fen)),
        carried=yuan_text(from_fen(line.carried_fen)),
        in_bank_file=line.amount_fen > 0 and bool(line.bank_account),
        reference=bank_file.reference(line.period, line.case_id),
        rule=line.rule,
        parameter_version=line.parameter_version,
        why=[words(step) for step in payment_why(line)],
        inputs=line.inputs,
        created_at=line.created_at,
    )


def roll_import_out(run: RollImport) -> RollImportOut:
    gettext = answer_gettext()
    done = run.state in ("finished", "stopped")
    return RollImportOut(
        id=run.id or 0,
        file_name=run.file_name,
        mode=run.mode,
        state=run.state,
        lines=run.lines,
        done_through_line=run.done_through_line,
        progress=round(run.done_through_line / run.lines, 4) if run.lines else 0.0,
        households=run.households,
        created=run.created,
        unchanged=run.unchanged,
        updated=run.updated,
        differs=run.differs,
        refused=run.refused,
        parameter_version=run.parameter_version,
        problems_total=run.problem_count,
        problems=[
            RollProblemOut(
                row=p["row"],
                field=p["field"],
                rule=p["rule"],
                message=render(from_data(p["said"]), gettext),
            )
            for p in run.problems
        ],
        started_by=run.started_by,
        started_at=run.started_at,
        finished_at=run.finished_at,
        result=f"/api/v1/roll/imports/{run.id}/result" if done else None,
    )
