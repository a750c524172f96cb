"""The web shell: the /app route tree (each context's pages plus sign-in, dashboard and payment
runs), the Jinja templates of every context, the static folder and the catalogs.

Pages and the API are separate route trees: /app uses browser sessions and CSRF tokens,
/api uses bearer tokens; pages are left out of the OpenAPI schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Router, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from activation import pages as activation_pages
from benefits import intake as benefit_intake
from benefits import letters as benefit_letters
from benefits import pages as benefit_pages
from benefits import roll_pages as benefit_roll
from kernel.visibility import Access
from training import pages as training_pages
from workbridge.pages import (
    account,
    admin,
    clock,
    dashboard,
    oversight,
    payments,
    replays,
    rules,
    versions,
)
from workbridge.pages.palette import palette_style
from workbridge.pages.web import (
    PAGE_EXCEPTION_HANDLERS,
    check_csrf,
    session_middleware,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIRS = [
    HERE / "templates",
    ROOT / "activation" / "templates",
    ROOT / "benefits" / "templates",
    ROOT / "training" / "templates",
]


def template_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["palette_style"] = Markup(palette_style())
    return env


def template_config() -> TemplateConfig[Any]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(template_environment()))


@get(
    "/",
    include_in_schema=False,
    exclude_from_auth=True,
    sync_to_thread=False,
    opt={"access": Access.PUBLIC},
)
def root() -> Redirect:
    """Someone who opens the bare address is a person: send them to the pages."""
    return Redirect(path="/app", status_code=303)


def page_router() -> Router:
    return Router(
        path="/app",
        route_handlers=[
            *account.HANDLERS,
            *admin.HANDLERS,
            *clock.HANDLERS,
            *replays.HANDLERS,
            *oversight.HANDLERS,
            *rules.HANDLERS,
            *versions.HANDLERS,
            *activation_pages.HANDLERS,
            *benefit_pages.HANDLERS,
            *benefit_letters.HANDLERS,
            *benefit_intake.HANDLERS,
            *benefit_roll.HANDLERS,
            *training_pages.HANDLERS,
            *dashboard.HANDLERS,
            *payments.HANDLERS,
        ],
        middleware=[session_middleware],
        before_request=check_csrf,
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )


def static_router() -> Router:
    return create_static_files_router(
        path="/static", directories=[STATIC_DIR], include_in_schema=False, name="static"
    )
