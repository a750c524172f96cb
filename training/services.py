"""Training use cases: providers, courses, enrolments, outcome reports and rates.

Providers see and report only their own courses and trainees: another provider's records
answer as ones that do not exist (404), and a report about them is refused whole (403).
Outcome reports are idempotent by the provider's report id, and a placement publishes
``PlacementReported`` in the same transaction so activation starts the job and its
continuation (report 4 §五4) together with the report, or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, column, func, select, table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from kernel import audit
from kernel.auth import Principal, Role
from kernel.context import ServiceContext
from kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem, missing
from kernel.events import PlacementReported, bus
from kernel.messages import say
from kernel.money import from_fen, to_fen
from kernel.tabular import InputRow, RowProblem, validation_problems
from training import rules
from training.models import Course, Enrolment, OutcomeReport, TrainingProvider
from training.rules import Counts, CourseWindow, Kind, Outcome, Progress
from training.schemas import CourseIn, EnrolmentIn, OutcomeIn, ProviderIn

# Benefits' table, read without importing benefits: by id, and for a provider's own trainees the
# name and ID number it needs to tell them apart (masked where shown).
_member = table("member", column("id"), column("name"), column("national_id"))
LIVE_STATUSES = ("enrolled", "completed", "certified", "placed")  # holding a seat


# --- access -------------------------------------------------------------------------------


def is_provider(actor: Principal) -> bool:
    return actor.role is Role.TRAINING_PROVIDER


def ensure_own_provider(actor: Principal, provider_id: int, missing: Problem) -> None:
    """A provider's token opens only its own records; another provider's answer as ones that do
    not exist (``missing``: 404), so a provider cannot learn what others hold."""
    if is_provider(actor) and actor.provider_id != provider_id:
        raise NotFound(missing)


# --- providers and courses ----------------------------------------------------------------


def get_provider(session: Session, provider_id: int) -> TrainingProvider:
    provider = session.get(TrainingProvider, provider_id)
    if provider is None:
        raise NotFound(missing("provider_id", provider_id))
    return provider


def provider_exists(session: Session, provider_id: int) -> bool:
    return session.get(TrainingProvider, provider_id) is not None


def create_provider(ctx: ServiceContext, data: ProviderIn) -> TrainingProvider:
    taken = ctx.session.exec(
        sm_select(TrainingProvider).where(TrainingProvider.name == data.name)
    ).first()
    if taken is not None:
        raise Conflict(
            Problem("name", "unique", say("a provider named %(name)s exists", name=data.name))
        )
    provider = TrainingProvider(name=data.name, contact=data.contact, created_at=ctx.now)
    ctx.session.add(provider)
    ctx.session.flush()
    assert provider.id is not None
    audit.note(
        ctx,
        entity="training_provider",
        entity_id=provider.id,
        action="created",
        details=data.model_dump(mode="json"),
    )
    ctx.session.commit()
    return provider


def list_providers(session: Session) -> list[TrainingProvider]:
    return list(session.exec(sm_select(TrainingProvider).order_by(col(TrainingProvider.id))))


def get_course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(missing("course_id", course_id))
    return course


def visible_course(ctx: ServiceContext, course_id: int) -> Course:
    course = get_course(ctx.session, course_id)
    ensure_own_provider(ctx.actor, course.provider_id, missing("course_id", course_id))
    return course


def create_course(ctx: ServiceContext, data: CourseIn) -> Course:
    trades = rules.trades_from_policy(ctx.params())
    problems = []
    trade = trades.get(data.trade)
    if trade is None:
        problems.append(
            Problem(
                "trade",
                "known-trade",
                say(
                    "%(trade)s is not one of: %(value)s",
                    trade=repr(data.trade),
                    value=", ".join(trades),
                ),
            )
        )
    if not provider_exists(ctx.session, data.provider_id):
        problems.append(missing("provider_id", data.provider_id))
    if problems:
        raise InvalidInput(problems)
    assert trade is not None
    course = Course(
        **data.model_dump(exclude={"cost_per_trainee", "subsidy_per_trainee", "physical_demand"}),
        physical_demand=data.physical_demand or trade.physical_demand,
        cost_per_trainee_fen=to_fen(data.cost_per_trainee),
        subsidy_per_trainee_fen=to_fen(data.subsidy_per_trainee),
        created_by=ctx.actor.label,
        created_at=ctx.now,
    )
    ctx.session.add(course)
    ctx.session.flush()
    assert course.id is not None
    audit.note(
        ctx,
        entity="course",
        entity_id=course.id,
        action="created",
        parameter_version=ctx.params().version_id,
        details=data.model_dump(mode="json"),
    )
    ctx.session.commit()
    return course


def list_courses(
    ctx: ServiceContext, *, provider_id: int | None, open_on: date | None
) -> list[Course]:
    """All courses for counsellors and officers; a provider's own only for a provider."""
    query = sm_select(Course)
    if is_provider(ctx.actor):
        query = query.where(Course.provider_id == ctx.actor.provider_id)
    if provider_id is not None:
        query = query.where(Course.provider_id == provider_id)
    if open_on is not None:
        query = query.where(Course.starts_on >= open_on)
    return list(ctx.session.exec(query.order_by(col(Course.starts_on), col(Course.id))))


