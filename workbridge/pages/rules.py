"""The rule register page (issue 17): every policy clause with the rules that implement it,
the parameters they read (with the values in force) and the tests that walk its boundaries —
the generated register (``workbridge.rule_register``), in the reader's language, and as a
workbook. For admins and supervisors: it holds no person."""

from __future__ import annotations

import io
from typing import Any

from litestar import Request, Response
from litestar.response import Template

from kernel.auth import Role, requires
from kernel.clauses import BY_CODE
from kernel.messages import render as render_text
from kernel.messages import say
from kernel.pages import render, translator
from kernel.sheets import write_xlsx
from kernel.visibility import Access
from kernel.web import Ctx, get
from workbridge.rule_register import shipped

OVERSEERS = requires(Role.ADMIN, Role.SUPERVISOR)


def _clauses(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    t = translator(request)
    return [
        {**clause, "title": render_text(BY_CODE[clause["code"]].title, t.gettext)}
        for clause in shipped()["clauses"]
    ]


@get("/rules", access=Access.COUNTY, guards=[OVERSEERS])
def rule_register(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    in_force = ctx.params()
    values = {key: in_force.params[key].value for key in in_force.params}
    return render(request, "shell/rules.html", clauses=_clauses(request), values=values)


@get("/rules.xlsx", access=Access.COUNTY, guards=[OVERSEERS])
def rule_register_workbook(request: Request[Any, Any, Any], ctx: Ctx) -> Response[bytes]:
    t = translator(request)
    headings = [
        render_text(text, t.gettext)
        for text in (
            say("clause"),
            say("what it says"),
            say("source"),
            say("rules"),
            say("parameters"),
            say("tests"),
        )
    ]
    rows = (
        [
            c["code"],
            c["title"],
            c["source"],
            "\n".join(c["rules"]),
            "\n".join(c["parameters"]),
            "\n".join(c["tests"]),
        ]
        for c in _clauses(request)
    )
    buffer = io.BytesIO()
    write_xlsx(buffer, render_text(say("rule register"), t.gettext), headings, rows)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="rule-register.xlsx"'},
    )


HANDLERS = [rule_register, rule_register_workbook]
