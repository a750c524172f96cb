"""create_app(): settings, database, clock and policy in; a Litestar application out."""

from __future__ import annotations

import logging
from importlib.metadata import version

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy import Engine

from activation.api import CONTROLLERS as ACTIVATION_CONTROLLERS
from benefits.api import CONTROLLERS as BENEFIT_CONTROLLERS
from kernel.auth import TokenAuthenticationMiddleware
from kernel.capacity import Capacity
from kernel.clock import Clock, SystemClock
from kernel.db import make_engine
from kernel.errors import EXCEPTION_HANDLERS
from kernel.national_id import MaskNationalIdsFilter
from kernel.policy import load_profile
from kernel.settings import Settings
from kernel.web import (
    WorkbridgeRequest,
    capacity_middleware,
    day_bounds_middleware,
    provide_context,
    require_body_media_type,
)
from matching.api import CONTROLLERS as MATCHING_CONTROLLERS
from notifications.api import CONTROLLERS as SMS_WEBHOOKS
from notifications.runtime import sms_lifespan
from notifications.services import SendingRules, configure
from notifications.settings import SmsSettings
from training.api import CONTROLLERS as TRAINING_CONTROLLERS
from workbridge.pages import page_router, root, static_router, template_config
from workbridge.pages.i18n import load_translators
from workbridge.system import PolicyController, health
from workbridge.wiring import wire

OPENAPI_DESCRIPTION = """
Workbridge runs dibao (minimum living guarantee) cases from application to payment and helps
working-age recipients into work without leaving them worse off.

Authenticate with `Authorization: Bearer <token>` (tokens per role: `workbridge tokens create`).
Money is a decimal string in yuan (CNY). Errors are RFC 9457 problem details that list every
problem at once; a request that gets a 4xx has written nothing.
"""


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, MaskNationalIdsFilter) for f in root.filters):
        root.addFilter(MaskNationalIdsFilter())
    for handler in root.handlers:
        if not any(isinstance(f, MaskNationalIdsFilter) for f in handler.filters):
            handler.addFilter(MaskNationalIdsFilter())
    root.setLevel(level)


def capacity_of(settings: Settings) -> Capacity:
    return Capacity(threads=settings.threads, queue_seconds=settings.queue_seconds)


def service_engine(settings: Settings) -> Engine:
    """The served process's engine: a pooled connection for every request thread, and every
    wait for the database bounded (``kernel.capacity``)."""
    return make_engine(
        settings.database_url,
        pool_size=capacity_of(settings).pool_size,
        wait_seconds=settings.db_wait_seconds,
        bound_lock_waits=True,
    )


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    sms_settings: SmsSettings | None = None,
) -> Litestar:
    settings = settings or Settings.from_env()
    sms_settings = sms_settings or SmsSettings.from_env()
    configure_logging(settings.log_level)
    capacity = capacity_of(settings)
    engine = service_engine(settings)
    policy = load_profile(settings.policy_profile)
    wire()
    sms_rules = SendingRules.from_settings(settings, sms_settings)
    configure(sms_rules)

    def start_capacity(app: Litestar) -> None:
        """Request threads belong to the event loop that serves (uvicorn's, a test client's)."""
        app.state.capacity.reset()

    def start_scheduler(app: Litestar) -> None:
        """With WORKBRIDGE_SCHEDULER=on, run the jobs in this process (if it wins leadership)."""
        if not app.state.settings.scheduler:
            return
        from workbridge.jobs import JobEnv
        from workbridge.scheduler import ServiceScheduler

        state = app.state
        env = JobEnv(state.engine, state.policy, state.clock, state.settings.zone)
        state.scheduler = ServiceScheduler(env, state.settings)
        state.scheduler.start()

    def dispose(app: Litestar) -> None:
        scheduler = app.state.get("scheduler")
        if scheduler is not None:
            scheduler.shutdown()
            app.state.scheduler = None
        app.state.engine.dispose()

    app = Litestar(
        route_handlers=[
            health,
            PolicyController,
            *BENEFIT_CONTROLLERS,
            *MATCHING_CONTROLLERS,
            *TRAINING_CONTROLLERS,
            *ACTIVATION_CONTROLLERS,
            *SMS_WEBHOOKS,
            root,
            page_router(),
            static_router(),
        ],
        dependencies={"ctx": Provide(provide_context)},
        middleware=[
            capacity_middleware,
            day_bounds_middleware,
            # Gateways have no token (each webhook checks its gateway's own credential); pages
            # sign people in with a session (workbridge.pages.web).
            DefineMiddleware(
                TokenAuthenticationMiddleware,
                exclude=["^/schema", "^/health$", "^/webhooks/", "^/app", "^/static/"],
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=WorkbridgeRequest,
        # Pages override this with their CSRF check (their bodies are forms).
        before_request=require_body_media_type,
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "capacity": capacity,
                "clock": clock or SystemClock(),
                "policy": policy,
                "sms_settings": sms_settings,
                "sms_rules": sms_rules,
                "translators": load_translators(settings.zone),
            }
        ),
        lifespan=[sms_lifespan],
        on_startup=[start_capacity, start_scheduler],
        on_shutdown=[dispose],
        template_config=template_config(),
        openapi_config=OpenAPIConfig(
            title="Workbridge",
            version=version("workbridge"),
            description=OPENAPI_DESCRIPTION,
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="A Workbridge API token (wb_…)"
                    )
                }
            ),
            security=[{"BearerToken": []}],
        ),
    )
    return app
