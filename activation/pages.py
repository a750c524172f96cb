"""The counsellor's workbench and the sanction desk, as pages over activation's use cases.

Handlers are thin: read the form into the API's schema, call the same use case the API calls,
then show the page again (with every problem listed) or move on to the next page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Response, Template
from sqlmodel import col, select

from activation import appointments, contacts, services, views, worklist
from activation.employment_file import employment_file
from activation.models import Referral, Sanction
from activation.schemas import (
    AnswerIn,
    AppointmentIn,
    ContactNoteIn,
    GoodReasonDecisionIn,
    JobEndIn,
    JobStartIn,
    ReferralIn,
    RegistrationIn,
    SanctionDecisionIn,
    VulnerabilityReviewIn,
)
from activation.sms_history import sms_history
from benefits import services as benefit_services
from benefits.models import Household, Member
from benefits.offices import communities_in, households_in
from kernel.auth import Role, requires
from kernel.errors import InvalidInput, NotFound, Problem, missing
from kernel.listing import Column, Listing, one_of, query_of
from kernel.messages import N_, code_text, say
from kernel.national_id import mask
from kernel.pages import (
    attempt,
    checked,
    decimal_or_none,
    parse,
    render,
    see_other,
    translator,
    value,
    values,
    words,
)
from kernel.visibility import Access, office_of
from kernel.web import Ctx, PathId, get, post

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
COUNSELLOR = requires(Role.COUNSELLOR)
OFFICER = requires(Role.BENEFIT_OFFICER)
STAFF = requires(Role.COUNSELLOR, Role.BENEFIT_OFFICER)
# An admin reads a sanction from the oversight page's alerts (the cases behind them), and
# decides nothing on it: the review and the decision stay the officers'.
OFFICER_OR_ADMIN = requires(Role.BENEFIT_OFFICER, Role.ADMIN)


GOOD_REASONS = [
    "illness",
    "caring",
    "transport",
    "unsuitable_in_fact",
    "hours_conflict",
    "wage_below_stated",
    "discrimination",
    "other",
]
END_REASONS = [
    "contract_ended",
    "laid_off",
    "quit",
    "health",
    "dismissed_misconduct",
    "employer_closed",
    "other",
]
FACTORS = [
    "children_at_risk",
    "mental_health",
    "disability",
    "debt",
    "homelessness",
    "domestic_violence",
    "other",
]


# --- today and search --------------------------------------------------------------------


TODAY: Listing[worklist.Due] = Listing(
    "today",
    N_("Today"),
    [
        Column("due_on", N_("Due"), lambda d: d.due_on, order=lambda d: d.due_on),
        Column("kind", N_("What"), lambda d: d.kind, order=lambda d: d.kind, code=True),
        Column("detail", N_("Details"), lambda d: _detail_words(d)),
        Column("name", N_("Person"), lambda d: d.name, order=lambda d: d.name),
        Column("community", N_("Community"), lambda d: d.community, order=lambda d: d.community),
    ],
    sort="due_on",
    filters=("kind", "community"),
)


def _detail_words(due: worklist.Due) -> Any:
    if due.kind == "task" and due.detail:
        return code_text(f"task:{due.detail}")
    return due.detail


@get("/today", access=Access.OFFICE_LIST, guards=[COUNSELLOR])
def today(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    """Everything the office has to act on, oldest deadline first, a page at a time; by kind
    and community, sortable, and exportable as the day's list."""
    asked = TODAY.ask(query_of(request))
    due = worklist.due_today(ctx.session, ctx.actor, ctx.today)
    kinds = sorted({d.kind for d in due})
    communities = sorted({d.community for d in due})
    kind, community = asked.filters.get("kind"), asked.filters.get("community")
    one_of(kind, worklist.DUE_KINDS, "kind")
    office_communities = [c for c, _ in communities_in(ctx.session, office_of(ctx.actor))]
    one_of(community, [*communities, *office_communities], "community")
    shown = [
        d
        for d in due
        if (not kind or d.kind == kind) and (not community or d.community == community)
    ]
    if asked.format:
        return TODAY.export(TODAY.all_of_rows(shown, asked), asked, translator(request).gettext)
    return render(
        request,
        "activation/today.html",
        page=TODAY.page_of_rows(shown, asked),
        today=ctx.today,
        kinds=kinds,
        kind=kind,
        communities=communities,
        community=community,
    )


