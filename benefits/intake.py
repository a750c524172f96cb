"""The benefit office's window: a household registered, its application taken in, and the papers
it brings uploaded, each through the use case the API calls.

Before these pages an officer could do all of this only through the API, and an application's
``document missing: income_statement`` could never be cleared from the desk. The handlers only
read forms into the API's schemas and show what the use cases say beside the fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, get_args

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Response, Template

from benefits import documents, services, views
from benefits.offices import communities_in
from benefits.pages import OFFICER, application_page
from benefits.rules import MemberIdentity
from benefits.schemas import (
    ApplicationIn,
    Disability,
    DocumentIn,
    HouseholdIn,
    IncomeSource,
    Relation,
    WorkCapacity,
    checked_national_id,
)
from kernel.context import ServiceContext
from kernel.errors import InvalidInput, Problem
from kernel.listing import attachment
from kernel.messages import Text
from kernel.pages import attempt, checked, decimal_or_none, parse, render, see_other, value
from kernel.visibility import Access, office_of
from kernel.web import Ctx, PathId, get, post

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
FileForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

FIRST_BLOCKS = 3  # member blocks on a new form; "add another member" gives one more
MAX_BLOCKS = 20  # as many as a household may have (HouseholdIn)
INCOME_ROWS = 3  # declared incomes per member on the form; more through a later change
MEMBER_TEXT = ("name", "national_id", "phone", "birth_date", "official_relative_note")
FLAGS = ("serious_illness", "student", "carer", "pregnant", "three_nos", "official_relative")
# A file up to twice the limit still reaches the handler, which refuses it beside the field;
# a larger body is refused before it is read (413, an error page).
UPLOAD_BODY_LIMIT = 2 * documents.MAX_BYTES


# --- household registration ------------------------------------------------------------------


@dataclass
class MemberForm:
    """The member blocks of a registration form that hold something, read as the API's body.

    ``blocks[k]`` is the form's block of the k-th member sent, ``rows[k]`` the form's income
    rows of that member's k-th income: the problems the schema and the use case name by
    position are put back beside the fields the officer filled in."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    rows: list[list[int]] = field(default_factory=list)


def _block_count(data: dict[str, Any]) -> int:
    try:
        count = int(value(data, "blocks") or FIRST_BLOCKS)
    except ValueError:
        count = FIRST_BLOCKS
    return max(1, min(count, MAX_BLOCKS))


def _members(data: dict[str, Any], count: int) -> MemberForm:
    """Blocks left empty are not members (selects alone do not count: the first block's
    relation is chosen beforehand)."""
    found = MemberForm()
    for block in range(count):
        at = f"members.{block}."
        rows = [
            row
            for row in range(INCOME_ROWS)
            if value(data, f"{at}incomes.{row}.source")
            or value(data, f"{at}incomes.{row}.monthly_amount")
        ]
        if not (
            rows
            or any(value(data, at + name) for name in MEMBER_TEXT)
            or any(checked(data, at + flag) for flag in FLAGS)
        ):
            continue
        found.blocks.append(block)
        found.rows.append(rows)
        found.bodies.append(
            _given(
                {
                    **{name: value(data, at + name) for name in MEMBER_TEXT},
                    "relation": value(data, at + "relation"),
                    "sex": value(data, at + "sex"),
                    "work_capacity": value(data, at + "work_capacity"),
                    "disability": value(data, at + "disability"),
                    **{flag: checked(data, at + flag) for flag in FLAGS},
                    "incomes": [
                        _given(
                            {
                                "source": value(data, f"{at}incomes.{row}.source"),
                                "monthly_amount": decimal_or_none(
                                    value(data, f"{at}incomes.{row}.monthly_amount")
                                ),
                                "effective_from": value(data, f"{at}incomes.{row}.effective_from"),
                            }
                        )
                        for row in rows
                    ],
                }
            )
        )
    return found


def _given(fields: dict[str, Any]) -> dict[str, Any]:
    """A field left blank is left out, so the schema's default (or "required") applies."""
    return {name: given for name, given in fields.items() if given is not None}


def _household_body(data: dict[str, Any], members: MemberForm) -> dict[str, Any]:
    return {
        "scheme": value(data, "scheme"),
        "address": value(data, "address"),
        "community": value(data, "community"),
        "township": value(data, "township"),
        "bank_account": value(data, "bank_account"),
        "members": members.bodies,
    }


def _renumbered(message: str | Text, blocks: list[int]) -> str | Text:
    """ "The same ID is given for members 0 and 2" names members by position among those
    sent; the page calls them by their block's number, as its headings do."""
    if not isinstance(message, Text):
        return message
    numbers = {
        key: blocks[given] + 1
        for key, given in message.values.items()
        if key in ("value", "index") and isinstance(given, int) and 0 <= given < len(blocks)
    }
    return Text(message.message, {**message.values, **numbers}) if numbers else message