def seats_taken(session: Session, course_ids: Sequence[int]) -> dict[int, int]:
    if not course_ids:
        return {}
    rows = session.execute(
        select(Enrolment.course_id, func.count())
        .where(col(Enrolment.course_id).in_(list(course_ids)))
        .where(col(Enrolment.status).in_(LIVE_STATUSES))
        .group_by(Enrolment.course_id)
    )
    return {course_id: count for course_id, count in rows}


def open_courses(session: Session, today: date) -> list[tuple[Course, int]]:
    """Courses not yet started, with seats left: what activation ranks for a person
    (through matching.rules.rank_courses, which training does not import)."""
    courses = list(
        session.exec(sm_select(Course).where(Course.starts_on >= today).order_by(col(Course.id)))
    )
    taken = seats_taken(session, [c.id for c in courses if c.id is not None])
    return [(c, c.capacity - taken.get(c.id or 0, 0)) for c in courses]


# --- enrolments ---------------------------------------------------------------------------


def enrol(ctx: ServiceContext, course_id: int, data: EnrolmentIn) -> Enrolment:
    """A counsellor or benefit officer puts a person on a course (report 4 §五1)."""
    enrolment = add_enrolment(ctx, course_id, data)
    ctx.session.commit()
    return enrolment


def add_enrolment(ctx: ServiceContext, course_id: int, data: EnrolmentIn) -> Enrolment:
    """Enrol without committing, for a caller whose own change must land with it (activation:
    a person accepting a course offer)."""
    course = get_course(ctx.session, course_id)
    enrolled_on = data.enrolled_on or ctx.today
    problems = []
    if not ctx.session.execute(select(_member.c.id).where(_member.c.id == data.member_id)).first():
        raise NotFound(missing("member_id", data.member_id))
    if enrolled_on > ctx.today:
        problems.append(
            Problem(
                "enrolled_on",
                "not-future",
                say("%(enrolled_on)s is in the future", enrolled_on=enrolled_on),
            )
        )
    if enrolled_on > course.ends_on:
        problems.append(
            Problem(
                "enrolled_on",
                "course-open",
                say("the course ended %(ends_on)s", ends_on=course.ends_on),
            )
        )
    if problems:
        raise InvalidInput(problems)
    existing = ctx.session.exec(
        sm_select(Enrolment).where(
            Enrolment.course_id == course_id, Enrolment.member_id == data.member_id
        )
    ).first()
    if existing is not None:
        raise Conflict(Problem("member_id", "once", "the person is already on this course"))
    if seats_taken(ctx.session, [course_id]).get(course_id, 0) >= course.capacity:
        raise Conflict(
            Problem(
                "course_id",
                "seats",
                say("all %(capacity)s seats are taken", capacity=course.capacity),
            )
        )
    enrolment = Enrolment(
        course_id=course_id,
        member_id=data.member_id,
        status="enrolled",
        enrolled_on=enrolled_on,
        enrolled_by=ctx.actor.label,
        updated_at=ctx.now,
    )
    ctx.session.add(enrolment)
    ctx.session.flush()
    assert enrolment.id is not None
    audit.note(
        ctx,
        entity="enrolment",
        entity_id=enrolment.id,
        action="enrolled",
        details={"course_id": course_id, "member_id": data.member_id, "on": str(enrolled_on)},
    )
    return enrolment


TRAINEE_NAME = _member.c.name  # what a list of trainees sorts names by


def trainees_query(course_id: int, status: str | None = None) -> Select[Any]:
    """The course's enrolments with each trainee's name and ID number, as a query a list pages,
    sorts and exports (``kernel.listing``); ``status`` keeps one state. Callers check the course
    is the actor's first (``visible_course``)."""
    query = (
        select(Enrolment, _member.c.name, _member.c.national_id)
        .join(_member, _member.c.id == Enrolment.member_id)
        .where(Enrolment.course_id == course_id)
    )
    if status is not None:
        query = query.where(Enrolment.status == status)
    return query


