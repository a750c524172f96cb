"""The HTTP load generator of ``workbridge bench load``: standard library only, one process.

``python -m workbridge.loadgen PLAN.json`` opens ``connections`` keep-alive HTTP/1.1
connections to one server and keeps each busy in a closed loop (send, read the whole answer,
send the next) for ``warmup`` seconds, then ``seconds`` more that are measured; it prints one
JSON document with what it saw. It runs as a process of its own so that its CPU time never
lands in the server's processes, and it reports that CPU time, so a reader can tell how much
of the machine the client took.

Why a generator of our own rather than Debian's ``wrk``: the office workload needs things
``wrk`` only does through Lua scripts — a different path (and body) per request, IDs that may
be used only once (an offer is answered once), a weighted mix of kinds, and answers counted by
kind and status (an expected 404 for an unknown person is not an error; a 5xx is). Here all of
that is plain Python, every latency is kept (percentiles are exact, not from a histogram), and
the bench needs nothing installed beyond pip. The price is CPU per request, so ``workbridge
bench load`` first measures this generator's own ceiling against ``--echo`` (a fixed answer
from a bare asyncio server), and reports it beside the figures.

The speed comes from staying low: an ``asyncio.Protocol`` per connection (no stream objects),
requests formatted from prepared pieces, the answer's head parsed with ``bytes.find`` for the
status line, ``Content-Length`` or chunked encoding, and one timer per request instead of a
``wait_for`` task.

The plan is JSON::

    {"host": "127.0.0.1", "port": 8000, "connections": 64, "seconds": 10, "warmup": 2,
     "timeout": 30, "seed": 1, "nonce": "run-3",
     "kinds": [{"name": "status", "weight": 90, "method": "GET",
                "path": "/api/v1/status/{}", "values": ["3411251980..."],
                "headers": {"Authorization": "Bearer wb_..."}, "bodies": [], "once": false,
                "expect": [200]}]}

``{}`` in a path takes the kind's next value (values are cycled in a shuffled order, or used
once each with ``once``: a kind whose values are used up is no longer chosen); ``{seq}`` takes
a number unique in the run, prefixed by ``nonce``. ``bodies`` (JSON text) are taken in turn.
Statuses outside ``expect`` are counted as unexpected.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

perf_counter = time.perf_counter


class TransportError(Exception):
    """The connection broke or the answer did not come in time."""


@dataclass
class Kind:
    """One kind of request in the mix, and what it met."""

    name: str
    method: str
    path: str
    values: list[str]
    head: str  # header lines after the request line, each ending in CRLF
    bodies: list[bytes]
    once: bool
    expect: frozenset[int]
    position: int = 0
    exhausted: bool = False
    statuses: Counter[int] = field(default_factory=Counter)  # in the measured window
    statuses_all: Counter[int] = field(default_factory=Counter)  # warm-up included
    latencies: list[float] = field(default_factory=list)

    def request(self, sequence: str) -> bytes | None:
        """The next request's bytes, or None when a once-only kind has used its values."""
        path = self.path
        if self.values:
            if self.position >= len(self.values):
                if self.once:
                    self.exhausted = True
                    return None
                self.position = 0
            path = path.replace("{}", self.values[self.position])
        if "{seq}" in path:
            path = path.replace("{seq}", sequence)
        body = self.bodies[self.position % len(self.bodies)] if self.bodies else b""
        self.position += 1
        if body:
            return (
                f"{self.method} {path} HTTP/1.1\r\n{self.head}"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
        return f"{self.method} {path} HTTP/1.1\r\n{self.head}\r\n".encode()


def _answer_size(buffer: bytearray) -> tuple[int, int, bool] | None:
    """(status, bytes the whole answer takes, whether the server closes) once ``buffer``
    holds a whole answer; None while more is to come."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    status = int(head[9:12])
    start = end + 4
    found = head.find(b"\r\ncontent-length:")
    if found >= 0:
        line_end = head.find(b"\r\n", found + 2)
        length = int(head[found + 17 : line_end if line_end >= 0 else len(head)])
        total = start + length
        if len(buffer) < total:
            return None
    elif b"\r\ntransfer-encoding: chunked" in head:
        position = start
        while True:
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                return None
            size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
            if size == 0:
                trailer_end = buffer.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return None
                total = trailer_end + 4
                break
            position = line_end + 2 + size + 2
            if len(buffer) < position:
                return None
    else:
        total = start  # 204, 304: no body
    return status, total, b"\r\nconnection: close" in head


class Connection(asyncio.Protocol):
    """One keep-alive connection; ``exchange`` sends a request and waits for its answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bool]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        size = _answer_size(self.buffer)
        if size is not None:
            status, used, closing = size
            del self.buffer[:used]
            waiter.set_result((status, closing))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(TransportError("connection closed"))

    async def exchange(self, raw: bytes, timeout: float) -> int:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        waiter = self.waiter = loop.create_future()
        timer = loop.call_later(timeout, _expire, waiter)
        self.transport.write(raw)
        try:
            status, closing = await waiter
        finally:
            timer.cancel()
        if closing:
            self.transport.close()
            self.closed = True
        return status


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


