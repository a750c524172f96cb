"""``workbridge bench load``: many people at once against real ``workbridge serve`` processes.

What is measured, and beside what:

1. A county of synthetic households (``benefits.bench.generate``, set-based) in a scratch
   SQLite file, or in the empty PostgreSQL database ``WORKBRIDGE_DATABASE_URL`` names; on top
   of it what a labour office's day needs, also set-based: registered job seekers with open
   offers to answer (some by counsellors, some by SMS), people whose registration is due,
   mobile numbers that text in; API tokens for a benefit officer and a counsellor, and a
   callback token for Kannel's webhook.
2. The service as deployed — ``workbridge serve --workers W`` — and the **floor**
   (``workbridge.bench_floor``: one indexed lookup per status check, same uvicorn, same number
   of processes) and, with ``--compare advanced-alchemy``, the same status use case through
   Litestar's advanced-alchemy plugin (``workbridge.bench_alchemy``). All are served at once
   and driven in turn, concurrency by concurrency, so a change in the machine's load between
   runs touches all of them alike.
3. The load comes from a separate process (``workbridge.loadgen``) at each concurrency, in two
   workloads: **status** checks (90% known people, 10% unknown → 404) against every app, and
   a **mixed** office day against the service: status checks, household, case and person
   reads, counsellors answering offers and registering job seekers, and Kannel delivering
   texts (``CX`` status queries, ``1 CODE`` acceptances).
4. Before that, the generator's own ceiling at each concurrency, against a bare asyncio server
   with a fixed answer: what the client can do on this machine when the server costs nothing.

Every run reports requests per second, latency percentiles, transport errors, 5xx answers,
expected 4xx (the unknown people's 404) and any other 4xx, how the connections were spread over
the worker processes, and the client's CPU time. Figures are printed, never asserted: they
depend on the machine and on whatever else runs on it, which is why the machine and its load
average before and after are printed beside them.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import Engine, String, cast, func, literal, select, text

from activation.models import Referral, Registration, RegistrationDuty
from activation.referrals import told_note
from benefits.bench import generate, household_count
from benefits.models import Household, Member
from benefits.payment_rules import Month
from kernel.auth import Role, issue_token
from kernel.db import make_engine, session_scope
from kernel.national_id import make_national_id
from kernel.policy import load_profile
from kernel.settings import Settings, normalise_database_url
from matching.models import SeekerProfile
from workbridge import migrations
from workbridge.child_process import ChildProcess

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVICE = "workbridge"
FLOOR = "floor"
ALCHEMY = "advanced-alchemy"
CEILING = "generator alone"
STATUS = "status"
MIXED = "mixed"
DEFAULT_CONNECTIONS = (1, 16, 64, 256)
OFFICE = "东街社区劳动保障服务站"
# How many known ID numbers, households and members each generator gets (it cycles through them
# in random order): enough to spread reads over the county, small enough for a quick plan file.
SAMPLE = 50_000
UNKNOWN_SAMPLE = 2_000
# Members are put in roles by their id's last digit, so every choice is one set-based
# statement: 1 answers an offer through a counsellor, 2 answers one by SMS, 3 texts CX,
# 5 is due to register as a job seeker.
BY_COUNSELLOR, BY_SMS, TEXTS_STATUS, DUE = 1, 2, 3, 5
# SMS answer codes are 3-6 letters and digits (notifications.replies): "Q9" + base 36.
SMS_CODE_LIMIT = 36**4

# (kind, weight in %) of the mixed office workload
MIX: tuple[tuple[str, float], ...] = (
    ("status", 44.7),
    ("household", 10),
    ("case", 10),
    ("person", 10),
    ("answer offer", 7),
    ("register", 5),
    ("sms CX", 9),
    ("sms accept", 4),
    # The county's desk, as rare as a few people at the county make it: a supervisor's
    # oversight report (the whole county's month, grouped; seconds each at 100,000
    # households), an officer's list of replays.
    ("oversight", 0.1),
    ("replays", 0.2),
)


@dataclass(frozen=True)
class LoadOptions:
    households: int = 100_000
    workers: int = 2
    seconds: float = 10.0
    warmup: float = 2.0
    connections: tuple[int, ...] = DEFAULT_CONNECTIONS
    compare: tuple[str, ...] = ()
    workloads: tuple[str, ...] = (STATUS, MIXED)
    seed: int = 2026
    keep: bool = False
    # Status checks are measured in interleaved rounds (service, floor, floor, service, …): the
    # speed of this virtual machine drifts by tens of per cent within minutes, and a ratio taken
    # from one run of each, one after the other, measured the drift as much as the service.
    rounds: int = 3


@dataclass(frozen=True)
class Office:
    """What the synthetic county gives the generator to ask for."""

    officer: str
    counsellor: str
    supervisor: str
    callback: str
    known_ids: list[str]
    unknown_ids: list[str]
    households: int
    members: list[int]
    offers: list[int]  # referral ids a counsellor answers
    sms_offers: list[str]  # "from=…&text=1 CODE" query parts
    due: list[int]  # member ids whose registration is due
    status_texters: list[str]  # "from=…&text=CX" query parts


@dataclass(frozen=True)
class Driven:
    """What one run of the generator brought back."""

    result: dict[str, Any]
    spread: tuple[int, ...]  # established connections per worker process, mid-run
    machine_cpu: float  # cores busy on the whole machine over the measured window
    bench_cpu: float  # of which the generator and the server under test


@dataclass(frozen=True)
class Measured:
    workload: str
    app: str
    connections: int
    result: dict[str, Any]
    spread: tuple[int, ...]  # established connections per worker process, mid-run
    # Cores busy over the measured window, on the whole machine and in the bench's own
    # processes (generator and server): the difference is everyone else (and, on PostgreSQL,
    # the database server), so a row measured while others were busy shows it.
    machine_cpu: float = 0.0
    bench_cpu: float = 0.0
    round: int = 0

    @property
    def per_second(self) -> float:
        return float(self.result["per_second"])

    @property
    def latency(self) -> dict[str, float]:
        return self.result["latency_ms"]

    @property
    def transport_errors(self) -> int:
        return sum(self.result["transport_errors"].values())

    @property
    def server_errors(self) -> int:
        return int(self.result["server_errors"])


def measured(
    workload: str, app: str, connections: int, driven: Driven, round_: int = 0
) -> Measured:
    return Measured(
        workload,
        app,
        connections,
        driven.result,
        driven.spread,
        driven.machine_cpu,
        driven.bench_cpu,
        round_,
    )


@dataclass
class LoadReport:
    machine: str
    database: str
    households: int
    workers: int
    threads: int
    seconds: float
    load_before: tuple[float, float, float]
    rounds: int = 1
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    setup_seconds: float = 0.0
    runs: list[Measured] = field(default_factory=list)

    def rounds_of(self, workload: str, app: str, connections: int) -> list[Measured]:
        return [
            run
            for run in self.runs
            if (run.workload, run.app, run.connections) == (workload, app, connections)
        ]

    def find(self, workload: str, app: str, connections: int) -> Measured | None:
        """The app's median round (by requests/s) at that concurrency: the row printed."""
        runs = sorted(self.rounds_of(workload, app, connections), key=lambda r: r.per_second)
        return runs[(len(runs) - 1) // 2] if runs else None

    def round_ratios(self, app: str, connections: int) -> list[float]:
        """Service/floor for each round, the two runs of a round taken back to back."""
        floors = {r.round: r for r in self.rounds_of(STATUS, FLOOR, connections)}
        return [
            run.per_second / floors[run.round].per_second
            for run in self.rounds_of(STATUS, app, connections)
            if run.round in floors and floors[run.round].per_second
        ]

    def versus_floor(self, run: Measured) -> float | None:
        """The median of the rounds' ratios (a round's pair shares the machine's mood)."""
        if run.workload != STATUS:
            return None
        ratios = sorted(self.round_ratios(run.app, run.connections))
        if not ratios:
            return None
        middle = len(ratios) // 2
        return ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2


# --- the county -------------------------------------------------------------------------------


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def sms_code(member_id: int) -> str:
    """A short offer code people can type: "Q9" and the member id in base 36 (4 places)."""
    return "Q9" + _base36(member_id).rjust(4, "0")


def _phone(member_id: int) -> str:
    return f"+86139{member_id + 10_000_000}"


def _role(column: Any, *digits: int) -> Any:
    return (column % 10).in_(digits)


def prepare_office(engine: Engine, today: date, now: datetime, version: str) -> dict[str, int]:
    """Registered job seekers (registration and seeker profile, as registering writes them)
    with one open offer each, registrations due, mobile numbers: set-based statements over the
    member table (a few INSERT … SELECT, one UPDATE, one bulk INSERT of the offers), never a
    statement per person. Returns the rows written per table."""
    member = Member.__table__  # type: ignore[attr-defined]
    registration = Registration.__table__  # type: ignore[attr-defined]
    duty = RegistrationDuty.__table__  # type: ignore[attr-defined]
    referral = Referral.__table__  # type: ignore[attr-defined]
    profile = SeekerProfile.__table__  # type: ignore[attr-defined]
    household = Household.__table__  # type: ignore[attr-defined]
    written: dict[str, int] = {}
    with engine.begin() as conn:
        seekers = select(
            member.c.id,
            literal(OFFICE),
            literal(today - timedelta(days=60)),
            literal("bench"),
            literal(now, registration.c.created_at.type),
            literal(now, registration.c.updated_at.type),
        ).where(_role(member.c.id, BY_COUNSELLOR, BY_SMS))
        conn.execute(
            registration.insert().from_select(
                [
                    "member_id",
                    "office",
                    "registered_on",
                    "registered_by",
                    "created_at",
                    "updated_at",
                ],
                seekers,
            )
        )
        # What registration writes beside the registration row: the profile matching uses.
        stamp = literal(now, profile.c.created_at.type)
        profiles = select(
            member.c.id,
            literal(OFFICE),
            literal([], profile.c.skills.type),
            literal([], profile.c.skills.type),
            literal([], profile.c.skills.type),
            literal(40),
            literal(["day"], profile.c.shifts.type),
            literal(10.0),
            literal("none"),
            literal(False),
            literal(False),
            literal(0),
            household.c.community,
            member.c.work_capacity,
            member.c.disability,
            member.c.serious_illness,
            literal(True),
            stamp,
            stamp,
        ).where(household.c.id == member.c.household_id, _role(member.c.id, BY_COUNSELLOR, BY_SMS))
        conn.execute(
            profile.insert().from_select(
                [
                    "member_id",
                    "labour_office",
                    "desired_occupations",
                    "skills",
                    "training_wishes",
                    "hours_per_week",
                    "shifts",
                    "max_commute_km",
                    "physical_limit",
                    "childcare",
                    "accepts_outside_county",
                    "reservation_wage_fen",
                    "community",
                    "work_capacity",
                    "disability",
                    "serious_illness",
                    "active",
                    "created_at",
                    "updated_at",
                ],
                profiles,
            )
        )
        due = select(
            member.c.id,
            literal(today - timedelta(days=30)),
            literal({"reason": "able to work (synthetic)"}, duty.c.assessment.type),
            literal(version),
        ).where(_role(member.c.id, DUE))
        conn.execute(
            duty.insert().from_select(
                ["member_id", "obligated_since", "assessment", "parameter_version"], due
            )
        )
        conn.execute(
            member.update()
            .where(_role(member.c.id, BY_SMS, TEXTS_STATUS))
            .values(phone=literal("+86139") + cast(member.c.id + 10_000_000, String))
        )
        offered = [
            row[0]
            for row in conn.execute(
                select(member.c.id)
                .where(_role(member.c.id, BY_COUNSELLOR, BY_SMS))
                .order_by(member.c.id)
            )
        ]
        offer = {
            "employer": "定远县华丰服装厂",
            "title": "缝纫工",
            "occupation": "6-05-01-03",
            "monthly_wage": "2400.00",
            "hours_per_week": 40,
            "shift": "day",
            "place": "东街社区",
            "physical_demand": "light",
            "source": "local_employer",
        }
        referred = today - timedelta(days=3)
        rows = [
            {
                "member_id": member_id,
                "kind": "vacancy",
                "target_id": None,
                "offer": offer,
                "code": sms_code(member_id) if member_id < SMS_CODE_LIMIT else f"C{member_id}",
                "referred_on": referred,
                "answer_due_on": referred + timedelta(days=7),
                "channel": "in_person",
                "delivered": True,
                "delivered_at": now,
                "delivery_note": told_note("in_person"),
                "suitable": True,
                "suitability": {"suitable": True, "checks": [], "note": "synthetic"},
                "made_by": "bench",
                "state": "open",
                "created_at": now,
            }
            for member_id in offered
        ]
        if rows:
            conn.execute(referral.insert(), rows)
        for name, table in (
            ("registration", registration),
            ("seeker_profile", profile),
            ("registration_duty", duty),
        ):
            written[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        written["referral"] = len(rows)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return written


def build_county(
    engine: Engine, settings: Settings, households: int, seed: int, progress: Callable[[str], None]
) -> Office:
    today = date.today()
    now = datetime.now(UTC)
    month = Month.of(today)
    version = load_profile(settings.policy_profile).at(month.first).version_id
    progress(f"generating {households:,} households")
    generate(engine, households, month, version, seed=seed)
    progress("adding job seekers, offers, registrations due and phone numbers")
    prepare_office(engine, today, now, version)
    rng = random.Random(seed)
    with engine.connect() as conn:
        members = conn.execute(select(Member.__table__.c.id, Member.__table__.c.national_id))
        ids, known = [], []
        for member_id, national_id in members:
            ids.append(member_id)
            known.append(national_id)
        referral = Referral.__table__  # type: ignore[attr-defined]
        offers = conn.execute(select(referral.c.id, referral.c.member_id, referral.c.code)).all()
    known = rng.sample(known, min(len(known), SAMPLE))
    unknown = [
        make_national_id("110101", date(1960 + i % 50, 1 + i % 12, 1 + i % 28), i, "female")
        for i in range(UNKNOWN_SAMPLE)
    ]
    counsellor_offers = [rid for rid, member_id, _ in offers if member_id % 10 == BY_COUNSELLOR]
    sms_offers = [
        _mo(_phone(member_id), f"1 {code}")
        for _, member_id, code in offers
        if member_id % 10 == BY_SMS and member_id < SMS_CODE_LIMIT
    ]
    rng.shuffle(counsellor_offers)
    rng.shuffle(sms_offers)
    due = [m for m in ids if m % 10 == DUE]
    rng.shuffle(due)
    texters = [_mo(_phone(m), "CX") for m in ids if m % 10 == TEXTS_STATUS]
    with session_scope(engine) as session:
        _, officer = issue_token(session, role=Role.BENEFIT_OFFICER, name="bench officer", now=now)
        _, counsellor = issue_token(session, role=Role.COUNSELLOR, name="bench counsellor", now=now)
        _, supervisor = issue_token(session, role=Role.SUPERVISOR, name="bench supervisor", now=now)
    return Office(
        officer=officer,
        counsellor=counsellor,
        supervisor=supervisor,
        callback=secrets.token_urlsafe(24),
        known_ids=known,
        unknown_ids=unknown,
        households=households,
        members=rng.sample(ids, min(len(ids), SAMPLE)),
        offers=counsellor_offers,
        sms_offers=sms_offers,
        due=due,
        status_texters=texters,
    )


def _mo(phone: str, message: str) -> str:
    """The part of Kannel's get-url query that names the sender and the text."""
    return f"from={quote(phone)}&text={quote(message)}"


# --- the workloads ----------------------------------------------------------------------------


def status_kinds(office: Office) -> list[dict[str, Any]]:
    officer = {"Authorization": f"Bearer {office.officer}"}
    return [
        {
            "name": "status",
            "weight": 90,
            "path": "/api/v1/status/{}",
            "values": office.known_ids,
            "headers": officer,
            "expect": [200],
        },
        {
            "name": "status (unknown)",
            "weight": 10,
            "path": "/api/v1/status/{}",
            "values": office.unknown_ids,
            "headers": officer,
            "expect": [404],
        },
    ]


def _slice(values: Sequence[Any], part: int, parts: int) -> list[Any]:
    """The part-th of ``parts`` disjoint slices: once-only values are never shared by runs."""
    size = len(values) // parts
    return list(values[part * size : (part + 1) * size])


def mixed_kinds(office: Office, part: int, parts: int) -> list[dict[str, Any]]:
    weights = dict(MIX)
    officer = {"Authorization": f"Bearer {office.officer}"}
    counsellor = {"Authorization": f"Bearer {office.counsellor}"}
    households = [
        str(i)
        for i in random.Random(part).sample(
            range(1, office.households + 1), min(office.households, SAMPLE)
        )
    ]
    members = [str(m) for m in office.members]
    registration = json.dumps(
        {"office": OFFICE, "hours_per_week": 40, "shifts": ["day"], "max_commute_km": 10}
    )
    answers = [
        json.dumps({"answer": "accepted"}),
        json.dumps({"answer": "declined", "reason": "孩子生病, 需要在家照顾"}),
        json.dumps({"answer": "no_answer"}),
    ]
    kannel = f"/webhooks/sms/kannel/{office.callback}/mo?{{}}&to=10690000&id={{seq}}"
    status = status_kinds(office)
    for kind in status:
        kind["weight"] = kind["weight"] * weights["status"] / 100
    return [
        *status,
        {
            "name": "household",
            "weight": weights["household"],
            "path": "/api/v1/households/{}",
            "values": households,
            "headers": officer,
        },
        {
            "name": "case",
            "weight": weights["case"],
            "path": "/api/v1/cases/{}",
            "values": households,  # one case per synthetic household, the same ids
            "headers": officer,
        },
        {
            "name": "person",
            "weight": weights["person"],
            "path": "/api/v1/activation/people/{}",
            "values": members,
            "headers": counsellor,
        },
        {
            "name": "answer offer",
            "weight": weights["answer offer"],
            "method": "POST",
            "path": "/api/v1/activation/referrals/{}/answer",
            "values": [str(r) for r in _slice(office.offers, part, parts)],
            "bodies": answers,
            "once": True,
            "headers": counsellor,
            "expect": [201],
        },
        {
            "name": "register",
            "weight": weights["register"],
            "method": "POST",
            "path": "/api/v1/activation/people/{}/registration",
            "values": [str(m) for m in _slice(office.due, part, parts)],
            "bodies": [registration],
            "once": True,
            "headers": counsellor,
            "expect": [201],
        },
        {
            "name": "sms CX",
            "weight": weights["sms CX"],
            "path": kannel,
            "values": office.status_texters,
        },
        {
            "name": "sms accept",
            "weight": weights["sms accept"],
            "path": kannel,
            "values": _slice(office.sms_offers, part, parts),
            "once": True,
        },
        {
            "name": "oversight",
            "weight": weights["oversight"],
            "path": "/api/v1/oversight/report",
            "headers": {"Authorization": f"Bearer {office.supervisor}"},
            "expect": [200],
        },
        {
            "name": "replays",
            "weight": weights["replays"],
            "path": "/api/v1/replays?limit=20",
            "headers": officer,
            "expect": [200],
        },
    ]


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


class Served(ChildProcess):
    """One app under uvicorn in its own process group, with its log in the scratch folder."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        super().__init__(name, [*command, "--port", str(self.port)], env, folder)

    def wait_ready(self, workers: int, timeout: float = 120) -> None:
        self.wait_until(lambda: self._answers(workers), timeout)

    def _answers(self, workers: int) -> bool:
        """Every worker has started and /health answers."""
        if self.log().count("Application startup complete") < workers:
            return False
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=5).is_success
        except httpx.TransportError:
            return False

    def workers(self) -> list[int]:
        return worker_processes(self.process.pid)

    def processes(self) -> list[int]:
        """The parent and its workers: all the CPU the app costs."""
        return sorted({self.process.pid, *self.workers()})

    def spread(self) -> tuple[int, ...]:
        return tuple(connections_held(self.port, self.workers()))

    def stop(self, timeout: float = 60) -> int | None:
        return super().stop(timeout)


def worker_processes(parent: int) -> list[int]:
    """The processes that accept connections: uvicorn's workers (spawned by multiprocessing
    under the parent), or the parent itself when it serves alone."""
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return [parent]
    spawned = []
    for child in children:
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                spawned.append(int(child))
    return spawned or [parent]


def connections_held(port: int, pids: list[int]) -> list[int]:
    """Established TCP connections to ``port`` held by each process (Linux /proc): the worker
    that accepted a connection answers every request sent on it."""
    established: set[int] = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
                established.add(int(fields[9]))
    held = []
    for pid in pids:
        inodes = set()
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(int(target[8:-1]))
        held.append(len(inodes & established))
    return held


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) the processes have used so far, from /proc."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time every core of the machine has spent not idle since boot, from /proc/stat."""
    with contextlib.suppress(OSError, ValueError):
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return (sum(values) - values[3] - values[4]) / CLOCK_TICKS  # less idle and iowait
    return 0.0


def drive(
    folder: Path,
    port: int,
    kinds: list[dict[str, Any]],
    connections: int,
    options: LoadOptions,
    nonce: str,
    serving: Callable[[], list[int]],
    watch: Served | None = None,
) -> Driven:
    """One run of the generator in its own process. Over the measured window it also samples
    the CPU time of the whole machine and of the bench's own processes (the generator and
    ``serving``, the server's processes), and half-way through, how the connections were
    spread over ``watch``'s workers."""
    plan = {
        "host": "127.0.0.1",
        "port": port,
        "connections": connections,
        "seconds": options.seconds,
        "warmup": options.warmup,
        "timeout": 60,
        "seed": options.seed,
        "nonce": nonce,
        "kinds": kinds,
    }
    plan_path = folder / f"plan-{nonce}.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    generator = subprocess.Popen(
        [sys.executable, "-m", "workbridge.loadgen", str(plan_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert generator.stderr is not None
    spread: tuple[int, ...] = ()
    machine = bench = 0.0
    if generator.stderr.readline().strip() == "measuring":
        pids = [generator.pid, *serving()]
        machine, bench = machine_busy_seconds(), cpu_seconds(pids)
        if watch is not None:
            time.sleep(options.seconds / 2)
            spread = watch.spread()
        if generator.stderr.readline().strip() == "measured":
            machine = machine_busy_seconds() - machine
            bench = cpu_seconds(pids) - bench
    out, err = generator.communicate(timeout=options.seconds + 180)
    plan_path.unlink()
    if generator.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{err}")
    return Driven(json.loads(out), spread, machine / options.seconds, bench / options.seconds)


# --- the run ----------------------------------------------------------------------------------


def database_version(engine: Engine) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            full = str(conn.execute(text("SHOW server_version")).scalar_one())
        return f"PostgreSQL {full.split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} (WAL)"


def describe_machine() -> str:
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/meminfo") as handle:
        memory = f", {int(handle.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    return (
        f"{platform.machine()}, {os.cpu_count()} cores{memory}, Linux {platform.release()}, "
        f"Python {platform.python_version()}, uvicorn {package_version('uvicorn')}, "
        f"Litestar {package_version('litestar')}, SQLAlchemy {package_version('sqlalchemy')}"
    )


def _load() -> tuple[float, float, float]:
    return os.getloadavg()


@contextlib.contextmanager
def _scratch(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="workbridge-bench-load-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def run_load(
    options: LoadOptions,
    database_url: str | None,
    progress: Callable[[str], None] = lambda _: None,
) -> LoadReport:
    """Build the county, serve it, measure every workload at every concurrency."""
    settings = Settings.from_env()
    with _scratch(options.keep) as folder:
        if options.keep:
            progress(f"scratch folder (kept): {folder}")
        url = normalise_database_url(database_url or f"sqlite:///{folder / 'county.db'}")
        started = time.perf_counter()
        migrations.upgrade(url, quiet=True)
        engine = make_engine(url)
        try:
            if household_count(engine):
                raise ValueError(
                    "the benchmark writes a synthetic county: point WORKBRIDGE_DATABASE_URL at "
                    "an empty database (or unset it for a scratch SQLite file)"
                )
            office = build_county(engine, settings, options.households, options.seed, progress)
            report = LoadReport(
                machine=describe_machine(),
                database=database_version(engine),
                households=options.households,
                workers=options.workers,
                threads=settings.threads,
                seconds=options.seconds,
                load_before=_load(),
                rounds=options.rounds,
            )
        finally:
            engine.dispose()
        report.setup_seconds = time.perf_counter() - started
        _measure(report, options, office, url, folder, progress)
        report.load_after = _load()
        return report


def _measure(
    report: LoadReport,
    options: LoadOptions,
    office: Office,
    url: str,
    folder: Path,
    progress: Callable[[str], None],
) -> None:
    env = {
        **os.environ,
        "WORKBRIDGE_DATABASE_URL": url,
        "WORKBRIDGE_LOG_LEVEL": "WARNING",
        "WORKBRIDGE_SMS_CALLBACK_TOKEN": office.callback,
        "WORKBRIDGE_SMS_GATEWAY": "console",
        "WORKBRIDGE_SCHEDULER": "off",
        "WORKBRIDGE_SMS_WORKER_IN_APP": "false",
    }
    workers = ["--workers", str(options.workers)]
    # every app served the same way: workers with a socket each (workbridge.serving)
    uvicorn = [sys.executable, "-m", "workbridge.serving", *workers]
    apps = [
        (SERVICE, [_bin("workbridge"), "serve", *workers]),
        (FLOOR, [*uvicorn, "workbridge.bench_floor:create_app"]),
    ]
    if ALCHEMY in options.compare:
        apps.append((ALCHEMY, [*uvicorn, "workbridge.bench_alchemy:create_app"]))

    progress("measuring the generator's own ceiling")
    echo_port = free_port()
    echo = subprocess.Popen(
        [sys.executable, "-m", "workbridge.loadgen", "--echo", str(echo_port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert echo.stdout is not None
        echo.stdout.readline()  # "ready"
        trivial = [{"name": "fixed answer", "path": "/api/v1/status/{}", "values": ["x"]}]
        for connections in options.connections:
            driven = drive(
                folder,
                echo_port,
                trivial,
                connections,
                options,
                f"ceiling-{connections}",
                serving=lambda: [echo.pid],
            )
            report.runs.append(measured("ceiling", CEILING, connections, driven))
    finally:
        echo.terminate()
        echo.wait(timeout=30)

    served: dict[str, Served] = {}
    try:
        for name, command in apps:
            served[name] = Served(name, command, env, folder)
        for name, server in served.items():
            progress(f"starting {name} ({options.workers} worker processes)")
            server.wait_ready(options.workers)
        if STATUS in options.workloads:
            for connections in options.connections:
                for round_ in range(options.rounds):
                    # alternate who goes first, so neither always follows the other's warm-up
                    order = list(served.items())
                    for name, server in order if round_ % 2 == 0 else reversed(order):
                        progress(
                            f"status checks, {connections} connections: {name} "
                            f"(round {round_ + 1} of {options.rounds})"
                        )
                        driven = drive(
                            folder,
                            server.port,
                            status_kinds(office),
                            connections,
                            options,
                            f"status-{name}-{connections}-{round_}",
                            serving=server.processes,
                            watch=server,
                        )
                        report.runs.append(measured(STATUS, name, connections, driven, round_))
        if MIXED in options.workloads:
            server = served[SERVICE]
            for part, connections in enumerate(options.connections):
                progress(f"mixed office day, {connections} connections")
                driven = drive(
                    folder,
                    server.port,
                    mixed_kinds(office, part, len(options.connections)),
                    connections,
                    options,
                    f"mixed-{connections}",
                    serving=server.processes,
                    watch=server,
                )
                report.runs.append(measured(MIXED, SERVICE, connections, driven))
    finally:
        for server in served.values():
            server.stop()
        for server in served.values():
            log = server.log()
            if "Traceback" in log:
                progress(
                    f"{server.name} logged a traceback:\n{log[log.index('Traceback') :][:4000]}"
                )


# --- printing ---------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                str(c).ljust(w) if i < 2 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return [line(header), rule, *(line(r) for r in rows)]


def _cells(report: LoadReport, run: Measured) -> list[str]:
    result, latency = run.result, run.latency
    ratio = report.versus_floor(run)
    cpu = result["client_cpu_seconds"] / run.result["seconds"] if run.result["seconds"] else 0
    return [
        f"{run.per_second:,.0f}",
        f"{latency['p50']:.1f}",
        f"{latency['p95']:.1f}",
        f"{latency['p99']:.1f}",
        str(run.transport_errors),
        str(run.server_errors),
        str(result["expected_4xx"]),
        str(result["unexpected"]),
        "" if ratio is None or run.app == FLOOR else f"{ratio:.2f}",
        "/".join(str(n) for n in run.spread),
        f"{cpu:.0%}",
        f"{run.machine_cpu:.0%} / {run.bench_cpu:.0%}",
    ]


HEADER = (
    "connections",
    "app",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "5xx",
    "4xx expected",
    "4xx other",
    "vs floor",
    "conns/worker",
    "client CPU",
    "CPU machine / bench",
)


def render(report: LoadReport) -> str:
    """The report as plain text: the machine, one table per workload, targets."""
    out = [
        f"machine: {report.machine}",
        f"database: {report.database}; {report.households:,} households; {report.workers} "
        f"worker processes × {report.threads} request threads; {report.seconds:g} s measured "
        f"per run; set-up {report.setup_seconds:.0f} s",
        "load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}"
        "".format(*report.load_before, *report.load_after),
        "",
    ]
    sections = (
        ("ceiling", "the generator's own ceiling (a bare asyncio server, fixed answer)"),
        (STATUS, "status checks: GET /api/v1/status/{id}, 90% known, 10% unknown (404)"),
        (MIXED, "mixed office day: " + ", ".join(f"{k} {w}%" for k, w in MIX)),
    )
    for workload, title in sections:
        runs = [r for r in report.runs if r.workload == workload and r.round == 0]
        if not runs:
            continue
        out.append(f"{title}:")
        shown = [report.find(workload, r.app, r.connections) or r for r in runs]
        rows = [[str(r.connections), r.app, *_cells(report, r)] for r in shown]
        out.extend(_table(HEADER, rows))
        if workload == STATUS and report.rounds > 1:
            out.append(
                f"each row is the app's median of {report.rounds} interleaved rounds; vs floor is "
                "the median of the rounds' ratios:"
            )
            for run in runs:
                if run.app != FLOOR:
                    each = report.round_ratios(run.app, run.connections)
                    out.append(
                        f"  {run.app}, {run.connections} connections: "
                        + " ".join(f"{ratio:.2f}" for ratio in each)
                    )
        out.append("")
    mixed = [r for r in report.runs if r.workload == MIXED]
    if mixed:
        out.append("mixed office day by kind (completed; p50 / p99 ms; statuses):")
        kinds = list(mixed[0].result["by_kind"])
        rows = []
        for kind in kinds:
            row = [kind, ""]
            for run in mixed:
                seen = run.result["by_kind"][kind]
                statuses = ",".join(f"{s}×{n}" for s, n in seen["statuses"].items())
                latency = seen["latency_ms"]
                row.append(
                    f"{seen['completed']}; {latency['p50']:.0f} / {latency['p99']:.0f}; {statuses}"
                    + (" (used up)" if seen["exhausted"] else "")
                )
            rows.append(row)
        header = ["kind", "", *(f"{r.connections} connections" for r in mixed)]
        out.extend(_table(header, rows))
        out.append("")
    target = report.find(STATUS, SERVICE, 64)
    if target is not None:
        ratio = report.versus_floor(target)
        out.append(
            f"targets (status, {report.workers} workers, 64 connections): service/floor "
            f"{ratio:.2f} (target ≥ 0.6), p99 {target.latency['p99']:.1f} ms (target ≤ 100)"
            if ratio is not None
            else ""
        )
    failures = [
        r
        for r in report.runs
        if r.workload != "ceiling" and (r.server_errors or r.transport_errors)
    ]
    out.append(
        "5xx and transport errors: none"
        if not failures
        else "5xx and transport errors in: "
        + ", ".join(f"{r.workload}/{r.app}/{r.connections}" for r in failures)
    )
    return "\n".join(out)
