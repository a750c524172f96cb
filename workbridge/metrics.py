"""``GET /metrics``: the service's figures in Prometheus' text format, for the people who run it.

A province runs several ``workbridge serve`` processes, SMS workers and a scheduler; when one of
them slows down or stops, the operators need to see it before the offices ring. Two kinds of
figure are exposed:

- **Per process, summed over the service's processes**: request latency by route template
  (``/api/v1/cases/{case_id}``, never a path with an id or a phone number in it), requests
  in flight, database pool connections in use, whether a process leads the scheduler
  (``workbridge.scheduler.LEADING``). With
  ``serve --workers N`` each worker writes these to files in a shared folder
  (``PROMETHEUS_MULTIPROC_DIR``, set by the supervisor, ``workbridge.serving``), so whichever
  worker answers a scrape reports the whole service, and a dead worker's gauges are dropped.
- **From the database, read when scraped**: the SMS outbox's depth by status and the age of
  its oldest queued message, the progress of a payment run still going, and on PostgreSQL
  whether any process holds the scheduler's leader lock. These are the same whichever process
  answers.

Who may read them: with ``WORKBRIDGE_METRICS_TOKEN`` set, a request bearing that token; without
it, only the machine itself — and not a request a proxy passed on (one with ``Forwarded`` or
``X-Forwarded-For``), since behind a proxy on the same machine everyone arrives from loopback.
The figures name no person, but they describe the service's load and are not for the public.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from litestar import Request
from litestar.response import Response
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from benefits.models import PaymentRun
from kernel.db import reader
from kernel.errors import Forbidden, Problem
from kernel.locks import advisory_lock_held
from kernel.messages import say
from kernel.replica import Replica
from kernel.visibility import Access
from kernel.web import get
from notifications.models import OutboxMessage
from notifications.receipts import Status
from workbridge.scheduler import LEADER_LOCK

# The text format every Prometheus reads (2.x and 3.x); the names here need none of 1.0's escaping.
TEXT_FORMAT = "text/plain; version=0.0.4"  # Litestar adds the charset
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
NOT_TIMED = ("/metrics", "/static")  # the scrape itself, and the vendored files

REQUEST_SECONDS = Histogram(
    "workbridge_http_request_duration_seconds",
    "Seconds from a request's arrival to the last byte of its answer, by route template",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "workbridge_http_requests_in_flight",
    "Requests being answered now",
    multiprocess_mode="livesum",
)
POOL_IN_USE = Gauge(
    "workbridge_db_pool_in_use",
    "Database connections lent out by the service's pools",
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "workbridge_db_pool_open",
    "Database connections the service's pools hold open, lent out or idle",
    multiprocess_mode="livesum",
)


def _route(scope: Scope) -> str | None:
    template = scope.get("path_template")
    if not isinstance(template, str) or template.startswith(NOT_TIMED):
        return None
    return template


def note_pool(engine: Engine) -> None:
    """This process's pool, as the gauges last saw it (after each request and each scrape)."""
    pool = engine.pool
    in_use = getattr(pool, "checkedout", None)
    idle = getattr(pool, "checkedin", None)
    if callable(in_use) and callable(idle):
        POOL_IN_USE.set(in_use())
        POOL_OPEN.set(in_use() + idle())


STARTED, STATUS = "workbridge.metrics.started", "workbridge.metrics.status"


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Note when a routed request arrived and count it in flight; ``time_answer`` observes it
    when its answer has gone. Litestar's exception handlers answer outside every middleware (a
    401 from the token check is sent after the exception has passed back through here), so the
    status and the end are taken from the answer itself."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _route(scope) is None:
            await app(scope, receive, send)
            return
        scope[STARTED] = time.perf_counter()  # type: ignore[typeddict-unknown-key]
        IN_FLIGHT.inc()
        try:
            await app(scope, receive, send)
        finally:
            IN_FLIGHT.dec()
            engine = getattr(scope["app"].state, "engine", None)
            if engine is not None:
                note_pool(engine)

    return middleware