PEOPLE: Listing[Any] = Listing(
    "people",
    N_("People"),
    [
        Column("name", N_("Name"), lambda r: r[0].name, col(Member.name)),
        Column("national_id", N_("ID number"), lambda r: mask(r[0].national_id)),
        Column("phone", N_("Phone"), lambda r: r[0].phone or ""),
        Column("relation", N_("Relation"), lambda r: r[0].relation, col(Member.relation), True),
        Column("community", N_("Community"), lambda r: r[1].community, col(Household.community)),
        Column("township", N_("Township"), lambda r: r[1].township, col(Household.township)),
    ],
    sort="name",
    filters=("q", "community"),
    tiebreak=col(Member.id),
)


@get("/people", access=Access.OFFICE_LIST, guards=[STAFF])
def search(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    """The office's people, found by name, phone or ID, a page at a time and exportable
    (issue 12: search stopped at 50 without a word)."""
    asked = PEOPLE.ask(query_of(request))
    q = asked.filters.get("q", "")
    community = asked.filters.get("community")
    communities = communities_in(ctx.session, office_of(ctx.actor))
    one_of(community, [c for c, _ in communities], "community")
    query = worklist.people_query(ctx.actor, q, community)
    if asked.format:
        rows = PEOPLE.all_of_query(ctx.session, query, asked)
        return PEOPLE.export(rows, asked, translator(request).gettext)
    page = PEOPLE.page_of_query(ctx.session, query, asked)
    if worklist.is_national_id(q):
        # One person: nothing to sort, and the table's links do not repeat the full ID.
        page = replace(page, columns={})
    return render(
        request,
        "activation/search.html",
        q=q,
        page=page,
        community=community,
        communities=communities,
        searched=bool(q.strip() or community),
    )


# --- the person page ---------------------------------------------------------------------


def _person_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    member_id: int,
    *,
    problems: list[Problem] | None = None,
    form_name: str | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    member, household = worklist.visible_member(ctx.session, ctx.actor, member_id)
    person = views.person_out(ctx, member)
    jobs = [views.job_out(ctx, j) for j in worklist.jobs_of(ctx.session, member_id)]
    # Someone in work is not matched or referred (issue 12: the buttons stayed for a person who
    # had just started a job); the matches come back when the job's end is recorded.
    in_work = next((j for j in jobs if j.ends_on is None), None)
    texts = sms_history(ctx.session, member.phone, ctx.now)
    matches: list[Any] = []
    courses: list[Any] = []
    if person.registration is not None and in_work is None:
        from matching import services as matching
        from matching import views as matching_views

        found, vacancies = matching.matches_for_seeker(ctx, member_id, 8)
        matches = [matching_views.match_out(m, vacancies[m.vacancy_id]) for m in found]
        courses = services.course_matches(ctx, member_id, 4)
    case = benefit_services.current_case(ctx.session, household.id or 0)
    return render(
        request,
        "activation/person.html",
        status=422 if problems else 200,
        member=member,
        household=household,
        case=case,
        person=person,
        matches=matches,
        courses=courses,
        referred=worklist.referred_vacancies(ctx.session, member_id),
        jobs=jobs,
        in_work=in_work,
        members=benefit_services.members_of(ctx.session, household.id or 0),
        notes=contacts.notes_of(ctx, member_id),
        appointments=appointments.appointments_of(ctx, member_id),
        contact_kinds=contacts.KINDS,
        notes_shown=contacts.SHOWN,
        sms=texts,
        reminders={t.id: t for t in texts.sent},
        now=ctx.now,
        file=employment_file(ctx, member),
        problems=problems or [],
        form_name=form_name,
        form=form or {},
        good_reasons=GOOD_REASONS,
        end_reasons=END_REASONS,
        today=ctx.today,
        can_act=ctx.actor.role is Role.COUNSELLOR,
    )


@get("/people/{member_id:int}", access=Access.PERSON, guards=[STAFF])
def person(request: Request[Any, Any, Any], ctx: Ctx, member_id: PathId) -> Template:
    return _person_page(request, ctx, member_id)


def _after(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    member_id: int,
    form_name: str,
    data: dict[str, Any],
    action: Any,
    anchor: str,
) -> Any:
    _, problems = attempt(ctx.session, action)
    if problems:
        return _person_page(
            request, ctx, member_id, problems=problems, form_name=form_name, form=data
        )
    return see_other(f"/app/people/{member_id}#{anchor}")


@post("/people/{member_id:int}/registration", access=Access.PERSON, guards=[COUNSELLOR])
def register(request: Request[Any, Any, Any], ctx: Ctx, member_id: PathId, data: Form) -> Any:
    worklist.visible_member(ctx.session, ctx.actor, member_id)

    def act() -> Any:
        body = parse(
            RegistrationIn,
            {
                "office": value(data, "office"),
                "desired_occupations": words(data, "desired_occupations"),
                "skills": words(data, "skills"),
                "hours_per_week": value(data, "hours_per_week"),
                "shifts": values(data, "shifts"),
                "max_commute_km": value(data, "max_commute_km"),
                "physical_limit": value(data, "physical_limit") or "none",
                "childcare": checked(data, "childcare"),
                "accepts_outside_county": checked(data, "accepts_outside_county"),
                "reservation_wage": decimal_or_none(value(data, "reservation_wage")) or "0",
            },
        )
        return services.register(ctx, member_id, body)

    return _after(request, ctx, member_id, "registration", data, act, "registration")


@post("/people/{member_id:int}/referrals", access=Access.PERSON, guards=[COUNSELLOR])
def refer(request: Request[Any, Any, Any], ctx: Ctx, member_id: PathId, data: Form) -> Any:
    """One click from a match: the referral use case stores the suitability check and gives
    the offer code (the SMS that carries it comes with the notifications context)."""
    worklist.visible_member(ctx.session, ctx.actor, member_id)
    body = {
        "member_id": member_id,
        "vacancy_id": value(data, "vacancy_id"),
        "course_id": value(data, "course_id"),
        "channel": value(data, "channel") or "in_person",
    }
    referral, problems = attempt(ctx.session, lambda: services.refer(ctx, parse(ReferralIn, body)))
    if request.headers.get("hx-request"):
        return render(
            request,
            "activation/_referred.html",
            status=422 if problems else 200,
            referral=referral,
            problems=problems,
            member_id=member_id,
        )
    if problems:
        return _person_page(
            request, ctx, member_id, problems=problems, form_name="referral", form=data
        )
    return see_other(f"/app/people/{member_id}#referral-{referral.id}")


def _referral_member(ctx: Ctx, referral_id: PathId) -> int:
    referral = ctx.session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(missing("referral_id", referral_id))
    worklist.visible_member(ctx.session, ctx.actor, referral.member_id)
    return referral.member_id


@post("/referrals/{referral_id:int}/answer", access=Access.PERSON, guards=[COUNSELLOR])
def answer(request: Request[Any, Any, Any], ctx: Ctx, referral_id: PathId, data: Form) -> Any:
    member_id = _referral_member(ctx, referral_id)
    body = {"answer": value(data, "answer"), "reason": value(data, "reason") or ""}
    return _after(
        request,
        ctx,
        member_id,
        f"answer-{referral_id}",
        data,
        lambda: services.answer(ctx, referral_id, parse(AnswerIn, body)),
        f"referral-{referral_id}",
    )


@post("/referrals/{referral_id:int}/good-reason", access=Access.PERSON, guards=[STAFF])
def good_reason(request: Request[Any, Any, Any], ctx: Ctx, referral_id: PathId, data: Form) -> Any:
    member_id = _referral_member(ctx, referral_id)
    verdict = value(data, "verdict")
    if verdict not in ("good_reason", "doubt", "none"):  # never a refusal by default
        problem = Problem(
            "verdict", "verdict-chosen", "choose whether the person had a good reason"
        )
        return _person_page(
            request,
            ctx,
            member_id,
            problems=[problem],
            form_name=f"review-{referral_id}",
            form=data,
        )
    body = {
        "good_reason": verdict == "good_reason",
        "doubt": verdict == "doubt",
        "reason_code": value(data, "reason_code") if verdict == "good_reason" else "none",
        "notes": value(data, "notes") or "",
    }
    if verdict == "doubt":
        body["reason_code"] = "other"
    return _after(
        request,
        ctx,
        member_id,
        f"review-{referral_id}",
        data,
        lambda: services.decide_good_reason(ctx, referral_id, parse(GoodReasonDecisionIn, body)),
        f"referral-{referral_id}",
    )


@post("/people/{member_id:int}/jobs", access=Access.PERSON, guards=[COUNSELLOR])
def start_job(request: Request[Any, Any, Any], ctx: Ctx, member_id: PathId, data: Form) -> Any:
    worklist.visible_member(ctx.session, ctx.actor, member_id)
    body = {
        "member_id": member_id,
        "employer": value(data, "employer"),
        "occupation": value(data, "occupation"),
        "starts_on": value(data, "starts_on"),
        "monthly_income": decimal_or_none(value(data, "monthly_income")),
        "hours_per_week": value(data, "hours_per_week"),
    }
    return _after(
        request,
        ctx,
        member_id,
        "job-start",
        data,
        lambda: services.start_job(ctx, parse(JobStartIn, body)),
        "jobs",
    )


@post("/people/{member_id:int}/notes", access=Access.PERSON, guards=[STAFF])
def add_note(request: Request[Any, Any, Any], ctx: Ctx, member_id: PathId, data: Form) -> Any:
    """A contact or a case note, dated the day it happened (often days before it is typed)."""
    worklist.visible_member(ctx.session, ctx.actor, member_id)
    body = {"kind": value(data, "kind"), "on": value(data, "on"), "text": value(data, "text")}
    return _after(
        request,
        ctx,
        member_id,
        "note",
        data,
        lambda: contacts.add_note(ctx, member_id, parse(ContactNoteIn, body)),
        "contacts",
    )


@post("/people/{member_id:int}/appointments", access=Access.PERSON, guards=[STAFF])
def book_appointment(
    request: Request[Any, Any, Any], ctx: Ctx, member_id: PathId, data: Form
) -> Any:
    worklist.visible_member(ctx.session, ctx.actor, member_id)
    body = {
        "on": value(data, "on"),
        "time": value(data, "time"),
        "place": value(data, "place"),
        "purpose": value(data, "purpose") or "",
        "remind": checked(data, "remind"),
    }
    return _after(
        request,
        ctx,
        member_id,
        "appointment",
        data,
        lambda: appointments.book(ctx, member_id, parse(AppointmentIn, body)),
        "appointments",
    )


@post("/appointments/{appointment_id:int}/close", access=Access.PERSON, guards=[STAFF])
def close_appointment(
    request: Request[Any, Any, Any], ctx: Ctx, appointment_id: PathId, data: Form
) -> Any:
    appointment = appointments.get(ctx, appointment_id)
    outcome = value(data, "outcome")
    if outcome not in ("attended", "missed", "cancelled"):
        raise InvalidInput(Problem("outcome", "outcome-chosen", say("choose what happened")))
    return _after(
        request,
        ctx,
        appointment.member_id,
        f"appointment-{appointment_id}",
        data,
        lambda: appointments.close(ctx, appointment_id, outcome),
        "appointments",
    )


@post("/jobs/{job_id:int}/end", access=Access.PERSON, guards=[COUNSELLOR])
def end_job(request: Request[Any, Any, Any], ctx: Ctx, job_id: PathId, data: Form) -> Any:
    job = services.get_job(ctx, job_id)
    worklist.visible_member(ctx.session, ctx.actor, job.member_id)
    body = {
        "ended_on": value(data, "ended_on"),
        "reason": value(data, "reason"),
        "declared_changes": value(data, "declared_changes") or "",
    }
    return _after(
        request,
        ctx,
        job.member_id,
        f"job-end-{job_id}",
        data,
        lambda: services.end_job(ctx, job_id, parse(JobEndIn, body)),
        "jobs",
    )


# --- the sanction desk -------------------------------------------------------------------


DECIDED_STATES = ("confirmed", "active", "ended", "rejected", "cancelled", "overturned")
DECIDED: Listing[Any] = Listing(
    "sanctions",
    N_("Decided sanctions"),
    [
        Column("id", N_("No."), lambda r: r[0].id, col(Sanction.id)),
        Column(
            "proposed_on",
            N_("Proposed"),
            lambda r: r[0].proposed_on,
            col(Sanction.proposed_on),
        ),
        Column("person", N_("Person"), lambda r: r[1].name, col(Member.name)),
        Column("national_id", N_("ID number"), lambda r: mask(r[1].national_id)),
        Column("community", N_("Community"), lambda r: r[2].community, col(Household.community)),
        Column("state", N_("State"), lambda r: r[0].state, col(Sanction.state), True),
        Column("confirmed_by", N_("Confirmed by"), lambda r: r[0].confirmed_by or ""),
        Column(
            "starts_on",
            N_("Starts"),
            lambda r: r[0].started_on or _day((r[0].terms or {}).get("starts_on")),
            col(Sanction.started_on),
        ),
        Column("ended_on", N_("Ended"), lambda r: r[0].ended_on, col(Sanction.ended_on)),
    ],
    sort="proposed_on",
    descending=True,
    filters=("state", "community"),
    tiebreak=col(Sanction.id),
)


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _sanctions_with_people(ctx: Ctx) -> Any:
    query = (
        select(Sanction, Member, Household)
        .join(Member, col(Member.id) == Sanction.member_id)
        .join(Household, col(Household.id) == Member.household_id)
    )
    if office := office_of(ctx.actor):
        query = query.where(col(Household.id).in_(households_in(office)))
    return query


@get("/sanctions", access=Access.OFFICE_LIST, guards=[OFFICER])
def sanction_queue(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    """Proposals waiting for a decision (the day's work, shown whole), and the decided ones a
    page at a time, filtered and exportable."""
    asked = DECIDED.ask(query_of(request))
    state = asked.filters.get("state")
    community = asked.filters.get("community")
    communities = communities_in(ctx.session, office_of(ctx.actor))
    one_of(state, DECIDED_STATES, "state")
    one_of(community, [c for c, _ in communities], "community")
    decided = _sanctions_with_people(ctx).where(col(Sanction.state).in_(DECIDED_STATES))
    if state:
        decided = decided.where(Sanction.state == state)
    if community:
        decided = decided.where(Household.community == community)
    if asked.format:
        rows = DECIDED.all_of_query(ctx.session, decided, asked)
        return DECIDED.export(rows, asked, translator(request).gettext)
    proposed = ctx.session.exec(
        _sanctions_with_people(ctx)
        .where(Sanction.state == "proposed")
        .order_by(col(Sanction.proposed_on), col(Sanction.id))
    ).all()
    return render(
        request,
        "activation/sanctions.html",
        proposed=proposed,
        page=DECIDED.page_of_query(ctx.session, decided, asked),
        state=state,
        states=DECIDED_STATES,
        community=community,
        communities=communities,
    )


def _sanction_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    sanction_id: int,
    problems: list[Problem] | None = None,
    form_name: str | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    sanction = views.sanction_out(ctx, services.get_sanction(ctx, sanction_id))
    member, household = worklist.visible_member(ctx.session, ctx.actor, sanction.member_id)
    referrals = views.referrals_out(ctx, views.referrals_by_id(ctx, sanction.referral_ids))
    person = views.person_out(ctx, member)
    case = benefit_services.current_case(ctx.session, household.id or 0)
    return render(
        request,
        "activation/sanction.html",
        status=422 if problems else 200,
        sanction=sanction,
        member=member,
        household=household,
        members=benefit_services.members_of(ctx.session, household.id or 0),
        referrals=referrals,
        warnings=person.warnings,
        case=case,
        factors=FACTORS,
        may_decide=ctx.actor.role is Role.BENEFIT_OFFICER,
        problems=problems or [],
        form_name=form_name,
        form=form or {},
        me=ctx.actor.label,
    )


@get("/sanctions/{sanction_id:int}", access=Access.PERSON, guards=[OFFICER_OR_ADMIN])
def sanction(request: Request[Any, Any, Any], ctx: Ctx, sanction_id: PathId) -> Template:
    return _sanction_page(request, ctx, sanction_id)


@post("/sanctions/{sanction_id:int}/review", access=Access.PERSON, guards=[OFFICER])
def review(request: Request[Any, Any, Any], ctx: Ctx, sanction_id: PathId, data: Form) -> Any:
    body = {
        "proceed": value(data, "proceed") == "yes",
        "factors": values(data, "factors"),
        "findings": value(data, "findings") or "",
    }
    _, problems = attempt(
        ctx.session,
        lambda: services.review_vulnerability(ctx, sanction_id, parse(VulnerabilityReviewIn, body)),
    )
    if problems:
        return _sanction_page(request, ctx, sanction_id, problems, "review", data)
    return see_other(f"/app/sanctions/{sanction_id}")


@post("/sanctions/{sanction_id:int}/decision", access=Access.PERSON, guards=[OFFICER])
def decide(request: Request[Any, Any, Any], ctx: Ctx, sanction_id: PathId, data: Form) -> Any:
    body = {
        "confirm": value(data, "confirm") == "yes",
        "reason": value(data, "reason") or "",
        "despite_vulnerability": value(data, "despite_vulnerability"),
        "decided_on": value(data, "decided_on") or None,
    }
    _, problems = attempt(
        ctx.session,
        lambda: services.decide_sanction(ctx, sanction_id, parse(SanctionDecisionIn, body)),
    )
    if problems:
        return _sanction_page(request, ctx, sanction_id, problems, "decision", data)
    return see_other(f"/app/sanctions/{sanction_id}")


@get("/sanctions/{sanction_id:int}/notice", access=Access.PERSON, guards=[STAFF])
def notice(request: Request[Any, Any, Any], ctx: Ctx, sanction_id: PathId) -> Template:
    """The written notice, laid out to print: facts, rule and version, effect, start, the way
    back and the appeal deadline, in the reader's language from the stored terms."""
    sanction = views.sanction_out(ctx, services.get_sanction(ctx, sanction_id))
    if sanction.notice is None or sanction.terms is None:
        raise NotFound(Problem("sanction_id", "notice", "this sanction has no notice yet"))
    member, household = worklist.visible_member(ctx.session, ctx.actor, sanction.member_id)
    referrals = views.referrals_out(ctx, views.referrals_by_id(ctx, sanction.referral_ids))
    return render(
        request,
        "activation/notice.html",
        sanction=sanction,
        terms=sanction.terms,
        notice=sanction.notice,
        member=member,
        household=household,
        referrals=referrals,
    )


HANDLERS = [
    today,
    search,
    person,
    register,
    refer,
    answer,
    good_reason,
    start_job,
    add_note,
    book_appointment,
    close_appointment,
    end_job,
    sanction_queue,
    sanction,
    review,
    decide,
    notice,
]