def status_counts(session: Session, course_id: int) -> dict[str, int]:
    """How many of the course's trainees stand in each state (the list's filter shows them)."""
    rows = session.execute(
        select(Enrolment.status, func.count())
        .where(Enrolment.course_id == course_id)
        .group_by(Enrolment.status)
    )
    return {status: count for status, count in rows}


@dataclass(frozen=True)
class Trainee:
    course: Course
    enrolment: Enrolment
    name: str
    national_id: str


def visible_trainee(ctx: ServiceContext, course_id: int, member_id: int) -> Trainee:
    """A trainee on a course the actor may see; anyone else answers as nobody (404)."""
    course = visible_course(ctx, course_id)
    found = ctx.session.execute(
        trainees_query(course_id).where(Enrolment.member_id == member_id)
    ).first()
    if found is None:
        raise NotFound(missing("member_id", member_id))
    enrolment, name, national_id = found
    return Trainee(course, enrolment, name, national_id)


def reports_about(session: Session, enrolment_id: int) -> list[OutcomeReport]:
    """The reports received about one trainee, in the order they arrived."""
    return list(
        session.exec(
            sm_select(OutcomeReport)
            .where(OutcomeReport.enrolment_id == enrolment_id)
            .order_by(col(OutcomeReport.received_at), col(OutcomeReport.id))
        )
    )


def list_enrolments(session: Session, course_id: int) -> list[Enrolment]:
    return list(
        session.exec(
            sm_select(Enrolment).where(Enrolment.course_id == course_id).order_by(col(Enrolment.id))
        )
    )


# --- outcome reports ----------------------------------------------------------------------


@dataclass
class RowResult:
    row: int
    report_id: str | None
    status: str  # accepted | replayed | rejected
    enrolment_id: int | None = None
    enrolment_status: str | None = None
    problems: list[RowProblem] = field(default_factory=list)


@dataclass
class BatchResult:
    results: list[RowResult]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


@dataclass
class _Accepted:
    result: RowResult
    report: OutcomeIn
    payload: dict[str, Any]
    digest: str
    enrolment: Enrolment


def _fingerprint(report: OutcomeIn) -> tuple[dict[str, Any], str]:
    payload = report.model_dump(mode="json")
    digest = hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return payload, digest


def _progress(enrolment: Enrolment) -> Progress:
    return Progress(
        enrolled_on=enrolment.enrolled_on,
        sessions_attended=enrolment.sessions_attended,
        dropped_on=enrolment.dropped_on,
        completed_on=enrolment.completed_on,
        certified_on=enrolment.certified_on,
        placed_on=enrolment.placed_on,
    )


def _outcome(report: OutcomeIn) -> Outcome:
    return Outcome(
        kind=Kind(report.kind),
        on=report.on,
        sessions_attended=report.sessions_attended,
        reason=report.reason,
        certificate_no=report.certificate_no,
        employer=report.employer,
        occupation=report.occupation,
        monthly_income=report.monthly_income,
        hours_per_week=report.hours_per_week,
    )


def _authorise(
    ctx: ServiceContext, parsed: list[tuple[int, OutcomeIn]], prefix: str
) -> dict[tuple[int, int], tuple[Course, Enrolment]]:
    """Every report must be about a trainee on one of the caller's own courses; a single
    report about anyone else makes the whole request Forbidden (nothing is written)."""
    course_ids = {r.course_id for _, r in parsed}
    member_ids = {r.member_id for _, r in parsed}
    courses = {
        c.id: c for c in ctx.session.exec(sm_select(Course).where(col(Course.id).in_(course_ids)))
    }
    enrolments = {
        (e.course_id, e.member_id): e
        for e in ctx.session.exec(
            sm_select(Enrolment).where(
                col(Enrolment.course_id).in_(course_ids),
                col(Enrolment.member_id).in_(member_ids),
            )
        )
    }
    problems = []
    found: dict[tuple[int, int], tuple[Course, Enrolment]] = {}
    for row, report in parsed:
        course = courses.get(report.course_id)
        if course is None or course.provider_id != ctx.actor.provider_id:
            problems.append(
                Problem(
                    f"{prefix}.{row}.course_id",
                    "own-course",
                    say(
                        "course %(course_id)s is not one of this provider's courses",
                        course_id=report.course_id,
                    ),
                )
            )
            continue
        enrolment = enrolments.get((report.course_id, report.member_id))
        if enrolment is None:
            problems.append(
                Problem(
                    f"{prefix}.{row}.member_id",
                    "own-trainee",
                    say(
                        "member %(member_id)s is not a trainee on course %(course_id)s",
                        member_id=report.member_id,
                        course_id=report.course_id,
                    ),
                )
            )
            continue
        found[(report.course_id, report.member_id)] = (course, enrolment)
    if problems:
        raise Forbidden(problems, title="A report is about someone else's course or trainee")
    return found


