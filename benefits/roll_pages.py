"""The roll's page: take the roll as a sheet, and check a county's sheet before it comes in.

For county-wide benefit officers (the roll carries every household's ID numbers and bank
accounts): the same file ``GET /api/v1/roll`` gives, and the same check as ``POST
/api/v1/roll/checks``, with the problems listed in a table an office can work through.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Stream, Template

from benefits import roll, roll_check
from benefits.pages import OFFICER
from kernel.errors import Problem
from kernel.listing import attachment
from kernel.pages import render
from kernel.visibility import Access
from kernel.web import Ctx, get, post, spooled_chunks

FileForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PROBLEMS_SHOWN = 200
UPLOAD_LIMIT = 64 * 1024 * 1024  # a county's roll in Excel is a few megabytes per 10,000 rows


def _page(
    request: Request[Any, Any, Any],
    *,
    checked: roll_check.RollCheck | None = None,
    name: str = "",
    problems: list[Problem] | None = None,
) -> Template:
    return render(
        request,
        "benefits/roll.html",
        status=422 if problems else 200,
        checked=checked,
        shown=checked.problems[:PROBLEMS_SHOWN] if checked else [],
        most=PROBLEMS_SHOWN,
        name=name,
        problems=problems or [],
    )


@get("/roll", access=Access.COUNTY, guards=[OFFICER])
def roll_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    return _page(request)


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
        return _page(request, problems=[Problem("file", "file-upload", "choose the file")])
    given.file.seek(0)
    content = given.file.read()
    try:
        checked = roll_check.check_content(
            content, roll_check.categories_on(ctx.params()), ctx.today
        )
    except roll_check.RollFileError as exc:
        return _page(request, name=given.filename, problems=exc.problems)
    return _page(request, checked=checked, name=given.filename)


HANDLERS = [roll_page, roll_file, roll_check_page]