def _beside_fields(
    problems: list[Problem], blocks: list[int], rows: list[list[int]] | None = None
) -> list[Problem]:
    """Problems named ``members.k...`` (and ``incomes.j``) moved to the form's own blocks."""
    placed = []
    for problem in problems:
        parts = (problem.field or "").split(".")
        if len(parts) < 2 or parts[0] != "members" or not parts[1].isdigit():
            placed.append(problem)
            continue
        k = int(parts[1])
        if k >= len(blocks):
            placed.append(problem)
            continue
        parts[1] = str(blocks[k])
        if rows and len(parts) > 3 and parts[2] == "incomes" and parts[3].isdigit():
            j = int(parts[3])
            if j < len(rows[k]):
                parts[3] = str(rows[k][j])
        message = problem.message
        if problem.rule == "one-person-once":
            message = _renumbered(message, blocks)
        placed.append(Problem(".".join(parts), problem.rule, message))
    return placed


def _birth_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _rule_problems(ctx: ServiceContext, body: dict[str, Any], members: MemberForm) -> list[Problem]:
    """While the schema refuses the form, what registration would also say about the members
    whose ID numbers can be read already (the same person twice, a person in another live
    household, a sex or birth date the ID contradicts), so every problem shows at once."""
    identities: list[MemberIdentity] = []
    blocks: list[int] = []
    for block, member in zip(members.blocks, members.bodies, strict=True):
        try:
            national_id = checked_national_id(member.get("national_id", ""))
        except ValueError:
            continue
        sex = member.get("sex") if member.get("sex") in ("male", "female") else None
        identities.append(
            MemberIdentity(
                national_id, sex, _birth_day(member.get("birth_date")), member.get("relation", "")
            )
        )
        blocks.append(block)
    found = services.household_problems(ctx, identities, body["community"], body["township"])
    return _beside_fields(found, blocks)


def _places(ctx: ServiceContext) -> dict[str, Any]:
    """Known communities and townships to choose from, and the officer's own office filled in
    where it is one of them (an officer of an office registers households there only)."""
    office = office_of(ctx.actor)
    pairs = communities_in(ctx.session, office)
    prefill: dict[str, str] = {}
    if office:
        for community, township in pairs:
            if office == township:
                prefill = {"township": township}
                break
            if office == community:
                prefill = {"community": community, "township": township}
                break
        else:
            prefill = {"township": office}
    return {
        "communities": sorted({c for c, _ in pairs}),
        "townships": sorted({t for _, t in pairs}),
        "prefill": prefill,
    }


def _household_form(
    request: Request[Any, Any, Any],
    ctx: ServiceContext,
    form: dict[str, Any],
    blocks: int,
    problems: list[Problem] | None = None,
) -> Template:
    return render(
        request,
        "benefits/household_new.html",
        status=422 if problems else 200,
        form=form,
        blocks=blocks,
        income_rows=INCOME_ROWS,
        max_blocks=MAX_BLOCKS,
        schemes=("urban", "rural"),
        relations=get_args(Relation),
        sources=get_args(IncomeSource),
        capacities=get_args(WorkCapacity),
        disabilities=get_args(Disability),
        flags=FLAGS,
        problems=problems or [],
        **_places(ctx),
    )


