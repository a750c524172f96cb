"""Benefit use cases: take a ServiceContext and plain inputs, apply the rules, write, audit.

Every change that matters for money writes an audit record in the same transaction and carries
the parameter version it used. Use cases commit; they raise DomainError subclasses (rendered as
problem details) before writing anything when the input or the state forbids the change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from benefits import coming, rules
from benefits.assessments import assessment_record
from benefits.events import ApplicationDecided, HouseholdChanged
from benefits.incomes import declared_income_problems, incomes_on, unrecorded_incomes
from benefits.models import (
    Application,
    ApplicationStep,
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    MemberIncome,
    Objection,
)
from benefits.offices import households_in
from benefits.rules import ApplicationState, CaseStatus, EntitlementParams
from benefits.schemas import (
    ApplicationIn,
    AppraisalIn,
    CaseStatusChangeIn,
    DecisionIn,
    HouseholdIn,
    IncomeChangeIn,
    InvestigationIn,
    MemberIn,
    MemberUpdateIn,
    ObjectionIn,
    ObjectionResolutionIn,
    PublicNoticeIn,
    ReviewIn,
    SecondApprovalIn,
)
from kernel import audit
from kernel.context import ServiceContext
from kernel.dates import add_months
from kernel.errors import Conflict, InvalidInput, NotFound, Problem, missing
from kernel.events import bus
from kernel.four_eyes import second_person
from kernel.messages import N_, Text, as_data, from_data, say
from kernel.money import from_fen, to_fen, yuan_text
from kernel.visibility import office_of

OPEN_APPLICATION_STATES = (
    ApplicationState.APPLIED,
    ApplicationState.INVESTIGATED,
    ApplicationState.APPRAISED,
    ApplicationState.PUBLIC_NOTICE,
    ApplicationState.AWAITING_SECOND_APPROVAL,
)
LIVE_CASE_STATUSES = tuple(s for s in CaseStatus if s is not CaseStatus.TERMINATED)

# --- the approval hook --------------------------------------------------------------------

# (context, application, household, its members, the decision day) → problems
ApprovalCheck = Callable[
    [ServiceContext, Application, Household, Sequence[Member], date], list[Problem]
]
_approval_checks: list[ApprovalCheck] = []


def register_approval_check(check: ApprovalCheck) -> None:
    """Let another context veto approval (activation: an obligated member is unregistered)."""
    if check not in _approval_checks:
        _approval_checks.append(check)


# --- loading ------------------------------------------------------------------------------


# Getters take ``lock=True`` in use cases that read a row, decide and then change it (a
# procedure step, a status change, an application opened for a household): on PostgreSQL the row
# is read FOR UPDATE, so two officers pressing the same button at once are served one after the
# other and the second sees the first's decision (409) instead of repeating it. SQLite's write
# transactions are one at a time already.


def get_household(session: Session, household_id: int, *, lock: bool = False) -> Household:
    household = session.get(Household, household_id, with_for_update=lock)
    if household is None:
        raise NotFound(missing("household_id", household_id))
    return household


def get_member(session: Session, member_id: int, *, lock: bool = False) -> Member:
    member = session.get(Member, member_id, with_for_update=lock)
    if member is None:
        raise NotFound(missing("member_id", member_id))
    return member


def get_application(session: Session, application_id: int, *, lock: bool = False) -> Application:
    application = session.get(Application, application_id, with_for_update=lock)
    if application is None:
        raise NotFound(missing("application_id", application_id))
    return application


def get_case(session: Session, case_id: int, *, lock: bool = False) -> BenefitCase:
    case = session.get(BenefitCase, case_id, with_for_update=lock)
    if case is None:
        raise NotFound(missing("case_id", case_id))
    return case


def members_of(session: Session, household_id: int) -> list[Member]:
    return list(
        session.exec(
            select(Member).where(Member.household_id == household_id).order_by(col(Member.id))
        )
    )


def current_case(session: Session, household_id: int) -> BenefitCase | None:
    return session.exec(
        select(BenefitCase)
        .where(BenefitCase.household_id == household_id)
        .order_by(col(BenefitCase.id).desc())
    ).first()


# --- households and members ---------------------------------------------------------------


def _identity(data: MemberIn) -> rules.MemberIdentity:
    return rules.MemberIdentity(data.national_id, data.sex, data.birth_date, data.relation)


def ids_in_live_households(
    session: Session, national_ids: Sequence[str], exclude_household: int | None = None
) -> dict[str, int]:
    """national_id → household id, for IDs already in a household with an open application or
    a case that is not terminated (a person can belong to one live household at a time)."""
    if not national_ids:
        return {}
    # Correlated on the member's household (both tables are indexed by it), so the check reads
    # only the households of the people asked about, however many cases the county holds.
    open_app = (
        select(Application.id)
        .where(
            Application.household_id == Member.household_id,
            col(Application.state).in_([s.value for s in OPEN_APPLICATION_STATES]),
        )
        .exists()
    )
    live_case = (
        select(BenefitCase.id)
        .where(
            BenefitCase.household_id == Member.household_id,
            col(BenefitCase.status).in_([s.value for s in LIVE_CASE_STATUSES]),
        )
        .exists()
    )
    query = select(Member.national_id, Member.household_id).where(
        col(Member.national_id).in_(list(national_ids)), or_(open_app, live_case)
    )
    if exclude_household is not None:
        query = query.where(Member.household_id != exclude_household)
    return {nid: hid for nid, hid in session.exec(query)}


def _new_member(ctx: ServiceContext, household_id: int, data: MemberIn) -> Member:
    from kernel.national_id import parse_national_id

    decoded = parse_national_id(data.national_id)
    member = Member(
        household_id=household_id,
        name=data.name,
        national_id=decoded.value,
        sex=decoded.sex,
        birth_date=decoded.birth_date,
        relation=data.relation,
        phone=data.phone,
        language=data.language,
        work_capacity=data.work_capacity,
        disability=data.disability,
        serious_illness=data.serious_illness,
        student=data.student,
        carer=data.carer,
        pregnant=data.pregnant,
        three_nos=data.three_nos,
        official_relative=data.official_relative,
        official_relative_note=data.official_relative_note,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(member)
    ctx.session.flush()
    assert member.id is not None
    for income in data.incomes:
        ctx.session.add(
            MemberIncome(
                member_id=member.id,
                source=income.source,
                monthly_amount_fen=to_fen(income.monthly_amount),
                effective_from=income.effective_from or ctx.today,
                recorded_at=ctx.now,
            )
        )
    return member


def household_problems(
    ctx: ServiceContext,
    members: Sequence[rules.MemberIdentity],
    community: str | None,
    township: str | None,
) -> list[Problem]:
    """What registering a household checks beyond its schema: the members against each other
    and their IDs, the registrar's own office, and people already in a live household.

    The registration page also asks it about the members whose IDs could be read while other
    fields were still wrong, so an officer sees every problem of the form at once. The office
    rule is left out while neither place is given (the schema reports that first)."""
    problems = rules.household_input_problems(members, ctx.today)
    office = office_of(ctx.actor)
    if office and (community or township) and office not in (community, township):
        problems.append(
            Problem(
                "township",
                "own-office",
                say(
                    "an account of %(office)s registers households of %(office)s only",
                    office=office,
                ),
            )
        )
    taken = ids_in_live_households(ctx.session, [m.national_id for m in members])
    for index, member in enumerate(members):
        if member.national_id in taken:
            problems.append(
                Problem(
                    f"members.{index}.national_id",
                    "one-live-household",
                    say(
                        "this person already belongs to live household %(value)s",
                        value=taken[member.national_id],
                    ),
                )
            )
    return problems


def create_household(ctx: ServiceContext, data: HouseholdIn) -> Household:
    identities = [_identity(m) for m in data.members]
    problems = household_problems(ctx, identities, data.community, data.township)
    for index, member in enumerate(data.members):
        problems += declared_income_problems(member.incomes, ctx.today, f"members.{index}.incomes")
    if problems:
        raise InvalidInput(problems)
    household = Household(
        scheme=data.scheme,
        address=data.address,
        community=data.community,
        township=data.township,
        bank_account=data.bank_account,
        created_at=ctx.now,
    )
    ctx.session.add(household)
    ctx.session.flush()
    assert household.id is not None
    for member in data.members:
        _new_member(ctx, household.id, member)
    audit.note(
        ctx,
        entity="household",
        entity_id=household.id,
        action="created",
        details={"members": len(data.members), "scheme": data.scheme},
    )
    bus.publish(ctx.session, HouseholdChanged(household.id))
    ctx.session.commit()
    return household


def add_member(ctx: ServiceContext, household_id: int, data: MemberIn) -> Member:
    get_household(ctx.session, household_id, lock=True)
    existing = members_of(ctx.session, household_id)
    identities = [
        rules.MemberIdentity(m.national_id, m.sex, m.birth_date, m.relation) for m in existing
    ] + [_identity(data)]
    problems = [
        Problem(
            p.field.replace(f"members.{len(existing)}", "member") if p.field else None,
            p.rule,
            p.message,
        )
        for p in rules.household_input_problems(identities, ctx.today)
    ]
    taken = ids_in_live_households(ctx.session, [data.national_id], exclude_household=household_id)
    if data.national_id in taken:
        problems.append(
            Problem(
                "national_id",
                "one-live-household",
                say(
                    "this person already belongs to live household %(value)s",
                    value=taken[data.national_id],
                ),
            )
        )
    problems += declared_income_problems(data.incomes, ctx.today, "incomes")
    if problems:
        raise InvalidInput(problems)
    member = _new_member(ctx, household_id, data)
    audit.note(
        ctx,
        entity="member",
        entity_id=member.id or 0,
        action="added",
        details={"household_id": household_id, "relation": data.relation},
    )
    bus.publish(ctx.session, HouseholdChanged(household_id))
    ctx.session.commit()
    return member


def update_member(ctx: ServiceContext, member_id: int, data: MemberUpdateIn) -> Member:
    member = get_member(ctx.session, member_id, lock=True)
    changes = data.model_dump(exclude_unset=True)
    before = {key: getattr(member, key) for key in changes}
    for key, value in changes.items():
        setattr(member, key, value)
    member.updated_at = ctx.now
    audit.note(
        ctx,
        entity="member",
        entity_id=member_id,
        action="circumstances-changed",
        details={"before": before, "after": changes},
    )
    bus.publish(ctx.session, HouseholdChanged(member.household_id))
    ctx.session.commit()
    return member


def change_income(ctx: ServiceContext, member_id: int, data: IncomeChangeIn) -> MemberIncome:
    """Record a new monthly income for one source; the previous one ends the day before."""
    get_member(ctx.session, member_id, lock=True)
    income = record_income(ctx, member_id, data.source, data.monthly_amount, data.effective_from)
    member = get_member(ctx.session, member_id)
    bus.publish(ctx.session, HouseholdChanged(member.household_id))
    ctx.session.commit()
    return income


def record_income(
    ctx: ServiceContext, member_id: int, source: str, amount: Decimal, effective_from: date
) -> MemberIncome:
    """The income history step behind change_income, without committing (other contexts call
    it inside their own unit of work: a job start records the job's wage). A change on the day
    the current row starts corrects that row; an earlier day is refused."""
    current = ctx.session.exec(
        select(MemberIncome).where(
            MemberIncome.member_id == member_id,
            MemberIncome.source == source,
            col(MemberIncome.effective_to).is_(None),
        )
    ).first()
    before = None
    if current is not None:
        before = yuan_text(from_fen(current.monthly_amount_fen))
        if effective_from < current.effective_from:
            raise Conflict(
                Problem(
                    "effective_from",
                    "income-history",
                    say(
                        "the current %(source)s income is in force from %(effective_from)s; "
                        "a change cannot start earlier",
                        source=source,
                        effective_from=current.effective_from.isoformat(),
                    ),
                )
            )
        if effective_from == current.effective_from:
            current.monthly_amount_fen = to_fen(amount)
            current.recorded_at = ctx.now
            income = current
        else:
            current.effective_to = effective_from - timedelta(days=1)
            income = None
    else:
        income = None
    if income is None:
        income = MemberIncome(
            member_id=member_id,
            source=source,
            monthly_amount_fen=to_fen(amount),
            effective_from=effective_from,
            recorded_at=ctx.now,
        )
        ctx.session.add(income)
    audit.note(
        ctx,
        entity="member",
        entity_id=member_id,
        action="income-changed",
        details={
            "source": source,
            "before": before,
            "monthly_amount": yuan_text(amount),
            "effective_from": effective_from.isoformat(),
        },
    )
    return income


# --- entitlement --------------------------------------------------------------------------


def assess_household(
    ctx: ServiceContext, household: Household, category: str, on: date
) -> rules.Entitlement:
    """Entitlement on ``on`` under the parameter version in force that day."""
    assert household.id is not None
    params = EntitlementParams.from_policy(ctx.params(on), household.scheme)
    members = members_of(ctx.session, household.id)
    incomes = [from_fen(i.monthly_amount_fen) for i in incomes_on(ctx.session, household.id, on)]
    return rules.assess_entitlement(
        scheme=household.scheme,
        category=category,
        member_count=len(members),
        incomes=incomes,
        params=params,
    )


def _category_problem(ctx: ServiceContext, scheme: str, category: str, on: date) -> Problem | None:
    params = EntitlementParams.from_policy(ctx.params(on), scheme)
    if category in params.categories:
        return None
    known = ", ".join(params.categories)
    return Problem(
        "category",
        "known-category",
        say(
            "category %(category)s is not defined for the %(scheme)s scheme (%(known)s; "
            "%(version_id)s)",
            category=repr(category),
            scheme=scheme,
            known=known,
            version_id=params.version_id,
        ),
    )


# --- the application procedure ------------------------------------------------------------


def apply(ctx: ServiceContext, data: ApplicationIn) -> Application:
    household = get_household(ctx.session, data.household_id, lock=True)
    applied_on = data.applied_on or ctx.today
    problems: list[Problem] = []
    if applied_on > ctx.today:
        problems.append(
            Problem(
                "applied_on", "not-in-future", "an application cannot be dated later than today"
            )
        )
    if problem := _category_problem(ctx, household.scheme, data.category_requested, applied_on):
        problems.append(Problem("category_requested", problem.rule, problem.message))
    if problems:
        raise InvalidInput(problems)
    open_app = ctx.session.exec(
        select(Application).where(
            Application.household_id == data.household_id,
            col(Application.state).in_([s.value for s in OPEN_APPLICATION_STATES]),
        )
    ).first()
    if open_app is not None:
        raise Conflict(
            Problem(
                "household_id",
                "one-open-application",
                say("application %(id)s is still open", id=open_app.id),
            )
        )
    case = current_case(ctx.session, data.household_id)
    if case is not None and case.status != CaseStatus.TERMINATED:
        raise Conflict(
            Problem(
                "household_id",
                "no-live-case",
                say(
                    "the household already has case %(id)s (%(status)s)",
                    id=case.id,
                    status=case.status,
                ),
            )
        )
    members = members_of(ctx.session, data.household_id)
    application = Application(
        household_id=data.household_id,
        state=ApplicationState.APPLIED,
        category_requested=data.category_requested,
        documents=sorted(set(data.documents)),
        applied_on=applied_on,
        second_approval_required=rules.needs_second_approver(
            [m.official_relative for m in members]
        ),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(application)
    ctx.session.flush()
    _step(
        ctx,
        application,
        "applied",
        applied_on,
        {"category_requested": data.category_requested, "documents": application.documents},
    )
    bus.publish(ctx.session, HouseholdChanged(data.household_id))
    ctx.session.commit()
    return application


def _step(
    ctx: ServiceContext,
    application: Application,
    step: str,
    on: date,
    details: dict,
    reason: str | Text | None = None,
) -> None:
    assert application.id is not None
    ctx.session.add(
        ApplicationStep(
            application_id=application.id,
            step=step,
            on=on,
            actor=ctx.actor.label,
            details=details,
            recorded_at=ctx.now,
        )
    )
    audit.note(
        ctx,
        entity="application",
        entity_id=application.id,
        action=step,
        reason=reason if reason is not None else str(details.get("reason", "")),
        parameter_version=application.parameter_version,
        details=details,
    )


def _move(application: Application, target: ApplicationState) -> None:
    if problem := rules.application_transition_problem(application.state, target, application.kind):
        raise Conflict(problem)


def _not_before(field: str, day: date, earliest: date, what: str) -> list[Problem]:
    if day < earliest:
        return [
            Problem(
                field,
                "date-order",
                say(
                    "%(field)s %(day)s is before %(what)s (%(earliest)s)",
                    field=field,
                    day=day.isoformat(),
                    what=what,
                    earliest=earliest.isoformat(),
                ),
            )
        ]
    return []


def _not_future(ctx: ServiceContext, field: str, day: date) -> list[Problem]:
    if day > ctx.today:
        return [
            Problem(
                field,
                "not-in-future",
                say("%(field)s %(day)s is after today", field=field, day=day.isoformat()),
            )
        ]
    return []


def record_investigation(
    ctx: ServiceContext, application_id: int, data: InvestigationIn
) -> Application:
    application = get_application(ctx.session, application_id, lock=True)
    _move(application, ApplicationState.INVESTIGATED)
    problems = _not_future(ctx, "visited_on", data.visited_on) + _not_before(
        "visited_on", data.visited_on, application.applied_on, "the application"
    )
    if problems:
        raise InvalidInput(problems)
    application.state = ApplicationState.INVESTIGATED
    application.updated_at = ctx.now
    _step(ctx, application, "investigation", data.visited_on, data.model_dump(mode="json"))
    ctx.session.commit()
    return application


def record_appraisal(ctx: ServiceContext, application_id: int, data: AppraisalIn) -> Application:
    application = get_application(ctx.session, application_id, lock=True)
    _move(application, ApplicationState.APPRAISED)
    visited = _last_step_day(ctx.session, application, "investigation")
    problems = _not_future(ctx, "held_on", data.held_on) + _not_before(
        "held_on", data.held_on, visited, "the home investigation"
    )
    if data.passed and data.votes_against > data.votes_for:
        problems.append(
            Problem(
                "passed",
                "appraisal-votes",
                "the panel cannot pass an application with more votes against than for",
            )
        )
    if problems:
        raise InvalidInput(problems)
    application.state = ApplicationState.APPRAISED
    application.appraisal_passed = data.passed
    application.updated_at = ctx.now
    _step(ctx, application, "appraisal", data.held_on, data.model_dump(mode="json"))
    ctx.session.commit()
    return application


def _last_step_day(session: Session, application: Application, step: str) -> date:
    row = session.exec(
        select(ApplicationStep)
        .where(ApplicationStep.application_id == application.id, ApplicationStep.step == step)
        .order_by(col(ApplicationStep.id).desc())
    ).first()
    return row.on if row else application.applied_on


def post_public_notice(
    ctx: ServiceContext, application_id: int, data: PublicNoticeIn
) -> Application:
    application = get_application(ctx.session, application_id, lock=True)
    _move(application, ApplicationState.PUBLIC_NOTICE)
    appraised = _last_step_day(ctx.session, application, "appraisal")
    problems = _not_before("starts_on", data.starts_on, appraised, "the appraisal")
    if application.appraisal_passed is False:
        problems.append(
            Problem(
                "state",
                "democratic-appraisal",
                "the appraisal did not pass: reject the application instead",
            )
        )
    if problems:
        raise InvalidInput(problems)
    params = ctx.params(data.starts_on)
    days = params.int("benefits.public_notice.days")
    application.state = ApplicationState.PUBLIC_NOTICE
    application.notice_starts_on = data.starts_on
    application.notice_last_day = rules.notice_last_day(data.starts_on, days)
    application.updated_at = ctx.now
    _step(
        ctx,
        application,
        "public_notice",
        data.starts_on,
        {
            "place": data.place,
            "days": days,
            "last_day": application.notice_last_day.isoformat(),
            "parameter_version": params.version_id,
        },
    )
    ctx.session.commit()
    return application


def record_objection(ctx: ServiceContext, application_id: int, data: ObjectionIn) -> Objection:
    application = get_application(ctx.session, application_id, lock=True)
    if application.state != ApplicationState.PUBLIC_NOTICE:
        raise Conflict(
            Problem(
                "state",
                "objection-during-notice",
                "objections are recorded while the public notice runs",
            )
        )
    assert application.notice_starts_on and application.notice_last_day
    if not application.notice_starts_on <= data.received_on <= application.notice_last_day:
        raise InvalidInput(
            Problem(
                "received_on",
                "objection-during-notice",
                say(
                    "the notice ran %(notice_starts_on)s to %(notice_last_day)s; this "
                    "objection is outside it",
                    notice_starts_on=application.notice_starts_on.isoformat(),
                    notice_last_day=application.notice_last_day.isoformat(),
                ),
            )
        )
    if problems := _not_future(ctx, "received_on", data.received_on):
        raise InvalidInput(problems)
    objection = Objection(
        application_id=application_id,
        received_on=data.received_on,
        objector=data.objector,
        text=data.text,
    )
    ctx.session.add(objection)
    ctx.session.flush()
    _step(ctx, application, "objection", data.received_on, {"objection_id": objection.id})
    ctx.session.commit()
    return objection


def resolve_objection(
    ctx: ServiceContext, application_id: int, objection_id: int, data: ObjectionResolutionIn
) -> Objection:
    application = get_application(ctx.session, application_id, lock=True)
    objection = ctx.session.get(Objection, objection_id)
    if objection is None or objection.application_id != application_id:
        raise NotFound(
            Problem(
                "objection_id",
                "exists",
                say("no objection %(objection_id)s on this application", objection_id=objection_id),
            )
        )
    if objection.upheld is not None:
        raise Conflict(
            Problem("objection_id", "resolve-once", "this objection is already resolved")
        )
    problems = _not_future(ctx, "resolved_on", data.resolved_on) + _not_before(
        "resolved_on", data.resolved_on, objection.received_on, "the objection"
    )
    if problems:
        raise InvalidInput(problems)
    objection.upheld = data.upheld
    objection.resolution = data.resolution
    objection.resolved_on = data.resolved_on
    _step(
        ctx,
        application,
        "objection_resolved",
        data.resolved_on,
        {"objection_id": objection_id, "upheld": data.upheld, "reason": data.resolution},
    )
    ctx.session.commit()
    return objection


@dataclass(frozen=True)
class ApprovalCheckResult:
    problems: list[Problem]
    entitlement: rules.Entitlement


def categories_of(ctx: ServiceContext, scheme: str, on: date) -> list[str]:
    """The categories the scheme's policy defines on ``on`` (report 1: categorised assistance)."""
    return sorted(EntitlementParams.from_policy(ctx.params(on), scheme).categories)


def check_approval(
    ctx: ServiceContext, application: Application, category: str, on: date
) -> ApprovalCheckResult:
    """Every problem standing in the way of approval on ``on``, including other contexts'."""
    household = get_household(ctx.session, application.household_id)
    members = members_of(ctx.session, application.household_id)
    params = ctx.params(on)
    ent_params = EntitlementParams.from_policy(params, household.scheme)
    entitlement = assess_household(ctx, household, category, on)
    objections = list(
        ctx.session.exec(select(Objection).where(Objection.application_id == application.id))
    )
    circumstances = frozenset(
        name
        for m in members
        for name in ("three_nos", "serious_illness", "student", "carer", "pregnant")
        if getattr(m, name)
    )
    facts = rules.ApprovalFacts(
        entitlement=entitlement,
        documents=frozenset(application.documents),
        required_documents=frozenset(params.raw("benefits.required_documents")),
        appraisal_passed=application.appraisal_passed,
        notice_last_day=application.notice_last_day,
        decided_on=on,
        open_objections=sum(1 for o in objections if o.upheld is None),
        upheld_objections=sum(1 for o in objections if o.upheld),
        member_circumstances=circumstances,
        category_rule=ent_params.categories.get(category),
    )
    problems = unrecorded_incomes(ctx.session, application.household_id, on)
    problems += rules.approval_problems(facts)
    for check in _approval_checks:
        problems.extend(check(ctx, application, household, members, on))
    return ApprovalCheckResult(problems, entitlement)


def decide(ctx: ServiceContext, application_id: int, data: DecisionIn) -> Application:
    application = get_application(ctx.session, application_id, lock=True)
    decided_on = data.decided_on or ctx.today
    if problems := _not_future(ctx, "decided_on", decided_on):
        raise InvalidInput(problems)
    if not data.approve:
        return _reject(ctx, application, decided_on, data.reason)
    category = data.category or application.category_requested
    household = get_household(ctx.session, application.household_id)
    if problem := _category_problem(ctx, household.scheme, category, decided_on):
        raise InvalidInput(problem)
    target = (
        ApplicationState.AWAITING_SECOND_APPROVAL
        if application.second_approval_required
        else ApplicationState.APPROVED
    )
    _move(application, target)
    result = check_approval(ctx, application, category, decided_on)
    if result.problems:
        raise InvalidInput(result.problems, title="The application cannot be approved yet")
    application.category_requested = category
    if target is ApplicationState.AWAITING_SECOND_APPROVAL:
        application.state = target
        application.first_approver = ctx.actor.label
        application.parameter_version = result.entitlement.parameter_version
        application.updated_at = ctx.now
        _step(
            ctx,
            application,
            "first_approval",
            decided_on,
            {
                "reason": data.reason
                or "approved; an official's close relative needs a second approver",
                "category": category,
            },
        )
        ctx.session.commit()
        return application
    _approve(ctx, application, household, result.entitlement, decided_on, data.reason)
    ctx.session.commit()
    return application


def second_approval(
    ctx: ServiceContext, application_id: int, data: SecondApprovalIn
) -> Application:
    application = get_application(ctx.session, application_id, lock=True)
    if application.state != ApplicationState.AWAITING_SECOND_APPROVAL:
        raise Conflict(
            Problem("state", "second-approval", "this application does not await a second approval")
        )
    second_person(ctx, application.first_approver, N_("the second approval"))
    if not data.approve:
        return _reject(ctx, application, ctx.today, data.reason)
    household = get_household(ctx.session, application.household_id)
    result = check_approval(ctx, application, application.category_requested, ctx.today)
    if result.problems:
        raise InvalidInput(result.problems, title="The application cannot be approved yet")
    _approve(ctx, application, household, result.entitlement, ctx.today, data.reason)
    ctx.session.commit()
    return application


def _reject(ctx: ServiceContext, application: Application, on: date, reason: str) -> Application:
    _move(application, ApplicationState.REJECTED)
    if len(reason.strip()) < 5:
        raise InvalidInput(
            Problem(
                "reason",
                "written-reason",
                "a rejection needs a written reason for the applicant (report 1)",
            )
        )
    application.state = ApplicationState.REJECTED
    application.decided_on = on
    application.decision_reason = reason.strip()
    application.updated_at = ctx.now
    _step(ctx, application, "rejected", on, {"reason": application.decision_reason})
    bus.publish(ctx.session, HouseholdChanged(application.household_id))
    bus.publish(
        ctx.session,
        ApplicationDecided(
            application.id or 0, application.household_id, application.kind, False, None
        ),
    )
    ctx.session.commit()
    return application


def _approve(
    ctx: ServiceContext,
    application: Application,
    household: Household,
    entitlement: rules.Entitlement,
    on: date,
    reason: str,
    pays_from: date | None = None,
    assessed_on: date | None = None,
) -> BenefitCase:
    """Open the case; ``assessed_on`` is the day the entitlement was assessed for (the
    decision's day, or the reported day of a re-entry)."""
    assert household.id is not None and application.id is not None
    application.state = ApplicationState.APPROVED
    application.decided_on = on
    application.parameter_version = entitlement.parameter_version
    written = reason.strip() or say(
        "approved: per-capita income %(income)s below the standard %(standard)s; "
        "category %(category)s",
        income=yuan_text(entitlement.per_capita_income),
        standard=yuan_text(entitlement.standard),
        category=entitlement.category,
    )
    text, said = str(written), as_data(written) if isinstance(written, Text) else None
    application.decision_reason = text
    application.decision_said = said
    application.updated_at = ctx.now
    amount_fen = to_fen(entitlement.monthly_amount)
    case = BenefitCase(
        household_id=household.id,
        application_id=application.id,
        scheme=household.scheme,
        category=entitlement.category,
        status=CaseStatus.ACTIVE,
        status_since=pays_from or on,
        status_reason=text,
        status_said=said,
        monthly_amount_fen=amount_fen,
        entitled_amount_fen=amount_fen,
        explanation=entitlement.explanation(),
        parameter_version=entitlement.parameter_version,
        opened_on=on,
        next_review_on=rules.next_review_on(on, household.scheme, ctx.params(on)),
    )
    ctx.session.add(case)
    ctx.session.flush()
    assert case.id is not None
    ctx.session.add(
        CaseStatusPeriod(
            case_id=case.id,
            status=CaseStatus.ACTIVE,
            effective_from=pays_from or on,
            monthly_amount_fen=amount_fen,
            reason=text,
            said=said,
            rule="application-approved",
            parameter_version=entitlement.parameter_version,
            assessments=[assessment_record(entitlement, assessed_on or on, pays_from or on)],
            actor=ctx.actor.label,
            recorded_at=ctx.now,
        )
    )
    _step(
        ctx,
        application,
        "approved",
        on,
        {"reason": text, "case_id": case.id, "entitlement": entitlement.explanation()},
        reason=written,
    )
    audit.note(
        ctx,
        entity="case",
        entity_id=case.id,
        action="opened",
        reason=written,
        parameter_version=entitlement.parameter_version,
        details=entitlement.explanation(),
    )
    bus.publish(ctx.session, HouseholdChanged(household.id))
    bus.publish(
        ctx.session,
        ApplicationDecided(application.id, household.id, application.kind, True, case.id),
    )
    return case


# --- fast re-entry (report 4 §五4: 出得去进得来) ------------------------------------------


def apply_reentry(
    ctx: ServiceContext,
    household_id: int,
    *,
    reported_on: date,
    decision_due_on: date,
    review_flag: str | None,
    declared_changes: str,
) -> Application:
    """The short re-application after a lost job: it only declares what changed. No commit:
    activation opens it inside the use case that recorded the job's end."""
    household = get_household(ctx.session, household_id, lock=True)
    case = current_case(ctx.session, household_id)
    category = case.category if case else "C"
    application = Application(
        household_id=household_id,
        kind="reentry",
        state=ApplicationState.APPLIED,
        category_requested=category,
        documents=[],
        applied_on=reported_on,
        decision_due_on=decision_due_on,
        review_flag=review_flag,
        second_approval_required=rules.needs_second_approver(
            [m.official_relative for m in members_of(ctx.session, household_id)]
        ),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(application)
    ctx.session.flush()
    _step(
        ctx,
        application,
        "reentry_applied",
        reported_on,
        {
            "declared_changes": declared_changes,
            "decision_due_on": decision_due_on.isoformat(),
            "review_flag": review_flag,
            "scheme": household.scheme,
        },
    )
    return application


def decide_reentry(ctx: ServiceContext, application_id: int, data: DecisionIn) -> Application:
    """Decide a re-entry on income and the hooks alone; approval pays from the reported day."""
    application = get_application(ctx.session, application_id, lock=True)
    if application.kind != "reentry":
        raise Conflict(
            Problem("kind", "reentry", "this is not a re-entry application: use /decision")
        )
    decided_on = data.decided_on or ctx.today
    if problems := _not_future(ctx, "decided_on", decided_on):
        raise InvalidInput(problems)
    if not data.approve:
        return _reject(ctx, application, decided_on, data.reason)
    _move(application, ApplicationState.APPROVED)
    household = get_household(ctx.session, application.household_id)
    category = data.category or application.category_requested
    if problem := _category_problem(ctx, household.scheme, category, decided_on):
        raise InvalidInput(problem)
    entitlement = assess_household(ctx, household, category, application.applied_on)
    problems = unrecorded_incomes(ctx.session, household.id or 0, application.applied_on)
    if not entitlement.eligible:
        problems.append(
            Problem(
                "incomes",
                "income-below-standard",
                say(
                    "per-capita income %(per_capita_income)s is not below the standard "
                    "%(standard)s (%(parameter_version)s)",
                    per_capita_income=yuan_text(entitlement.per_capita_income),
                    standard=yuan_text(entitlement.standard),
                    parameter_version=entitlement.parameter_version,
                ),
            )
        )
    members = members_of(ctx.session, household.id or 0)
    for check in _approval_checks:
        problems.extend(check(ctx, application, household, members, decided_on))
    if problems:
        raise InvalidInput(problems, title="The re-entry cannot be approved yet")
    application.category_requested = category
    _approve(
        ctx,
        application,
        household,
        entitlement,
        decided_on,
        data.reason
        or f"fast re-entry after a lost job, paid from {application.applied_on.isoformat()}",
        pays_from=application.applied_on,
        assessed_on=application.applied_on,
    )
    ctx.session.commit()
    return application


# --- cases --------------------------------------------------------------------------------


def status_day(case: BenefitCase, day: date) -> date:
    """The day an automatic change takes effect: ``day``, but after the current status began
    (the history is append-only, so a change never lands on or before its predecessor)."""
    return max(day, case.status_since + timedelta(days=1))


def set_case_status(
    ctx: ServiceContext,
    case: BenefitCase,
    *,
    status: CaseStatus,
    effective_from: date,
    monthly_amount_fen: int,
    reason: str | Text,
    rule: str,
    parameter_version: str,
    details: dict | None = None,
    assessment: dict[str, Any] | None = None,
) -> CaseStatusPeriod:
    """Close the open status period the day before ``effective_from`` and open a new one.

    The single way any context changes a case's status, so the history stays gap-free and
    every change is audited with its rule and parameter version. Does not commit.
    A reason the service wrote is a ``Text``: it is kept as the English sentence and as data,
    to be shown in the reader's language; an officer's own words are kept as given.
    """
    said = as_data(reason) if isinstance(reason, Text) else None
    reason = str(reason)
    assert case.id is not None
    coming.came(case, effective_from)
    new_amount_only = status == case.status and monthly_amount_fen != case.monthly_amount_fen
    if not new_amount_only and (problem := rules.case_transition_problem(case.status, status)):
        raise Conflict(problem)
    open_period = ctx.session.exec(
        select(CaseStatusPeriod).where(
            CaseStatusPeriod.case_id == case.id, col(CaseStatusPeriod.effective_to).is_(None)
        )
    ).first()
    if open_period is not None:
        if effective_from <= open_period.effective_from:
            raise Conflict(
                Problem(
                    "effective_from",
                    "status-history",
                    say(
                        "the current status runs from %(effective_from)s; "
                        "a change must start later",
                        effective_from=open_period.effective_from.isoformat(),
                    ),
                )
            )
        open_period.effective_to = effective_from - timedelta(days=1)
    period = CaseStatusPeriod(
        case_id=case.id,
        status=status,
        effective_from=effective_from,
        monthly_amount_fen=monthly_amount_fen,
        reason=reason,
        said=said,
        rule=rule,
        parameter_version=parameter_version,
        assessments=[assessment] if assessment else None,
        actor=ctx.actor.label,
        recorded_at=ctx.now,
    )
    ctx.session.add(period)
    before = {"status": case.status, "monthly_amount": yuan_text(from_fen(case.monthly_amount_fen))}
    case.status = status
    case.status_since = effective_from
    case.status_reason = reason
    case.status_said = said
    case.monthly_amount_fen = monthly_amount_fen
    if status is CaseStatus.TERMINATED:
        case.closed_on = effective_from
    audit.note(
        ctx,
        entity="case",
        entity_id=case.id,
        action=f"status:{status.value}",
        reason=from_data(said) if said else reason,
        parameter_version=parameter_version,
        details={
            "before": before,
            "after": {
                "status": status.value,
                "monthly_amount": yuan_text(from_fen(monthly_amount_fen)),
            },
            "effective_from": effective_from.isoformat(),
            "rule": rule,
            **(details or {}),
        },
    )
    return period


def change_case_status(ctx: ServiceContext, case_id: int, data: CaseStatusChangeIn) -> BenefitCase:
    """An officer suspends, resumes or terminates a case (dynamic management, report 1)."""
    case = get_case(ctx.session, case_id, lock=True)
    status = CaseStatus(data.status)
    amount = case.entitled_amount_fen if status is CaseStatus.ACTIVE else 0
    set_case_status(
        ctx,
        case,
        status=status,
        effective_from=data.effective_from,
        monthly_amount_fen=amount,
        reason=data.reason,
        rule=f"officer-{status.value}",
        parameter_version=ctx.params(data.effective_from).version_id,
    )
    bus.publish(ctx.session, HouseholdChanged(case.household_id))
    ctx.session.commit()
    return case


def review_case(ctx: ServiceContext, case_id: int, data: ReviewIn) -> BenefitCase:
    """Re-review (动态管理): reassess on current incomes; continue at the new amount or exit.

    An exit takes effect on the first day of the month after the review, so the month under
    review is paid as assessed (documented rule; report 1 only says exits follow the review).
    """
    case = get_case(ctx.session, case_id, lock=True)
    if case.status in (CaseStatus.TERMINATED, CaseStatus.PENDING):
        raise Conflict(
            Problem(
                "status",
                "review-live-case",
                say("a %(status)s case is not re-reviewed", status=case.status),
            )
        )
    if problems := _not_future(ctx, "reviewed_on", data.reviewed_on):
        raise InvalidInput(problems)
    if problems := unrecorded_incomes(ctx.session, case.household_id, data.reviewed_on):
        raise InvalidInput(problems)
    household = get_household(ctx.session, case.household_id)
    entitlement = assess_household(ctx, household, case.category, data.reviewed_on)
    params = ctx.params(data.reviewed_on)
    next_month = add_months(data.reviewed_on.replace(day=1), 1)
    case.next_review_on = rules.next_review_on(data.reviewed_on, case.scheme, params)
    case.explanation = entitlement.explanation()
    case.parameter_version = entitlement.parameter_version
    new_amount = to_fen(entitlement.monthly_amount)
    applies_from = status_day(case, next_month)
    assessed = assessment_record(entitlement, data.reviewed_on, applies_from)
    if not entitlement.eligible:
        set_case_status(
            ctx,
            case,
            status=CaseStatus.TERMINATED,
            effective_from=status_day(case, next_month),
            monthly_amount_fen=0,
            reason=say("re-review: per-capita income is no longer below the standard"),
            rule="re-review-exit",
            parameter_version=entitlement.parameter_version,
            details={"entitlement": entitlement.explanation(), "notes": data.notes},
            assessment=assessed,
        )
    else:
        case.entitled_amount_fen = new_amount
        if case.status == CaseStatus.ACTIVE and new_amount != case.monthly_amount_fen:
            set_case_status(
                ctx,
                case,
                status=CaseStatus.ACTIVE,
                effective_from=status_day(case, next_month),
                monthly_amount_fen=new_amount,
                reason=say(
                    "re-review: amount reassessed to %(amount)s",
                    amount=yuan_text(entitlement.monthly_amount),
                ),
                rule="re-review-amount",
                parameter_version=entitlement.parameter_version,
                details={"entitlement": entitlement.explanation(), "notes": data.notes},
                assessment=assessed,
            )
        else:
            _assessed_again(ctx.session, case, assessed)
            audit.note(
                ctx,
                entity="case",
                entity_id=case_id,
                action="re-reviewed",
                reason=say("re-review: amount unchanged"),
                parameter_version=entitlement.parameter_version,
                details={"entitlement": entitlement.explanation(), "notes": data.notes},
            )
    bus.publish(ctx.session, HouseholdChanged(case.household_id))
    ctx.session.commit()
    return case


def _assessed_again(session: Session, case: BenefitCase, assessed: dict[str, Any]) -> None:
    """A re-review that leaves the amount as it was is still an assessment: it is kept on the
    open period, so a replay under other standards sees it from the day it applies."""
    open_period = session.exec(
        select(CaseStatusPeriod).where(
            CaseStatusPeriod.case_id == case.id, col(CaseStatusPeriod.effective_to).is_(None)
        )
    ).first()
    if open_period is not None:
        open_period.assessments = [*(open_period.assessments or []), assessed]


def case_history(session: Session, case_id: int) -> list[CaseStatusPeriod]:
    return list(
        session.exec(
            select(CaseStatusPeriod)
            .where(CaseStatusPeriod.case_id == case_id)
            .order_by(col(CaseStatusPeriod.effective_from), col(CaseStatusPeriod.id))
        )
    )


def list_cases(
    session: Session,
    *,
    status: str | None,
    community: str | None,
    review_due_by: date | None,
    limit: int,
    offset: int,
    office: str | None = None,
) -> tuple[list[BenefitCase], int]:
    """A page of cases and how many match; ``office`` keeps an office to its own."""
    query = select(BenefitCase)
    if office:
        query = query.where(col(BenefitCase.household_id).in_(households_in(office)))
    if status:
        query = query.where(BenefitCase.status == status)
    if review_due_by:
        query = query.where(BenefitCase.next_review_on <= review_due_by)
    if community:
        query = query.join(Household, col(Household.id) == BenefitCase.household_id).where(
            Household.community == community
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(BenefitCase.id)).limit(limit).offset(offset))
    return list(rows), total