def report_outcomes(
    ctx: ServiceContext, rows: Sequence[InputRow], *, all_or_nothing: bool, prefix: str
) -> BatchResult:
    """Accept a provider's outcome reports (JSON batch or CSV rows).

    Rows are checked in order against the trainee's progress so far, including earlier rows of
    the same batch (completed then certified in one file works). A known report id with the
    same content is a replay and returns the first result; with other content it is a
    conflict. Good rows are written and bad rows returned with their problems, unless
    ``all_or_nothing`` — then any bad row rejects the whole batch. A request that writes
    nothing gets a 4xx (409 when a report id was reused with other content).
    """
    results: list[RowResult] = []
    parsed: list[tuple[int, OutcomeIn]] = []
    for item in rows:
        if item.problem is not None:
            results.append(RowResult(item.row, None, "rejected", problems=[item.problem]))
            continue
        try:
            parsed.append((item.row, OutcomeIn.model_validate(item.values)))
        except ValidationError as exc:
            report_id = item.values.get("report_id")
            results.append(
                RowResult(
                    item.row,
                    report_id if isinstance(report_id, str) else None,
                    "rejected",
                    problems=validation_problems(item.row, exc),
                )
            )
    found = _authorise(ctx, parsed, prefix)
    provider_id = ctx.actor.provider_id
    stored = {
        r.report_id: r
        for r in ctx.session.exec(
            sm_select(OutcomeReport).where(
                OutcomeReport.provider_id == provider_id,
                col(OutcomeReport.report_id).in_([r.report_id for _, r in parsed]),
            )
        )
    }
    progress: dict[int, Progress] = {}
    in_batch: dict[str, tuple[str, RowResult]] = {}
    accepted: list[_Accepted] = []
    for row, report in parsed:
        course, enrolment = found[(report.course_id, report.member_id)]
        assert enrolment.id is not None
        payload, digest = _fingerprint(report)
        first: tuple[str, dict[str, Any]] | None = None  # (digest, result) of the first copy
        if (earlier := stored.get(report.report_id)) is not None:
            first = (earlier.payload_hash, earlier.result)
        elif report.report_id in in_batch:
            first_digest, first_result = in_batch[report.report_id]
            first = (first_digest, first_result.__dict__)
        if first is not None:
            if first[0] == digest and first[1].get("status") == "accepted":
                results.append(
                    RowResult(
                        row,
                        report.report_id,
                        "replayed",
                        enrolment_id=first[1].get("enrolment_id"),
                        enrolment_status=first[1].get("enrolment_status"),
                    )
                )
                continue
            if first[0] != digest:
                results.append(
                    RowResult(
                        row,
                        report.report_id,
                        "rejected",
                        problems=[
                            RowProblem(
                                row,
                                "report_id",
                                "idempotency-conflict",
                                f"report {report.report_id} was already received with "
                                "different content",
                            )
                        ],
                    )
                )
                continue
        current = progress.get(enrolment.id) or _progress(enrolment)
        window = CourseWindow(course.starts_on, course.ends_on, course.sessions_total)
        outcome = _outcome(report)
        problems = rules.check_outcome(current, window, outcome, ctx.today)
        if problems:
            result = RowResult(
                row,
                report.report_id,
                "rejected",
                problems=[RowProblem(row, p.field, p.rule, p.message) for p in problems],
            )
        else:
            progress[enrolment.id] = rules.apply_outcome(current, outcome)
            result = RowResult(
                row,
                report.report_id,
                "accepted",
                enrolment_id=enrolment.id,
                enrolment_status=progress[enrolment.id].status,
            )
            accepted.append(_Accepted(result, report, payload, digest, enrolment))
        results.append(result)
        in_batch.setdefault(report.report_id, (digest, result))
    results.sort(key=lambda r: r.row)
    batch = BatchResult(results)
    rejected = [p for r in results for p in r.problems]
    if rejected and (all_or_nothing or not (accepted or batch.count("replayed"))):
        problems = [p.as_problem(prefix) for p in rejected]
        if any(p.rule == "idempotency-conflict" for p in rejected):
            raise Conflict(problems, title="A report id was reused with different content")
        raise InvalidInput(problems, title="Outcome reports with problems; nothing was written")
    _write(ctx, accepted)
    return batch