async def time_answer(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook (it sees every answer, those of the exception handlers too): the
    status from the start of the answer, the time at its last body part."""
    if message["type"] == "http.response.start":
        scope[STATUS] = message["status"]  # type: ignore[typeddict-unknown-key]
    elif message["type"] == "http.response.body" and not message.get("more_body", False):
        started = scope.pop(STARTED, None)  # type: ignore[misc]
        route = _route(scope)
        if started is not None and route is not None:
            status = str(scope.get(STATUS, 500))
            REQUEST_SECONDS.labels(scope["method"], route, status).observe(
                time.perf_counter() - started
            )


class DatabaseFigures(Collector):
    """What the database says at the moment of the scrape (one short read, no write lock)."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine = engine
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("workbridge_database_up", "1 when the database answered the scrape")
        try:
            figures = list(self._read())
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures

    def _read(self) -> Iterator[GaugeMetricFamily]:
        outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
        run = PaymentRun.__table__  # type: ignore[attr-defined]
        waiting = (Status.QUEUED.value, Status.SENDING.value)
        with reader(self.engine).connect() as conn:
            depth = dict(
                conn.execute(
                    select(outbox.c.status, func.count())
                    .where(outbox.c.status.in_(waiting))
                    .group_by(outbox.c.status)
                ).all()
            )
            oldest = conn.execute(
                select(func.min(outbox.c.created_at)).where(outbox.c.status == Status.QUEUED)
            ).scalar()
            runs = conn.execute(
                select(
                    run.c.period,
                    run.c.first_case_id,
                    run.c.last_case_id,
                    run.c.done_through_case_id,
                    run.c.lines,
                ).where(run.c.state == "running")
            ).all()
            held = None
            if conn.dialect.name == "postgresql":
                held = advisory_lock_held(conn, LEADER_LOCK)
        messages = GaugeMetricFamily(
            "workbridge_sms_outbox_messages",
            "SMS waiting in the outbox, by status",
            labels=["status"],
        )
        for status in waiting:
            messages.add_metric([status], depth.get(status, 0))
        yield messages
        age = GaugeMetricFamily(
            "workbridge_sms_outbox_oldest_queued_seconds",
            "Age of the oldest message still queued (0 when none is)",
        )
        age.add_metric([], max((self.now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        yield age
        progress = GaugeMetricFamily(
            "workbridge_payment_run_progress",
            "Share of a running payment run's cases done",
            labels=["period"],
        )
        lines = GaugeMetricFamily(
            "workbridge_payment_run_lines",
            "Lines a running payment run has written",
            labels=["period"],
        )
        for row in runs:
            span = row.last_case_id - row.first_case_id + 1
            done = row.done_through_case_id - row.first_case_id + 1
            progress.add_metric([row.period], min(max(done / span, 0.0), 1.0) if span > 0 else 0.0)
            lines.add_metric([row.period], row.lines)
        yield progress
        yield lines
        if held is not None:
            leader = GaugeMetricFamily(
                "workbridge_scheduler_leader_lock_held",
                "1 when some process, of this service or another, holds the scheduler's lock",
            )
            leader.add_metric([], 1 if held else 0)
            yield leader


class ReplicaFigures(Collector):
    """The read replica as this process last found it (``kernel.replica``): whether reads go
    there, and how far behind the primary it is."""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self.replica.state
        used = GaugeMetricFamily(
            "workbridge_replica_in_use",
            "1 when reads go to the replica; 0 when it lags, is away or is not a replica",
        )
        used.add_metric([], 1 if state.usable else 0)
        yield used
        if state.lag_seconds is not None:
            lag = GaugeMetricFamily(
                "workbridge_replica_lag_seconds",
                "How far the replica's replay is behind the primary (0 when caught up)",
            )
            lag.add_metric([], state.lag_seconds)
            yield lag


def exposition(engine: Engine, now: datetime, replica: Replica | None = None) -> bytes:
    """Every figure in the text format: the processes' own (summed over the live workers when
    there are several), the database's and the replica's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
    else:
        processes = REGISTRY
    database = CollectorRegistry()
    database.register(DatabaseFigures(engine, now))
    if replica is not None:
        database.register(ReplicaFigures(replica))
    return generate_latest(processes) + generate_latest(database)


def _may_read(request: Request[Any, Any, Any]) -> bool:
    token = request.app.state.settings.metrics_token
    if token:
        offered = request.headers.get("authorization", "")
        return hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())
    if "forwarded" in request.headers or "x-forwarded-for" in request.headers:
        return False  # a proxy's loopback connection carrying someone else's request
    client = request.client.host if request.client else ""
    return client in ("127.0.0.1", "::1")


@get(
    "/metrics",
    access=Access.PUBLIC,
    exclude_from_auth=True,
    summary="The service's figures in Prometheus' text format",
    description=(
        "Request latency by route template, requests in flight, pool use, scheduler leadership, "
        "SMS outbox depth and age, payment run progress. With WORKBRIDGE_METRICS_TOKEN set, "
        "send it as a bearer token; without it only the machine itself is answered."
    ),
    tags=["System"],
    include_in_schema=False,
)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    if not _may_read(request):
        raise Forbidden(
            Problem(
                None,
                "metrics-token",
                say("the figures are given to this machine, or with the metrics token"),
            )
        )
    state = request.app.state
    note_pool(state.engine)
    body = exposition(state.engine, datetime.now(UTC), state.get("replica"))
    return Response(body, media_type=TEXT_FORMAT)