@get("/households/new", access=Access.PERSON, guards=[OFFICER])
def household_new(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """An empty registration form: the household, then a few member blocks."""
    places = _places(ctx)
    return _household_form(request, ctx, dict(places["prefill"]), FIRST_BLOCKS)


@post("/households/new", access=Access.PERSON, guards=[OFFICER])
def household_create(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Any:
    """Register through ``services.create_household``; on success, on to its application.
    "Add another member" sends the form back with one more block and checks nothing yet."""
    count = _block_count(data)
    if value(data, "more"):
        return _household_form(request, ctx, data, min(count + 1, MAX_BLOCKS))
    members = _members(data, count)
    body = _household_body(data, members)
    try:
        household_in = parse(HouseholdIn, body)
    except InvalidInput as refused:
        problems = _beside_fields(refused.problems, members.blocks, members.rows)
        problems += _rule_problems(ctx, body, members)
        ctx.session.rollback()
        return _household_form(request, ctx, data, count, problems)
    household, problems = attempt(ctx.session, lambda: services.create_household(ctx, household_in))
    if problems:
        placed = _beside_fields(problems, members.blocks, members.rows)
        return _household_form(request, ctx, data, count, placed)
    return see_other(f"/app/households/{household.id}/application")


# --- taking in the application ------------------------------------------------------------


def _intake_form(
    request: Request[Any, Any, Any],
    ctx: ServiceContext,
    household_id: int,
    form: dict[str, Any],
    problems: list[Problem] | None = None,
) -> Template:
    household = views.household_out(ctx.session, services.get_household(ctx.session, household_id))
    return render(
        request,
        "benefits/intake.html",
        status=422 if problems else 200,
        household=household,
        categories=services.categories_of(ctx, household.scheme, ctx.today),
        form=form,
        problems=problems or [],
        today=ctx.today,
    )


@get("/households/{household_id:int}/application", access=Access.PERSON, guards=[OFFICER])
def intake(request: Request[Any, Any, Any], ctx: Ctx, household_id: PathId) -> Template:
    """The household as registered, and the application form: the category it asks for."""
    return _intake_form(request, ctx, household_id, {})


@post("/households/{household_id:int}/application", access=Access.PERSON, guards=[OFFICER])
def intake_take(request: Request[Any, Any, Any], ctx: Ctx, household_id: PathId, data: Form) -> Any:
    """Open the application through ``services.apply``; its documents are uploaded next, on
    the application's page."""
    body = {
        "household_id": household_id,
        "category_requested": value(data, "category_requested"),
        "applied_on": value(data, "applied_on"),
    }
    application, problems = attempt(
        ctx.session, lambda: services.apply(ctx, parse(ApplicationIn, body))
    )
    if problems:
        return _intake_form(request, ctx, household_id, data, problems)
    return see_other(f"/app/applications/{application.id}#documents")


# --- documents ------------------------------------------------------------------------------


def _incoming(data: dict[str, Any]) -> documents.IncomingFile | None:
    """The file of the form's ``file`` field, read up to one byte past the limit."""
    given = data.get("file")
    if isinstance(given, list):
        given = next((g for g in given if isinstance(g, UploadFile)), None)
    if not isinstance(given, UploadFile):
        return None
    given.file.seek(0)
    content = given.file.read(documents.MAX_BYTES + 1)
    return documents.IncomingFile(given.filename or "", given.content_type or "", content)


NO_FILE = Problem("file", "file-upload", "choose the file to upload")


def _text_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A multipart form's fields other than its files (to fill the form in again)."""
    return {name: given for name, given in data.items() if isinstance(given, str)}


def _refused(
    request: Request[Any, Any, Any],
    ctx: ServiceContext,
    application_id: int,
    problems: list[Problem],
    form_name: str,
    data: dict[str, Any],
) -> Template:
    page = application_page(
        request,
        ctx,
        application_id,
        problems,
        form_name,
        _text_fields(data),
        heading="document",
    )
    if any(p.rule == "file-size" for p in problems):
        page.status_code = 413
    return page


@post(
    "/applications/{application_id:int}/documents",
    access=Access.PERSON,
    guards=[OFFICER],
    request_max_body_size=UPLOAD_BODY_LIMIT,
)
def document_add(
    request: Request[Any, Any, Any], ctx: Ctx, application_id: PathId, data: FileForm
) -> Any:
    """Upload a scanned paper: kept through ``documents.add_document``, which marks its kind
    present on the application."""
    incoming = _incoming(data)
    kind = value(_text_fields(data), "kind")

    def add() -> Any:
        no_file = [] if incoming else [NO_FILE]
        try:
            parsed = parse(DocumentIn, {"kind": kind})
        except InvalidInput as refused:  # a missing kind and a missing file, said together
            raise InvalidInput([*refused.problems, *no_file]) from refused
        if incoming is None:
            raise InvalidInput(no_file)
        return documents.add_document(ctx, application_id, parsed.kind, incoming)

    _, problems = attempt(ctx.session, add)
    if problems:
        return _refused(request, ctx, application_id, problems, "documents", data)
    return see_other(f"/app/applications/{application_id}#documents")


@post(
    "/applications/{application_id:int}/documents/{document_id:int}/replace",
    access=Access.PERSON,
    guards=[OFFICER],
    request_max_body_size=UPLOAD_BODY_LIMIT,
)
def document_replace(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    application_id: PathId,
    document_id: PathId,
    data: FileForm,
) -> Any:
    """A new scan in place of one on record (``documents.replace_document``): the old file is
    kept and names its replacement."""
    documents.get_document(ctx.session, application_id, document_id)  # none such: 404
    incoming = _incoming(data)

    def replace() -> Any:
        if incoming is None:
            raise InvalidInput(NO_FILE)
        return documents.replace_document(ctx, application_id, document_id, incoming)

    _, problems = attempt(ctx.session, replace)
    if problems:
        return _refused(request, ctx, application_id, problems, f"replace-{document_id}", data)
    return see_other(f"/app/applications/{application_id}#documents")


@get(
    "/applications/{application_id:int}/documents/{document_id:int}/download",
    access=Access.PERSON,
    guards=[OFFICER],
)
def document_download(ctx: Ctx, application_id: PathId, document_id: PathId) -> Response[bytes]:
    """The file as it was uploaded, as an attachment of the type its content showed, so a
    browser neither guesses another type nor opens it inside the office's pages."""
    document = documents.get_document(ctx.session, application_id, document_id)
    return Response(
        content=document.content,
        media_type=document.content_type,
        headers={
            "Content-Disposition": attachment(document.file_name),
            "X-Content-Type-Options": "nosniff",
        },
    )


HANDLERS = [
    household_new,
    household_create,
    intake,
    intake_take,
    document_add,
    document_replace,
    document_download,
]
