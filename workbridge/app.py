"""create_app(): settings, database, clock and policy in; a Litestar application out."""

from __future__ import annotations

import logging
from dataclasses import replace
from importlib.metadata import version
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    SecurityScheme,
)
from sqlalchemy import Engine

from activation.api import CONTROLLERS as ACTIVATION_CONTROLLERS
from activation.oversight.api import CONTROLLERS as OVERSIGHT_CONTROLLERS
from activation.replay.api import CONTROLLERS as REPLAY_CONTROLLERS
from activation.replay.versions_api import CONTROLLERS as VERSION_CONTROLLERS
from benefits.api import CONTROLLERS as BENEFIT_CONTROLLERS
from kernel.actors import ActorNames
from kernel.auth import TokenAuthenticationMiddleware, TokenCache
from kernel.background import background_work
from kernel.capacity import Capacity
from kernel.clock import Clock, SystemClock
from kernel.db import settings_engine
from kernel.errors import EXCEPTION_HANDLERS, PROBLEM_JSON
from kernel.loop_reads import LoopReads
from kernel.masking import MaskPersonalDataFilter, install_masking
from kernel.parameter_versions import LivePolicy
from kernel.policy import PolicyBook, load_profile
from kernel.read_routing import hand_back_position
from kernel.replica import RecentWrites, Replica, keep_seconds
from kernel.settings import Settings
from kernel.training_clock import TrainingClock, parse_clock_setting, refuse_unsafe
from kernel.web import (
    WorkbridgeRequest,
    admit,
    private_answer_headers,
    provide_context,
    request_frame_middleware,
)
from kernel.working_days import calendar_for, configure_working_days
from matching.api import CONTROLLERS as MATCHING_CONTROLLERS
from notifications.api import CONTROLLERS as SMS_WEBHOOKS
from notifications.runtime import sms_lifespan
from notifications.services import SendingRules, configure
from notifications.settings import SmsSettings
from training.api import CONTROLLERS as TRAINING_CONTROLLERS
from workbridge.metrics import metrics, metrics_middleware, time_answer
from workbridge.pages import page_router, root, static_router, template_config
from workbridge.pages.i18n import load_translators
from workbridge.pages.web import answer_pages_as_pages, page_answer_headers
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
    """ID and phone numbers are masked in every record this process logs, tracebacks too
    (``kernel.masking``)."""
    install_masking()
    root = logging.getLogger()
    if not any(isinstance(f, MaskPersonalDataFilter) for f in root.filters):
        root.addFilter(MaskPersonalDataFilter())
    for handler in root.handlers:
        if not any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters):
            handler.addFilter(MaskPersonalDataFilter())
    root.setLevel(level)


# Paths a caller reaches without an API token: each webhook checks its gateway's own
# credential, and /health answers anyone (a load balancer has no token).
UNAUTHENTICATED_PATHS = ("/health", "/webhooks/")
UNSUPPORTED_MEDIA_TYPE = "The body's Content-Type is not the one this endpoint reads"


def _problem(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={
            PROBLEM_JSON: OpenAPIMediaType(
                schema=Reference(ref="#/components/schemas/ProblemDetails")
            )
        },
    )


def _is_problem(response: Any) -> bool:
    return isinstance(response, OpenAPIResponse) and PROBLEM_JSON in (response.content or {})


