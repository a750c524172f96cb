"""A training provider's pages: its courses and their outcome rates against the review and
reward lines (report 4 §五1), each course's trainees, and the outcome reports that move those
rates — one at a time from a form, or many from a CSV file.

Handlers are thin: they read a form into the API's schema and call the same use cases the API
calls (``training.services``), so a report from a page and one from the provider's own system
are checked, written and counted alike. A provider sees only its own courses and trainees;
another provider's answer as ones that do not exist (404), as in the API.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Annotated, Any

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlmodel import col

from kernel.auth import Role, requires
from kernel.errors import DomainError, Problem
from kernel.listing import Column, Listing, attachment, csv_bytes, one_of, query_of
from kernel.messages import N_, say
from kernel.money import from_fen
from kernel.national_id import mask
from kernel.pages import (
    UNANSWERED,
    attempt,
    decimal_or_none,
    parse,
    render,
    see_other,
    translator,
    value,
)
from kernel.tabular import InputRow, csv_rows
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get, post
from training import rules, services, words
from training.models import Enrolment
from training.schemas import OUTCOME_CSV_COLUMNS, OUTCOME_CSV_REQUIRED, OutcomeIn

PROVIDER = requires(Role.TRAINING_PROVIDER)
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
FileForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

# A provider's outcome file is a few thousand rows at most (a course seats up to a thousand); a
# file larger than this is a wrong file, refused before it is parsed.
MEGABYTES = 2
MAX_UPLOAD_BYTES = MEGABYTES * 1024 * 1024
TOO_LARGE = N_("the file is larger than %(n)s MB: split it into smaller files")


def _provider_id(ctx: Ctx) -> int:
    provider_id = ctx.actor.provider_id
    assert provider_id is not None  # a provider account always names its provider
    return provider_id


def _lines(ctx: Ctx) -> dict[str, Any]:
    """The review and reward lines in force, in percent, for the sentence that explains them."""
    params = ctx.params()
    return {
        "review_below": params.decimal("training.placement.review_below") * 100,
        "reward_above": params.decimal("training.placement.reward_above") * 100,
    }


COURSES: Listing[Any] = Listing(
    "courses",
    N_("Courses and their outcomes"),
    [
        Column("title", N_("Course"), lambda r: r.course.title, order=lambda r: r.course.title),
        Column(
            "starts_on",
            N_("Starts"),
            lambda r: r.course.starts_on,
            order=lambda r: r.course.starts_on,
        ),
        Column("ends_on", N_("Ends"), lambda r: r.course.ends_on),
        Column(
            "enrolled",
            N_("Enrolled"),
            lambda r: r.rates.counts.enrolled,
            order=lambda r: r.rates.counts.enrolled,
        ),
        Column("completed", N_("Completed"), lambda r: r.rates.counts.completed),
        Column("placed", N_("Placed"), lambda r: r.rates.counts.placed),
        Column(
            "placement_rate",
            N_("Placement rate (%)"),
            lambda r: _rate(r),
            order=lambda r: _rate(r),
        ),
        Column("subsidy", N_("Subsidy payable"), lambda r: r.subsidy.payable),
    ],
    sort="starts_on",
    descending=True,
)


def _rate(report: Any) -> Decimal | None:
    """The placement rate in percent as a number (sorted as one, not as text)."""
    rate = report.rates.as_dict()["placement_rate_percent"]
    return None if rate is None else Decimal(str(rate))


@get("/training", access=Access.PROVIDER, guards=[PROVIDER])
def my_courses(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    """Every course of the provider with its outcomes, a page at a time and exportable, and
    the placement rate of them all, which is what the review and reward lines judge."""
    asked = COURSES.ask(query_of(request))
    provider_id = _provider_id(ctx)
    provider = services.get_provider(ctx.session, provider_id)
    reports = services.course_reports(ctx, services.provider_courses(ctx.session, provider_id))
    if asked.format:
        return COURSES.export(
            COURSES.all_of_rows(reports, asked), asked, translator(request).gettext
        )
    total = rules.rates(sum((r.rates.counts for r in reports), rules.Counts()), ctx.params())
    return render(
        request,
        "training/courses.html",
        provider=provider,
        page=COURSES.page_of_rows(reports, asked),
        total=total.as_dict(),
        **_lines(ctx),
    )


# --- a course and its trainees -----------------------------------------------------------


def _money(fen: int | None) -> Any:
    """An amount kept in fen, in yuan (a trainee's wage is unknown until placed)."""
    return None if fen is None else from_fen(fen)


TRAINEES: Listing[Any] = Listing(
    "trainees",
    N_("Trainees"),
    [
        Column("member_id", N_("Person No."), lambda r: r[0].member_id, col(Enrolment.member_id)),
        Column("name", N_("Name"), lambda r: r[1], services.TRAINEE_NAME),
        Column("national_id", N_("ID number"), lambda r: mask(r[2])),
        Column(
            "enrolled_on", N_("Enrolled on"), lambda r: r[0].enrolled_on, col(Enrolment.enrolled_on)
        ),
        Column(
            "sessions_attended",
            N_("Sessions attended"),
            lambda r: r[0].sessions_attended,
            col(Enrolment.sessions_attended),
        ),
        Column(
            "state",
            N_("State"),
            lambda r: words.state_code(r[0].status),
            col(Enrolment.status),
            code=True,
        ),
        Column(
            "completed_on",
            N_("Completed on"),
            lambda r: r[0].completed_on,
            col(Enrolment.completed_on),
        ),
        Column(
            "certified_on",
            N_("Certificate on"),
            lambda r: r[0].certified_on,
            col(Enrolment.certified_on),
        ),
        Column("certificate_no", N_("Certificate number"), lambda r: r[0].certificate_no),
        Column(
            "placed_on", N_("Job starts on"), lambda r: r[0].placed_on, col(Enrolment.placed_on)
        ),
        Column("employer", N_("Employer"), lambda r: r[0].employer),
        Column(
            "monthly_income", N_("Monthly income (yuan)"), lambda r: _money(r[0].monthly_income_fen)
        ),
    ],
    sort="name",
    filters=("state",),
    tiebreak=col(Enrolment.id),
)


@get("/training/courses/{course_id:int}", access=Access.PROVIDER, guards=[PROVIDER])
def course(
    request: Request[Any, Any, Any], ctx: Ctx, course_id: PathId
) -> Template | Response[bytes]:
    """The course's facts and rates, and its trainees a page at a time, filtered by where they
    stand, sorted by any column and downloadable: the register a provider keeps of a class."""
    found = services.visible_course(ctx, course_id)
    asked = TRAINEES.ask(query_of(request))
    state = asked.filters.get("state")
    one_of(state, words.STATES, "state")
    query = services.trainees_query(course_id, state)
    if asked.format:
        rows = TRAINEES.all_of_query(ctx.session, query, asked)
        gettext = translator(request).gettext
        return TRAINEES.export(rows, asked, gettext, stem=f"trainees-course-{course_id}")
    report = services.course_reports(ctx, [found])[0]
    return render(
        request,
        "training/course.html",
        course=found,
        report=report,
        rates=report.rates.as_dict(),
        seats_taken=services.seats_taken(ctx.session, [course_id]).get(course_id, 0),
        page=TRAINEES.page_of_query(ctx.session, query, asked),
        state=state,
        states=words.STATES,
        counts=services.status_counts(ctx.session, course_id),
        **_lines(ctx),
    )


# --- one outcome, from a form ------------------------------------------------------------


def _trainee_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    course_id: int,
    member_id: int,
    problems: list[Problem] | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    trainee = services.visible_trainee(ctx, course_id, member_id)
    assert trainee.enrolment.id is not None
    reports = services.reports_about(ctx.session, trainee.enrolment.id)
    given = dict(form or {})
    # Each form carries its own report id, so sending it twice records the outcome once (a
    # replay, as in the API); a form shown again with its problems keeps the id it had.
    given.setdefault("report_id", f"page-{secrets.token_hex(8)}")
    return render(
        request,
        "training/trainee.html",
        status=422 if problems else 200,
        trainee=trainee,
        monthly_income=_money(trainee.enrolment.monthly_income_fen),
        reports=reports,
        kinds=words.KINDS,
        problems=problems or [],
        form=given,
    )


@get(
    "/training/courses/{course_id:int}/trainees/{member_id:int}",
    access=Access.PROVIDER,
    guards=[PROVIDER],
)
def trainee(
    request: Request[Any, Any, Any], ctx: Ctx, course_id: PathId, member_id: PathId
) -> Template:
    """Where one trainee stands, what was reported about them, and the form for what next."""
    return _trainee_page(request, ctx, course_id, member_id)


def _outcome_body(form: dict[str, Any], course_id: int, member_id: int) -> dict[str, Any]:
    """The form as the API's OutcomeIn; the kind is a choice nobody made until it is made."""
    return {
        "report_id": value(form, "report_id"),
        "course_id": course_id,
        "member_id": member_id,
        "kind": value(form, "kind") or UNANSWERED,
        "on": value(form, "on"),
        "sessions_attended": value(form, "sessions_attended"),
        "reason": value(form, "reason"),
        "certificate_no": value(form, "certificate_no"),
        "employer": value(form, "employer"),
        "occupation": value(form, "occupation"),
        "monthly_income": decimal_or_none(value(form, "monthly_income")),
        "hours_per_week": value(form, "hours_per_week"),
    }


def _unprefixed(problems: list[Problem], prefix: str) -> list[Problem]:
    """A batch's problems name their row (``report.1.employer``); on a one-report form each
    stands beside its own field."""
    return [
        replace(p, field=p.field.removeprefix(prefix) or None) if p.field else p for p in problems
    ]


@post(
    "/training/courses/{course_id:int}/trainees/{member_id:int}",
    access=Access.PROVIDER,
    guards=[PROVIDER],
)
def report_outcome(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    course_id: PathId,
    member_id: PathId,
    data: Form,
) -> Any:
    """One outcome through the batch use case the API's ``POST /outcomes`` calls, as a batch of
    one that is written whole or not at all."""
    services.visible_trainee(ctx, course_id, member_id)  # another provider's: 404, not a form

    def act() -> services.BatchResult:
        report = parse(OutcomeIn, _outcome_body(data, course_id, member_id))
        row = InputRow(1, report.model_dump(mode="json", exclude_none=True))
        return services.report_outcomes(ctx, [row], all_or_nothing=True, prefix="report")

    _, problems = attempt(ctx.session, act)
    if problems:
        problems = _unprefixed(problems, "report.1.")
        return _trainee_page(request, ctx, course_id, member_id, problems, data)
    return see_other(f"/app/training/courses/{course_id}")


# --- many outcomes, from a CSV file ------------------------------------------------------


@dataclass(frozen=True)
class RowProblemView:
    """A file's problem for the page: the row (its line in the file), the column, the words."""

    row: int
    field: str | None
    rule: str
    message: Any


_ROW_FIELD = re.compile(r"^rows\.(\d+)(?:\.(.+))?$")


def _by_row(problems: list[Problem]) -> tuple[list[Problem], list[RowProblemView]]:
    """The file's own problems (its header, its size) apart from each row's."""
    whole, rows = [], []
    for p in problems:
        found = _ROW_FIELD.match(p.field or "")
        if found is None:
            whole.append(p)
        else:
            rows.append(RowProblemView(int(found.group(1)), found.group(2), p.rule, p.message))
    rows.sort(key=lambda r: r.row)
    return whole, rows


def _outcomes_page(
    request: Request[Any, Any, Any],
    *,
    status: int = 200,
    problems: list[Problem] | None = None,
    batch: services.BatchResult | None = None,
) -> Template:
    whole, rows = _by_row(problems or [])
    return render(
        request,
        "training/outcomes.html",
        status=status,
        problems=whole,
        row_problems=rows,
        bad_rows=len({r.row for r in rows}),
        batch=batch,
        columns=OUTCOME_CSV_COLUMNS,
        required=OUTCOME_CSV_REQUIRED,
        needs={k.value: v for k, v in rules.REQUIRED.items()},
        kinds=words.KINDS,
        max_megabytes=MEGABYTES,
    )


@get("/training/outcomes", access=Access.PROVIDER, guards=[PROVIDER])
def outcomes(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """The upload form, with the columns a file must have and what each holds."""
    return _outcomes_page(request)


@get("/training/outcomes/template.csv", access=Access.PROVIDER, guards=[PROVIDER])
def outcome_template(ctx: Ctx) -> Response[bytes]:
    """The header the file must have (the API's columns, in its order), ready to fill in."""
    return Response(
        content=csv_bytes(OUTCOME_CSV_COLUMNS, []),
        media_type="text/csv",
        headers={"Content-Disposition": attachment("outcomes-template.csv")},
    )


@post("/training/outcomes", access=Access.PROVIDER, guards=[PROVIDER])
def upload_outcomes(request: Request[Any, Any, Any], ctx: Ctx, data: FileForm) -> Template:
    """A CSV file of outcomes through the use case the API's ``POST /outcomes/csv`` calls, all
    or nothing: one bad row and nothing is written, and every bad row is listed with its line
    in the file, so the provider corrects the file once and sends it again. The answer keeps
    the use case's status (a row about another provider's course is 403, a reused report id
    409)."""
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        missing = Problem("file", "file-upload", "choose the CSV file to upload")
        return _outcomes_page(request, status=422, problems=[missing])
    content = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        too_large = Problem("file", "file-size", say(TOO_LARGE, n=MEGABYTES))
        return _outcomes_page(request, status=413, problems=[too_large])
    try:
        rows = csv_rows(content, columns=OUTCOME_CSV_COLUMNS, required=OUTCOME_CSV_REQUIRED)
        batch = services.report_outcomes(ctx, rows, all_or_nothing=True, prefix="rows")
    except DomainError as exc:
        ctx.session.rollback()
        return _outcomes_page(request, status=exc.status, problems=exc.problems)
    return _outcomes_page(request, batch=batch)


HANDLERS = [
    my_courses,
    course,
    trainee,
    report_outcome,
    outcomes,
    outcome_template,
    upload_outcomes,
]
