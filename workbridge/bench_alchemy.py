"""The status check served through Litestar's advanced-alchemy plugin, for ``workbridge bench
load --compare advanced-alchemy``.

The service gives each request one unit of work on one of its own request threads
(``kernel.capacity``, ``kernel.web``). The usual alternative is the plugin: a synchronous
``SQLAlchemySyncConfig`` whose dependency opens a session per request, with the handler run
on Litestar's worker threads and the session closed by the plugin before the answer is sent.
This app answers the same use case that way — the same token check
(``kernel.auth``: a hash looked up once and trusted for ``WORKBRIDGE_TOKEN_CACHE_SECONDS``,
benefit officers only), the same ID validation, the same ``benefits.status_check`` query and
answer, the same problem details — so the two request models can be measured side by side on
the same database.

The pool is sized like the service's (``kernel.capacity``) and may grow to Litestar's
40 worker threads, so no thread of the plugin's waits for a connection. Served as ``uvicorn
workbridge.bench_alchemy:create_app --factory``; the database comes from
``WORKBRIDGE_DATABASE_URL``. Needs the ``bench`` extra.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from advanced_alchemy.extensions.litestar import (
    EngineConfig,
    SQLAlchemyPlugin,
    SQLAlchemySyncConfig,
    SyncSessionConfig,
)
from litestar import Litestar, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware
from litestar.params import Dependency
from sqlalchemy import Engine
from sqlmodel import Session

from benefits import status_check
from benefits.schemas import StatusOut
from kernel.auth import Principal, Role, TokenCache, hash_token, principal_for_hash, requires
from kernel.capacity import BACKGROUND_CONNECTIONS
from kernel.errors import EXCEPTION_HANDLERS
from kernel.settings import Settings
from workbridge.app import capacity_of

# Litestar runs synchronous handlers on anyio's default thread limiter, 40 threads.
LITESTAR_THREADS = 40


def alchemy_config(settings: Settings) -> SQLAlchemySyncConfig:
    pool = capacity_of(settings).pool_size
    return SQLAlchemySyncConfig(
        connection_string=settings.database_url,
        session_config=SyncSessionConfig(class_=Session, expire_on_commit=False),
        engine_config=EngineConfig(
            pool_size=pool, max_overflow=max(0, LITESTAR_THREADS + BACKGROUND_CONNECTIONS - pool)
        ),
        before_send_handler="autocommit",
        create_all=False,
    )


class TokenAuthentication(AbstractAuthenticationMiddleware):
    """``Authorization: Bearer wb_…`` checked as the service checks it, on a worker thread
    with a short session of its own (the plugin's session belongs to the handler)."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, raw = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthorizedException("an API token is required: Authorization: Bearer <token>")
        engine: Engine = connection.app.state.db_engine
        cache: TokenCache = connection.app.state.token_cache
        token_hash = hash_token(raw.strip())
        found, principal = cache.get(token_hash)
        if not found:

            def lookup() -> Principal | None:
                with Session(engine, expire_on_commit=False) as session:
                    return principal_for_hash(session, token_hash)

            principal = await anyio.to_thread.run_sync(lookup)
            cache.put(token_hash, principal)
        if principal is None:
            raise NotAuthorizedException("the API token is unknown or revoked")
        return AuthenticationResult(user=principal, auth=principal.id)


@get("/api/v1/status/{national_id:str}", guards=[requires(Role.BENEFIT_OFFICER)])
def status(national_id: str, db_session: Annotated[Session, Dependency()]) -> StatusOut:
    value = status_check.asked_for(national_id)
    return status_check.status_out(status_check.status_of(db_session.get_bind(), value))


@get("/health", sync_to_thread=False, exclude_from_auth=True)
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    settings = Settings.from_env()
    return Litestar(
        route_handlers=[status, health],
        plugins=[SQLAlchemyPlugin(config=alchemy_config(settings))],
        middleware=[DefineMiddleware(TokenAuthentication, exclude=["^/health$"])],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"token_cache": TokenCache(settings.token_cache_seconds)}),
    )