@dataclass
class Run:
    """A plan being carried out: the mix, the clock and the tallies."""

    host: str
    port: int
    connections: int
    seconds: float
    warmup: float
    timeout: float
    nonce: str
    kinds: list[Kind]
    schedule: list[int]
    turn: int = 0
    sequence: int = 0
    measure_from: float = 0.0
    measure_to: float = 0.0
    stopping: bool = False
    errors: Counter[str] = field(default_factory=Counter)

    def next_request(self) -> tuple[Kind, bytes] | None:
        for _ in range(len(self.schedule)):
            kind = self.kinds[self.schedule[self.turn]]
            self.turn = (self.turn + 1) % len(self.schedule)
            if kind.exhausted:
                continue
            self.sequence += 1
            raw = kind.request(f"{self.nonce}-{self.sequence}")
            if raw is not None:
                return kind, raw
        return None

    async def drive(self) -> None:
        """One connection's closed loop: a request, its whole answer, the next request."""
        loop = asyncio.get_running_loop()
        connection: Connection | None = None
        try:
            while not self.stopping:
                if connection is None or connection.closed:
                    try:
                        _, connection = await asyncio.wait_for(
                            loop.create_connection(Connection, self.host, self.port),
                            self.timeout,
                        )
                    except (OSError, TimeoutError):
                        self.errors["connect"] += 1
                        connection = None
                        await asyncio.sleep(0.05)
                        continue
                chosen = self.next_request()
                if chosen is None:
                    return
                kind, raw = chosen
                started = perf_counter()
                try:
                    status = await connection.exchange(raw, self.timeout)
                except TimeoutError:
                    self.errors["timeout"] += 1
                    if connection.transport is not None:
                        connection.transport.abort()
                    connection = None
                    continue
                except (TransportError, OSError):
                    self.errors["closed"] += 1
                    connection = None
                    continue
                ended = perf_counter()
                if self.stopping:
                    return
                kind.statuses_all[status] += 1
                if self.measure_from <= ended <= self.measure_to:
                    kind.statuses[status] += 1
                    kind.latencies.append(ended - started)
        finally:
            if connection is not None and connection.transport is not None:
                connection.transport.close()

    async def carry_out(self, mark: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Warm up, measure, report; ``mark`` hears "measuring" and "measured" as the window
        opens and closes, so whoever watches the machine can sample it over the same time."""
        begun = perf_counter()
        self.measure_from = begun + self.warmup
        self.measure_to = self.measure_from + self.seconds
        drivers = [asyncio.create_task(self.drive()) for _ in range(self.connections)]
        await asyncio.sleep(max(0.0, self.measure_from - perf_counter()))
        cpu_from = _cpu_seconds()
        if mark is not None:
            mark("measuring")
        await asyncio.sleep(max(0.0, self.measure_to - perf_counter()))
        cpu = _cpu_seconds() - cpu_from
        if mark is not None:
            mark("measured")
        self.stopping = True
        _, pending = await asyncio.wait(drivers, timeout=self.timeout)
        for task in pending:
            task.cancel()
            self.errors["unfinished at the end"] += 1
        return self.report(cpu)

    def report(self, cpu_seconds: float) -> dict[str, Any]:
        statuses: Counter[int] = Counter()
        statuses_all: Counter[int] = Counter()
        latencies: list[float] = []
        expected_4xx = unexpected = 0
        by_kind: dict[str, Any] = {}
        for kind in self.kinds:
            statuses.update(kind.statuses)
            statuses_all.update(kind.statuses_all)
            latencies.extend(kind.latencies)
            for status, count in kind.statuses.items():
                if status in kind.expect:
                    if 400 <= status < 500:
                        expected_4xx += count
                elif status < 500:
                    unexpected += count
            by_kind[kind.name] = {
                "completed": sum(kind.statuses.values()),
                "statuses": {str(s): n for s, n in sorted(kind.statuses.items())},
                "latency_ms": percentiles(kind.latencies),
                "exhausted": kind.exhausted,
            }
        completed = sum(statuses.values())
        return {
            "connections": self.connections,
            "seconds": self.seconds,
            "completed": completed,
            "per_second": completed / self.seconds if self.seconds else 0.0,
            "latency_ms": percentiles(latencies),
            "statuses": {str(s): n for s, n in sorted(statuses.items())},
            "expected_4xx": expected_4xx,
            "unexpected": unexpected,
            # 5xx and transport errors count over the whole run, warm-up included: none of
            # them may hide in the warm-up.
            "server_errors": sum(n for s, n in statuses_all.items() if s >= 500),
            "transport_errors": dict(self.errors),
            "client_cpu_seconds": cpu_seconds,
            "by_kind": by_kind,
        }


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50, p95, p99 and the maximum in milliseconds (nearest rank: a latency that was seen)."""
    if not seconds:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(seconds)
    last = len(ordered) - 1

    def rank(share: float) -> float:
        return ordered[min(last, max(0, int(share * len(ordered) + 0.999999) - 1))] * 1000

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": ordered[-1] * 1000}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_from_plan(plan: dict[str, Any]) -> Run:
    rng = random.Random(plan.get("seed", 1))
    host, port = plan["host"], int(plan["port"])
    kinds: list[Kind] = []
    weights: list[float] = []
    for spec in plan["kinds"]:
        values = [str(v) for v in spec.get("values", [])]
        if not spec.get("once"):
            rng.shuffle(values)
        head = f"Host: {host}:{port}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in spec.get("headers", {}).items()
        )
        kinds.append(
            Kind(
                name=spec["name"],
                method=spec.get("method", "GET"),
                path=spec["path"],
                values=values,
                head=head,
                bodies=[b.encode() for b in spec.get("bodies", [])],
                once=bool(spec.get("once")),
                expect=frozenset(spec.get("expect", [200])),
            )
        )
        weights.append(float(spec.get("weight", 1)))
    # Long enough that a rare kind (a county report once in a thousand requests) is in it.
    schedule = rng.choices(range(len(kinds)), weights=weights, k=max(10_000, 20 * len(kinds)))
    return Run(
        host=host,
        port=port,
        connections=int(plan["connections"]),
        seconds=float(plan["seconds"]),
        warmup=float(plan.get("warmup", 0)),
        timeout=float(plan.get("timeout", 30)),
        nonce=str(plan.get("nonce", "run")),
        kinds=kinds,
        schedule=schedule,
    )


# --- the generator's ceiling: a server that costs next to nothing ------------------------------

_FIXED_ANSWER = (
    b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
)


class _Echo(asyncio.Protocol):
    """Answers every request head with the same small JSON answer; bodies are not expected."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answers = 0
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            del self.buffer[: end + 4]
            answers += 1
        if answers:
            self.transport.write(_FIXED_ANSWER * answers)


async def serve_fixed_answer(port: int) -> None:
    """``--echo PORT``: the cheapest HTTP server asyncio allows, for the ceiling measurement."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Echo, "127.0.0.1", port, backlog=2048)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--echo":
        asyncio.run(serve_fixed_answer(int(argv[1])))
        return 0
    if len(argv) != 1:
        print("usage: python -m workbridge.loadgen PLAN.json | --echo PORT", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        plan = json.load(handle)

    def mark(event: str) -> None:
        print(event, file=sys.stderr, flush=True)

    result = asyncio.run(run_from_plan(plan).carry_out(mark))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
