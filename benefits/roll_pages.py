"""The roll's page: take the roll as a sheet, and check a county's sheet before it comes in.

For county-wide benefit officers (the roll carries every household's ID numbers and bank
accounts): the same file ``GET /api/v1/roll`` gives, and the same check as ``POST
/api/v1/roll/checks``, with the problems listed in a table an office can work through.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, PathParameter
from litestar.response import Redirect, Stream, Template

from benefits import registers, roll, roll_check, roll_import, roll_result, roll_write
from benefits.models import RollImport
from benefits.pages import OFFICER
from benefits.roll_plan import ACTION_WORDS
from kernel.auth import Principal
from kernel.clock import office_today
from kernel.errors import DomainError, Problem
from kernel.listing import attachment
from kernel.messages import answer_gettext, from_data
from kernel.pages import render
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get, post, spooled_chunks

FileForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PROBLEMS_SHOWN = 200
UPLOAD_LIMIT = 64 * 1024 * 1024  # a county's roll in Excel is a few megabytes per 10,000 rows


RECENT_IMPORTS = 10


def _page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    *,
    checked: roll_check.RollCheck | None = None,
    name: str = "",
    problems: list[Problem] | None = None,
    import_problems: list[Problem] | None = None,
    status: int | None = None,
) -> Template:
    imports = [
        _import_view(run) for run in roll_import.list_imports(ctx.session, RECENT_IMPORTS, 0)
    ]
    return render(
        request,
        "benefits/roll.html",
        status=status or (422 if problems or import_problems else 200),
        checked=checked,
        shown=checked.problems[:PROBLEMS_SHOWN] if checked else [],
        most=PROBLEMS_SHOWN,
        name=name,
        problems=problems or [],
        import_problems=import_problems or [],
        imports=imports,
    )


@get("/roll", access=Access.COUNTY, guards=[OFFICER])
def roll_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    return _page(request, ctx)


def roll_download(request: Request[Any, Any, Any], ctx: Ctx, kind: str) -> Stream:
    """The roll as an attachment, for the page and the API alike (``roll.spooled_roll``)."""
    spool, name = roll.spooled_roll(
        ctx.session, request.app.state.engine, ctx.actor, ctx.now, kind, ctx.today
    )
    return Stream(
        spooled_chunks(spool),
        media_type=roll.XLSX if kind == "xlsx" else "text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(name)},
    )


def register_download(
    request: Request[Any, Any, Any], ctx: Ctx, kind: str, on: str | None
) -> Stream:
    """A register as an attachment, for the page and the API alike."""
    spool, name = registers.spooled_register(
        ctx.session, request.app.state.engine, ctx.actor, ctx.now, kind, on, ctx.today
    )
    return Stream(
        spooled_chunks(spool),
        media_type=roll.XLSX,
        headers={"Content-Disposition": attachment(name)},
    )


@get("/roll/registers/{kind:str}", access=Access.COUNTY, guards=[OFFICER])
def register_file(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    kind: Annotated[Literal["quarterly", "relatives", "payments"], PathParameter()],
    on: FromQuery[str | None] = None,
) -> Stream:
    return register_download(request, ctx, kind, on)


@get("/roll/file", access=Access.COUNTY, guards=[OFFICER])
def roll_file(
    request: Request[Any, Any, Any], ctx: Ctx, format: FromQuery[Literal["xlsx", "csv"]] = "xlsx"
) -> Stream:
    return roll_download(request, ctx, format)


@post(
    "/roll/check",
    access=Access.COUNTY,
    guards=[OFFICER],
    status_code=200,
    request_max_body_size=UPLOAD_LIMIT,
)
def roll_check_page(request: Request[Any, Any, Any], ctx: Ctx, data: FileForm) -> Template:
    given = data.get("file")
    if isinstance(given, list):
        given = next((g for g in given if isinstance(g, UploadFile)), None)
    if not isinstance(given, UploadFile) or not given.filename:
        return _page(request, ctx, problems=[Problem("file", "file-upload", "choose the file")])
    given.file.seek(0)
    content = given.file.read()
    try:
        checked = roll_check.check_content(
            content, roll_check.categories_on(ctx.params()), ctx.today
        )
    except roll_check.RollFileError as exc:
        return _page(request, ctx, name=given.filename, problems=exc.problems)
    return _page(request, ctx, checked=checked, name=given.filename)


def start_roll_import(request: Request[Any, Any, Any], upload: UploadFile, mode: str) -> RollImport:
    """Put the upload where the import can read it after the request, and start it (for the
    API and the page alike)."""
    state = request.app.state
    user = request.user
    assert isinstance(user, Principal)
    folder = Path(tempfile.mkdtemp(prefix="workbridge-import-"))
    upload.file.seek(0)
    head = upload.file.read(2)
    upload.file.seek(0)
    path = folder / ("roll.xlsx" if head == b"PK" else "roll.csv")  # a workbook is a zip archive
    with open(path, "wb") as spool:
        shutil.copyfileobj(upload.file, spool)
    writer = roll_write.Writer(
        actor=user,
        now=state.clock.now(),
        today=office_today(state.clock, state.settings.zone),
        policy=state.policy,
    )
    return roll_import.start_in_background(
        state.engine, folder, path, upload.filename or path.name, writer, mode
    )


def roll_result_download(request: Request[Any, Any, Any], ctx: Ctx, import_id: int) -> Stream:
    """The result file as an attachment (the API and the page)."""
    run = roll_import.get_import(ctx.session, import_id)
    roll_import.require_result(run)
    ctx.session.rollback()  # the file is read on a connection of its own
    spool, name = roll_result.spooled_result(request.app.state.engine, run, answer_gettext())
    return Stream(
        spooled_chunks(spool),
        media_type=roll.XLSX,
        headers={"Content-Disposition": attachment(name)},
    )


@dataclass(frozen=True)
class ImportView:
    """A roll import as its page shows it."""

    id: int
    file_name: str
    mode: str
    state: str
    state_words: str
    working: bool
    percent: int
    lines: int
    done_through_line: int
    counts: list[tuple[str, int]]
    problems: list[dict[str, Any]]
    problem_count: int
    started_by: str
    started_at: Any
    has_result: bool


def _import_view(run: RollImport) -> ImportView:
    done = run.state == "finished"
    percent = 100 if done else (round(100 * run.done_through_line / run.lines) if run.lines else 0)
    return ImportView(
        id=run.id or 0,
        file_name=run.file_name,
        mode=run.mode,
        state=run.state,
        state_words=roll_import.STATE_WORDS[run.state],
        working=run.state in ("checking", "planning", "committing"),
        percent=percent,
        lines=run.lines,
        done_through_line=run.lines if done else run.done_through_line,
        counts=[(words, getattr(run, action)) for action, words in ACTION_WORDS.items()],
        problems=[
            {"row": p["row"], "field": p["field"], "message": from_data(p["said"])}
            for p in run.problems[:PROBLEMS_SHOWN]
        ],
        problem_count=run.problem_count,
        started_by=run.started_by,
        started_at=run.started_at,
        has_result=run.state in ("finished", "stopped"),
    )


@post(
    "/roll/imports",
    access=Access.COUNTY,
    guards=[OFFICER],
    request_max_body_size=UPLOAD_LIMIT,
)
def roll_import_start(
    request: Request[Any, Any, Any], ctx: Ctx, data: FileForm
) -> Redirect | Template:
    given = data.get("file")
    if isinstance(given, list):
        given = next((g for g in given if isinstance(g, UploadFile)), None)
    mode = data.get("mode") if data.get("mode") in ("preview", "commit") else None
    problems = []
    if not isinstance(given, UploadFile) or not given.filename:
        problems.append(Problem("file", "file-upload", "choose the file"))
    if mode is None:
        problems.append(Problem("mode", "one-of", "choose a preview or bringing the roll in"))
    if problems or not isinstance(given, UploadFile) or mode is None:
        return _page(request, ctx, import_problems=problems)
    try:
        started = start_roll_import(request, given, mode)
    except DomainError as exc:
        return _page(request, ctx, import_problems=exc.problems, status=exc.status)
    return Redirect(path=f"/app/roll/imports/{started.id}", status_code=303)


def _import_page(
    request: Request[Any, Any, Any], ctx: Ctx, import_id: int, template: str
) -> Template:
    run = roll_import.get_import(ctx.session, import_id)
    return render(request, template, run=_import_view(run), most=PROBLEMS_SHOWN)


@get("/roll/imports/{import_id:int}", access=Access.COUNTY, guards=[OFFICER])
def roll_import_page(request: Request[Any, Any, Any], ctx: Ctx, import_id: PathId) -> Template:
    return _import_page(request, ctx, import_id, "benefits/roll_import.html")


@get("/roll/imports/{import_id:int}/progress", access=Access.COUNTY, guards=[OFFICER])
def roll_import_progress(request: Request[Any, Any, Any], ctx: Ctx, import_id: PathId) -> Template:
    """Polled by HTMX every two seconds while the import works; stops polling when done."""
    return _import_page(request, ctx, import_id, "benefits/_roll_import_progress.html")


@get("/roll/imports/{import_id:int}/result", access=Access.COUNTY, guards=[OFFICER])
def roll_import_result(request: Request[Any, Any, Any], ctx: Ctx, import_id: PathId) -> Stream:
    return roll_result_download(request, ctx, import_id)


HANDLERS = [
    roll_page,
    roll_file,
    register_file,
    roll_check_page,
    roll_import_start,
    roll_import_page,
    roll_import_progress,
    roll_import_result,
]