def _write(ctx: ServiceContext, accepted: list[_Accepted]) -> None:
    if not accepted:
        return
    provider_id = ctx.actor.provider_id
    assert provider_id is not None
    for item in accepted:
        report, enrolment = item.report, item.enrolment
        _apply_to_row(enrolment, report)
        enrolment.status = item.result.enrolment_status or enrolment.status
        enrolment.updated_at = ctx.now
        ctx.session.add(
            OutcomeReport(
                provider_id=provider_id,
                report_id=report.report_id,
                enrolment_id=enrolment.id or 0,
                kind=report.kind,
                payload=item.payload,
                payload_hash=item.digest,
                result={
                    "status": "accepted",
                    "enrolment_id": enrolment.id,
                    "enrolment_status": item.result.enrolment_status,
                },
                received_at=ctx.now,
                actor=ctx.actor.label,
            )
        )
        if report.kind == Kind.PLACED:
            ctx.session.flush()
            assert report.employer and report.occupation and report.monthly_income is not None
            bus.publish(
                ctx.session,
                PlacementReported(
                    member_id=report.member_id,
                    provider_id=provider_id,
                    course_id=report.course_id,
                    report_id=report.report_id,
                    employer=report.employer,
                    occupation=report.occupation,
                    start_date=report.on,
                    monthly_income=report.monthly_income,
                    hours_per_week=report.hours_per_week,
                ),
            )
    audit.note(
        ctx,
        entity="outcome_report",
        entity_id=f"provider:{provider_id}",
        action="received",
        details={"reports": [a.report.report_id for a in accepted]},
    )
    try:
        ctx.session.commit()
    except IntegrityError as exc:  # the same report id arrived concurrently
        ctx.session.rollback()
        raise Conflict(
            Problem("report_id", "idempotency-conflict", "a report id arrived twice at once")
        ) from exc


def _apply_to_row(enrolment: Enrolment, report: OutcomeIn) -> None:
    match report.kind:
        case Kind.ENROLLED:
            enrolment.enrolled_on = report.on
        case Kind.ATTENDED:
            enrolment.sessions_attended = report.sessions_attended or 0
        case Kind.DROPPED:
            enrolment.dropped_on, enrolment.drop_reason = report.on, report.reason
        case Kind.COMPLETED:
            enrolment.completed_on = report.on
        case Kind.CERTIFIED:
            enrolment.certified_on, enrolment.certificate_no = report.on, report.certificate_no
        case Kind.PLACED:
            enrolment.placed_on = report.on
            enrolment.employer, enrolment.occupation = report.employer, report.occupation
            enrolment.monthly_income_fen = to_fen(report.monthly_income or Decimal(0))
            enrolment.hours_per_week = report.hours_per_week


# --- rates --------------------------------------------------------------------------------


def counts_by_course(session: Session, course_ids: Sequence[int]) -> dict[int, Counts]:
    """One grouped query for any number of courses (set-based, ARCHITECTURE.md)."""
    if not course_ids:
        return {}
    rows = session.execute(
        select(
            Enrolment.course_id,
            func.count(),
            func.count(Enrolment.dropped_on),
            func.count(Enrolment.completed_on),
            func.count(Enrolment.certified_on),
            func.count(Enrolment.placed_on),
        )
        .where(col(Enrolment.course_id).in_(list(course_ids)))
        .group_by(Enrolment.course_id)
    )
    return {row[0]: Counts(*row[1:]) for row in rows}


@dataclass(frozen=True)
class CourseReport:
    course: Course
    rates: rules.Rates
    subsidy: rules.Subsidy
    ended: bool


def course_reports(ctx: ServiceContext, courses: Sequence[Course]) -> list[CourseReport]:
    params = ctx.params()
    counts = counts_by_course(ctx.session, [c.id for c in courses if c.id is not None])
    out = []
    for course in courses:
        course_rates = rules.rates(counts.get(course.id or 0, Counts()), params)
        out.append(
            CourseReport(
                course=course,
                rates=course_rates,
                subsidy=rules.subsidy(
                    from_fen(course.subsidy_per_trainee_fen), course_rates, params
                ),
                ended=course.ends_on < ctx.today,
            )
        )
    return out


def provider_courses(session: Session, provider_id: int) -> list[Course]:
    return list(
        session.exec(
            sm_select(Course).where(Course.provider_id == provider_id).order_by(col(Course.id))
        )
    )