def finish_openapi(app: Litestar) -> None:
    """What Litestar's generator cannot be told, so that the document says what the service
    answers (the schema fuzz test holds it to that):

    - /health and the webhooks need no bearer token (Litestar drops an empty ``security``
      list, so the document-wide one would apply);
    - a 400 is problem details (``kernel.errors``), not Litestar's own validation shape;
    - an operation with parameters answers 422 to one out of bounds (an id beyond the id
      columns, an offset too far, a day before the policy);
    - an operation with a body answers 400 to a malformed one and 415 to one of another
      Content-Type (``kernel.web.require_body_media_type``)."""
    document = app.openapi_schema
    for path, item in (document.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Operation | None = getattr(item, method)
            if operation is None or operation.responses is None:
                continue
            responses = operation.responses
            if path.startswith(UNAUTHENTICATED_PATHS):
                operation.security = []
            if "400" in responses and not _is_problem(responses["400"]):
                responses["400"] = _problem("A parameter or the body is malformed")
            if operation.parameters:
                responses.setdefault("422", _problem("A parameter is out of bounds"))
            if operation.request_body is not None:
                responses.setdefault("400", _problem("The body is malformed"))
                responses.setdefault("415", _problem(UNSUPPORTED_MEDIA_TYPE))


def capacity_of(settings: Settings) -> Capacity:
    return Capacity(threads=settings.threads, queue_seconds=settings.queue_seconds)


def service_engine(settings: Settings) -> Engine:
    """The served process's engine: a pooled connection for every request thread, and every
    wait for the database bounded (``kernel.capacity``)."""
    return settings_engine(
        settings,
        pool_size=capacity_of(settings).pool_size,
        wait_seconds=settings.db_wait_seconds,
        bound_lock_waits=True,
    )


def read_replica(settings: Settings, primary: Engine) -> Replica | None:
    """The streaming replica reads may go to (``kernel.replica``), if one is named."""
    if settings.read_database_url is None:
        return None
    return Replica(
        primary,
        settings.read_database_url,
        max_lag_seconds=settings.replica_max_lag_seconds,
        pool_size=capacity_of(settings).pool_size,
        wait_seconds=settings.db_wait_seconds,
        pooler=settings.database_pooler,
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
    replica = read_replica(settings, engine)
    training = parse_clock_setting(settings.clock)
    refuse_unsafe(training, sms_settings.gateway, settings.production)
    if clock is None and training is not None:
        clock = TrainingClock(engine, training, settings.zone)
    policy = load_profile(settings.policy_profile)
    wire()
    sms_rules = SendingRules.from_settings(settings, sms_settings)
    configure(sms_rules)
    configure_working_days(calendar_for(settings.holidays_file))

    def start_training_clock(app: Litestar) -> None:
        """A training copy's date: read (or set) once, then followed on a thread of its own."""
        if isinstance(app.state.clock, TrainingClock):
            app.state.clock.load().follow()

    def start_replica(app: Litestar) -> None:
        """Where reads may go: the replica's lag, checked on a thread of its own."""
        replica = app.state.get("replica")
        if replica is not None:
            replica.follow()

    def start_policy(app: Litestar) -> None:
        """Parameter versions signed off in the service join the book (read now, then followed
        on a thread of its own); the book in ``state.policy`` is swapped whole."""
        state = app.state

        def adopt(book: PolicyBook) -> None:
            # Only the newest start's follower writes: one started inside another (a second
            # client or a server on the same application) must not be undone by the outer
            # one's thread, nor the outer one's book by a follower left behind.
            if state.get("live_policy") is follower:
                state.policy = book

        follower = LivePolicy(
            state.engine, state.settings.policy_profile, adopt, outer=state.get("live_policy")
        )
        state.live_policy = follower
        follower.follow()

    def start_capacity(app: Litestar) -> None:
        """Request threads belong to the event loop that serves (uvicorn's, a test client's)."""
        app.state.capacity.reset()

    def start_scheduler(app: Litestar) -> None:
        """With WORKBRIDGE_SCHEDULER=on, run the jobs in this process (if it wins leadership)."""
        if not app.state.settings.scheduler:
            return
        from activation.oversight.alerts import Limits
        from workbridge.jobs import JobEnv
        from workbridge.scheduler import ServiceScheduler

        state = app.state
        env = JobEnv(
            state.engine,
            state.policy,
            state.clock,
            state.settings.zone,
            follow=lambda: state.policy,
            oversight=Limits.from_settings(state.settings),
        )
        state.scheduler = ServiceScheduler(env, state.settings)
        state.scheduler.start()

    async def open_loop_reads(app: Litestar) -> None:
        """The event loop's own connection for the status check (kernel.loop_reads), and the
        replica's when there is one."""
        await app.state.loop_reads.open()
        if app.state.get("replica_loop_reads") is not None:
            await app.state.replica_loop_reads.open()

    async def close_loop_reads(app: Litestar) -> None:
        await app.state.loop_reads.close()
        if app.state.get("replica_loop_reads") is not None:
            await app.state.replica_loop_reads.close()

    def dispose(app: Litestar) -> None:
        if isinstance(app.state.clock, TrainingClock):
            app.state.clock.stop()
        background_work.pause_all()
        live_policy = app.state.get("live_policy")
        if live_policy is not None:
            live_policy.stop()
            # The start this one was nested in serves on with its own follower and book.
            app.state.live_policy = live_policy.outer
            if live_policy.outer is not None:
                app.state.policy = live_policy.outer.book
        app.state.capacity.close()
        scheduler = app.state.get("scheduler")
        if scheduler is not None:
            scheduler.shutdown()
            app.state.scheduler = None
        replica = app.state.get("replica")
        if replica is not None:
            replica.close()
        app.state.engine.dispose()

    app = Litestar(
        route_handlers=[
            health,
            metrics,
            PolicyController,
            *BENEFIT_CONTROLLERS,
            *MATCHING_CONTROLLERS,
            *TRAINING_CONTROLLERS,
            *ACTIVATION_CONTROLLERS,
            *REPLAY_CONTROLLERS,
            *OVERSIGHT_CONTROLLERS,
            *VERSION_CONTROLLERS,
            *SMS_WEBHOOKS,
            root,
            page_router(),
            static_router(),
        ],
        dependencies={"ctx": Provide(provide_context, sync_to_thread=False)},
        middleware=[
            metrics_middleware,  # outermost: a request's time includes every layer below it
            request_frame_middleware,
            # Gateways have no token (each webhook checks its gateway's own credential); pages
            # sign people in with a session (workbridge.pages.web).
            DefineMiddleware(
                TokenAuthenticationMiddleware,
                exclude=[
                    "^/schema",
                    "^/health$",
                    "^/metrics$",  # its own bearer token, or this machine only
                    "^/webhooks/",
                    "^/app",
                    "^/static/",
                ],
            ),
        ],
        exception_handlers=answer_pages_as_pages(EXCEPTION_HANDLERS),
        request_class=WorkbridgeRequest,
        before_send=[
            private_answer_headers,
            page_answer_headers,
            hand_back_position,
            time_answer,
        ],
        # Pages override this with their CSRF check (their bodies are forms).
        before_request=admit,
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "replica": replica,
                "replica_loop_reads": (
                    LoopReads(replica.engine, settings.db_wait_seconds, settings.queue_seconds)
                    if replica is not None
                    else None
                ),
                "recent_writes": RecentWrites(keep_seconds(settings.replica_max_lag_seconds)),
                "capacity": capacity,
                "loop_reads": LoopReads(engine, settings.db_wait_seconds, settings.queue_seconds),
                "token_cache": TokenCache(settings.token_cache_seconds),
                "clock": clock or SystemClock(),
                "policy": policy,
                "sms_settings": sms_settings,
                "sms_rules": sms_rules,
                "translators": load_translators(settings.zone),
                "actor_names": ActorNames(),
            }
        ),
        lifespan=[sms_lifespan],
        on_startup=[
            start_training_clock,
            start_replica,
            start_policy,
            start_capacity,
            open_loop_reads,
            start_scheduler,
        ],
        on_shutdown=[close_loop_reads, dispose],
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
    finish_openapi(app)
    # The texts' rules (quiet hours, part limit) read the book the requests read, which
    # ``start_policy`` keeps current, also in the in-process SMS worker.
    app.state.sms_rules = replace(sms_rules, follow=lambda: app.state.policy)
    configure(app.state.sms_rules)
    return app
