"""Who is calling: principals, roles, API tokens and role guards.

Tokens are bearer secrets stored as SHA-256 hashes. The middleware turns a token into a
``Principal``; human sign-in for pages will produce the same ``Principal`` from a session, so
guards and services never care which door a person came through.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import Engine
from sqlmodel import Session, select

from kernel.capacity import current_capacity
from kernel.db import new_read_session
from kernel.messages import N_, Text, say
from kernel.models import ApiToken

TOKEN_PREFIX = "wb_"


class Role(StrEnum):
    COUNSELLOR = "counsellor"
    BENEFIT_OFFICER = "benefit_officer"
    TRAINING_PROVIDER = "training_provider"
    ADMIN = "admin"
    # Reads the oversight figures of every office and changes nothing (issue 17): a civil-
    # affairs bureau's or a county leader's account.
    SUPERVISOR = "supervisor"


ROLE_WORDS: dict[Role, str] = {
    Role.COUNSELLOR: N_("counsellor"),
    Role.BENEFIT_OFFICER: N_("benefit officer"),
    Role.TRAINING_PROVIDER: N_("training provider"),
    Role.ADMIN: N_("administrator"),
    Role.SUPERVISOR: N_("supervisor"),
}


class RoleRefused(PermissionDeniedException):
    """A caller whose role the route does not admit (403). The answer names the roles that may,
    in the reader's words (``kernel.errors`` renders ``text``); ``rule`` stays ``role`` for
    programs, whatever the language."""

    def __init__(self, roles: frozenset[Role]) -> None:
        ordered = sorted(roles, key=lambda r: r.value)
        self.roles = tuple(ordered)
        self.text: Text = say(
            "this action needs one of the roles: %(roles)s",
            roles=tuple(Text(ROLE_WORDS[r]) for r in ordered),
        )
        super().__init__(str(self.text))


@dataclass(frozen=True)
class Principal:
    kind: str  # "token" now; "user" when pages sign people in
    id: int
    name: str
    role: Role
    provider_id: int | None = None
    office: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}:{self.name}"


SYSTEM = Principal(kind="system", id=0, name="workbridge", role=Role.ADMIN)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(
    session: Session,
    *,
    role: Role,
    name: str,
    now: datetime,
    provider_id: int | None = None,
    office: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; the raw secret is returned once and never stored."""
    if role is Role.TRAINING_PROVIDER and provider_id is None:
        raise ValueError("a training_provider token must be bound to one provider")
    if role is not Role.TRAINING_PROVIDER and provider_id is not None:
        raise ValueError("only training_provider tokens are bound to a provider")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=role.value,
        provider_id=provider_id,
        office=office,
        token_hash=hash_token(raw),
        prefix=raw[:10],
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, raw


def principal_for_token(session: Session, raw: str) -> Principal | None:
    return principal_for_hash(session, hash_token(raw))


def principal_for_hash(session: Session, token_hash: str) -> Principal | None:
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()
    if token is None or token.revoked_at is not None or token.id is None:
        return None
    return Principal(
        kind="token",
        id=token.id,
        name=token.name,
        role=Role(token.role),
        provider_id=token.provider_id,
        office=token.office,
    )


def _lookup(engine: Engine, raw: str) -> Principal | None:
    """A read-only lookup, off the event loop (SQLite may make it wait for a writer)."""
    with new_read_session(engine) as session:
        return principal_for_token(session, raw)


class TokenCache:
    """Tokens this process has looked up lately, so a busy office's every request does not
    cost a database round trip and a thread before it is even read.

    An entry lives ``seconds`` (``WORKBRIDGE_TOKEN_CACHE_SECONDS``, default 5; 0 turns the cache
    off): a token revoked with ``workbridge tokens revoke`` stops working within that time in
    every process. Unknown tokens are remembered as unknown for the same time, so a client
    retrying a bad token cannot keep the database busy. At most ``size`` tokens are kept.
    """

    def __init__(
        self, seconds: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.size = size
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()

    def get(self, token_hash: str) -> tuple[bool, Principal | None]:
        """(found, principal): found is False when the database must be asked."""
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] <= self._clock():
            return False, None
        return True, entry[1]

    def put(self, token_hash: str, principal: Principal | None) -> None:
        if self.seconds <= 0:
            return
        self._entries[token_hash] = (self._clock() + self.seconds, principal)
        self._entries.move_to_end(token_hash)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


def _lookup(engine: Engine, token_hash: str) -> Principal | None:
    """A read-only lookup, off the event loop (SQLite may make it wait for a writer)."""
    with new_read_session(engine) as session:
        return principal_for_hash(session, token_hash)


class TokenAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """``Authorization: Bearer wb_…`` → ``request.user`` is a Principal; otherwise 401."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthorizedException(
                N_("an API token is required: Authorization: Bearer <token>")
            )
        state = connection.app.state
        cache: TokenCache = state.token_cache
        token_hash = hash_token(raw.strip())
        found, principal = cache.get(token_hash)
        if not found:
            principal = await current_capacity().run(_lookup, state.engine, token_hash)
            cache.put(token_hash, principal)
        if principal is None:
            raise NotAuthorizedException(N_("the API token is unknown or revoked"))
        return AuthenticationResult(user=principal, auth=principal.id)


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


class RoleRule:
    """The roles a route admits (403 for any other).

    Routes declared with ``kernel.web``'s decorators do not run it as a Litestar guard: their
    roles are checked by one ``before_request`` hook (``kernel.web.enforce_access``), because
    Litestar copies the whole route handler for every guard it calls, a cost every request
    would pay. Passed to a plain Litestar route, it works as an ordinary guard.
    """

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    def check(self, user: Any) -> None:
        if not isinstance(user, Principal) or user.role not in self.roles:
            raise RoleRefused(self.roles)

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        self.check(connection.user)


def requires(*roles: Role) -> RoleRule:
    """A rule admitting only the given roles (403 otherwise)."""
    return RoleRule(frozenset(roles))
