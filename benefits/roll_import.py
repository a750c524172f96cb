"""Bringing a county's roll in: every household planned against what Workbridge holds, then
written in batches that a killed import resumes.

A county that adopts Workbridge already pays thousands of households (report 1: one town's
1,248; one county's 20,103), and its roll is the record those payments rest on. So the roll is
taken as it is — each case keeps its history start and its monthly amount — and where the
rules would pay another amount the difference is recorded beside the case and in the result
for a person to review, never silently recomputed (POLICY.md: decisions that change money are
a person's, with their inputs kept).

Stages (issue 13):

1. **check** (``benefits.roll_check``): every problem of every row. A file with any problem is
   refused whole and nothing is written: a household half brought in is worse than none.
2. **plan**, household by household in batches: people are matched by ID number only (the
   check has refused empty and invalid ones). A household none of whose people is in a live
   household is *created*; one that is already in Workbridge with exactly the same people is
   *unchanged* or *differs* (each difference listed, nothing applied); a person found in
   another live household, or a household whose people are split or different, is *refused*
   — who belongs where is for a person to decide, not a silent move.
3. **commit**: each batch of planned households is written in one transaction with the
   import's progress (``RollImport.done_through_line``), set-based (a few statements per
   batch, none per member). The same file imported again resumes an unfinished import, and
   after a finished one finds every household unchanged: a second import changes nothing.
4. **result**: an xlsx with a status per row of the file (``write_result``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlmodel import Session, col

from benefits.models import (
    Application,
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    MemberIncome,
    RollImport,
    RollImportHousehold,
)
from benefits.roll import COLUMNS, INCOME_SOURCES, WORDS, _income_rows, _member_rows, _row
from benefits.roll_check import (
    RollCheck,
    RollHousehold,
    _Line,
    categories_on,
    check_roll,
    check_whole,
)
from benefits.rules import CaseStatus, EntitlementParams, assess_entitlement, next_review_on
from benefits.services import ids_in_live_households
from kernel import audit
from kernel.auth import Principal
from kernel.db import new_session, reader, session_scope
from kernel.messages import N_, Text, as_data, from_data, render, say
from kernel.money import from_fen, to_fen, yuan_text
from kernel.national_id import parse_national_id
from kernel.policy import PolicyBook
from kernel.tabular import RowProblem

BATCH = 500  # households planned and written per transaction

CREATED, UNCHANGED, DIFFERS, REFUSED = "created", "unchanged", "differs", "refused"
ACTION_WORDS = {
    CREATED: N_("created"),
    UNCHANGED: N_("unchanged: as Workbridge holds it"),
    DIFFERS: N_("differs from Workbridge: not changed"),
    REFUSED: N_("refused: for a person to resolve"),
}
# Read from the roll where given; left out of the comparison when a cell is empty, since
# Workbridge then holds its default or what the ID number says.
OPTIONAL_WHEN_EMPTY = frozenset(
    {"sex", "birth_date", "work_capacity", "disability", "approved_on", "next_review_on"}
)
COMPARED = tuple(column.key for column in COLUMNS if column.key != "household_key")
KEYS = [column.key for column in COLUMNS]
HEADINGS = {column.key: column.heading for column in COLUMNS}
IMPORTED = say("brought in from the county's roll, with its amount and history start")
RUNNING = (CaseStatus.ACTIVE.value,)
NOT_PAID = (CaseStatus.SUSPENDED.value,)


@dataclass
class Plan:
    """What the import does (or would do) with one household of the roll, and why."""

    household: RollHousehold
    action: str
    household_id: int | None = None
    computed: Decimal | None = None
    notes: list[Text] = field(default_factory=list)

    @property
    def roll_amount(self) -> Decimal:
        return self.household.case["monthly_amount"]


@dataclass
class ImportReport:
    file_name: str
    households: int = 0
    members: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTION_WORDS, 0))
    problems: list[RowProblem] = field(default_factory=list)
    import_id: int | None = None
    resumed_from_line: int = 0
    parameter_version: str = ""

    @property
    def refused_whole(self) -> bool:
        return bool(self.problems)


Progress = Callable[[int], None]


# --- the amount the rules give ----------------------------------------------------------------


def compare_amount(
    household: RollHousehold, params: EntitlementParams
) -> tuple[Decimal, list[Text]]:
    """The monthly amount the rules give the household on the roll's own facts, and what to
    tell a person when the roll pays another (report 1's categorised assistance).

    Compared only where the roll's own facts say what is paid: an active case is paid its
    entitlement and a suspended one nothing. A job's continuation is paid on the entitlement
    from before the job (report 2: six months at the full or half amount), which today's
    incomes no longer show, and a pending case has not been paid: both are taken as the roll
    has them.
    """
    case = household.case
    incomes = [
        amount
        for values in household.values
        for source, _ in INCOME_SOURCES
        if (amount := values.get(f"income_{source}")) is not None
    ]
    entitlement = assess_entitlement(
        scheme=case["scheme"],
        category=case["category"],
        member_count=len(household.members),
        incomes=incomes,
        params=params,
    )
    roll_amount: Decimal = case["monthly_amount"]
    status = case["status"]
    if status in NOT_PAID:
        expected: Decimal | None = Decimal("0.00")
    elif status in RUNNING:
        expected = entitlement.monthly_amount
    else:
        expected = None
    if expected is None or expected == roll_amount:
        return entitlement.monthly_amount, []
    if status in RUNNING and not entitlement.eligible:
        note = say(
            "per-capita income %(income)s is not below the standard %(standard)s: the rules "
            "would pay nothing, the roll pays %(roll)s",
            income=yuan_text(entitlement.per_capita_income.quantize(Decimal("0.01"))),
            standard=yuan_text(entitlement.standard),
            roll=yuan_text(roll_amount),
        )
    else:
        note = say(
            "the rules give %(computed)s a month (%(version)s), the roll pays %(roll)s: a "
            "difference of %(difference)s, for review",
            computed=yuan_text(expected),
            version=params.version_id,
            roll=yuan_text(roll_amount),
            difference=yuan_text(roll_amount - expected),
        )
    return entitlement.monthly_amount, [note]


# --- matching ---------------------------------------------------------------------------------


def _held_values(session: Session, household_ids: Iterable[int]) -> dict[int, dict[str, dict]]:
    """For households already in Workbridge: each member's values as the roll's export would
    write them and the import would read them back (so an exported roll compares equal)."""
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    members = session.connection().execute(_member_rows(ids))
    incomes = session.connection().execute(_income_rows(ids))
    earned: dict[int, dict[str, Decimal]] = {}
    for income in incomes:
        earned.setdefault(income.member_id, {})[income.source] = from_fen(income.monthly_amount_fen)
    held: dict[int, dict[str, dict]] = {}
    for member in members:
        line = _Line(0, KEYS, _row(member, earned.get(member.id, {})))
        held.setdefault(member.household_id, {})[line.values["national_id"]] = line.values
    return held


def _shown(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in WORDS:
        return WORDS[key].get(value, value)
    if isinstance(value, Decimal):
        return yuan_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def differences(household: RollHousehold, held: dict[str, dict]) -> list[Text]:
    """Every value of the roll that is not what Workbridge holds, line by line."""
    notes: list[Text] = []
    for line, values in zip(household.lines, household.values, strict=True):
        ours = held[values["national_id"]]
        for key in COMPARED:
            theirs = values.get(key)
            if theirs is None and (key in OPTIONAL_WHEN_EMPTY or key not in values):
                continue
            if ours.get(key) != theirs:
                notes.append(
                    say(
                        "line %(line)s, %(column)s: %(ours)s in Workbridge, %(theirs)s on the roll",
                        line=line,
                        column=HEADINGS[key],
                        ours=_shown(key, ours.get(key)),
                        theirs=_shown(key, theirs),
                    )
                )
    return notes


def plan_batch(
    session: Session, batch: Sequence[RollHousehold], params: dict[str, EntitlementParams]
) -> list[Plan]:
    """Match a batch of the roll's households against Workbridge (three queries for the
    batch, none per member) and decide what becomes of each."""
    ids = [member.national_id for household in batch for member in household.members]
    live = ids_in_live_households(session, ids)
    held = _held_values(session, live.values())
    plans: list[Plan] = []
    for household in batch:
        computed, amount_notes = compare_amount(household, params[household.case["scheme"]])
        found = {
            m.national_id: live[m.national_id] for m in household.members if m.national_id in live
        }
        if not found:
            plans.append(Plan(household, CREATED, None, computed, amount_notes))
            continue
        homes = set(found.values())
        home = next(iter(homes))
        people = {m.national_id for m in household.members}
        if len(homes) == 1 and len(found) == len(people) and set(held.get(home, {})) == people:
            notes = differences(household, held[home])
            action = DIFFERS if notes else UNCHANGED
            plans.append(Plan(household, action, home, computed, notes))
            continue
        notes = [
            say(
                "line %(line)s: this person already belongs to live household %(value)s",
                line=line,
                value=found[member.national_id],
            )
            for line, member in zip(household.lines, household.members, strict=True)
            if member.national_id in found
        ]
        if len(homes) == 1 and len(found) == len(people):
            notes.append(
                say(
                    "household %(value)s in Workbridge has other members than the roll, or "
                    "an application under way: a person must decide who belongs where",
                    value=home,
                )
            )
        plans.append(Plan(household, REFUSED, None, computed, notes))
    return plans


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Writer:
    """Who imports, when, under which rules."""

    actor: Principal
    now: datetime
    today: date
    policy: PolicyBook


def _opened(household: RollHousehold) -> date:
    case = household.case
    return case.get("approved_on") or case["status_since"]


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``model``'s table in one batched statement; their new IDs in the
    order given (SQLAlchemy's insertmanyvalues, on SQLite and PostgreSQL alike)."""
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.connection().execute(statement, rows).scalars())


def write_created(session: Session, plans: Sequence[Plan], writer: Writer, version: str) -> None:
    """Write the batch's new households with their members, incomes, application, case, status
    period and audit record: one batched INSERT per table for the whole batch, none per row."""
    if not plans:
        return
    now = writer.now
    rules_now = writer.policy.at(writer.today)
    imported = as_data(IMPORTED)
    places = [plan.household.place for plan in plans]
    homes = _insert(
        session,
        Household,
        [
            {
                "scheme": place.scheme,
                "address": place.address,
                "community": place.community,
                "township": place.township,
                "bank_account": place.bank_account,
                "created_at": now,
            }
            for place in places
            if place is not None
        ],
    )
    member_rows: list[dict[str, Any]] = []
    member_incomes: list[tuple[Any, date]] = []
    for plan, home in zip(plans, homes, strict=True):
        plan.household_id = home
        for given in plan.household.members:
            decoded = parse_national_id(given.national_id)
            member_rows.append(
                {
                    "household_id": home,
                    "name": given.name,
                    "national_id": decoded.value,
                    "sex": decoded.sex,
                    "birth_date": decoded.birth_date,
                    "relation": given.relation,
                    "phone": given.phone,
                    "language": "zh_CN",
                    "work_capacity": given.work_capacity,
                    "disability": given.disability,
                    "serious_illness": False,
                    "student": False,
                    "carer": False,
                    "pregnant": False,
                    "three_nos": False,
                    "official_relative": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            member_incomes.append((given.incomes, _opened(plan.household)))
    member_ids = _insert(session, Member, member_rows)
    # In force from the household's start, so that an assessment on any later day finds them
    # (benefits.incomes: no silent zero income).
    _insert(
        session,
        MemberIncome,
        [
            {
                "member_id": member_id,
                "source": income.source,
                "monthly_amount_fen": to_fen(income.monthly_amount),
                "effective_from": opened,
                "effective_to": None,
                "recorded_at": now,
            }
            for member_id, (incomes, opened) in zip(member_ids, member_incomes, strict=True)
            for income in incomes
        ],
    )
    applications = _insert(
        session,
        Application,
        [
            {
                "household_id": plan.household_id,
                "kind": "new",
                "state": "approved",
                "category_requested": plan.household.case["category"],
                "documents": [],
                "applied_on": _opened(plan.household),
                "appraisal_passed": True,
                "second_approval_required": False,
                "decided_on": _opened(plan.household),
                "decision_reason": str(IMPORTED),
                "decision_said": imported,
                "parameter_version": version,
                "created_at": now,
                "updated_at": now,
            }
            for plan in plans
        ],
    )
    case_rows = []
    for plan, application in zip(plans, applications, strict=True):
        case = plan.household.case
        roll_fen = to_fen(case["monthly_amount"])
        opened = _opened(plan.household)
        half = case["status"] == CaseStatus.CONTINUATION_HALF.value
        case_rows.append(
            {
                "household_id": plan.household_id,
                "application_id": application,
                "scheme": case["scheme"],
                "category": case["category"],
                "status": case["status"],
                "status_since": case["status_since"],
                "status_reason": str(IMPORTED),
                "status_said": imported,
                "monthly_amount_fen": roll_fen,
                # A half continuation pays half of what the case is entitled to; the roll
                # gives only the half, so the entitlement is the rules' on the roll's facts.
                "entitled_amount_fen": to_fen(plan.computed or case["monthly_amount"])
                if half
                else roll_fen,
                "explanation": {
                    "imported": {
                        "roll_amount": yuan_text(case["monthly_amount"]),
                        "computed_amount": None
                        if plan.computed is None
                        else yuan_text(plan.computed),
                        "parameter_version": version,
                        "lines": plan.household.lines,
                        "household_key": plan.household.key,
                        "notes": [as_data(note) for note in plan.notes],
                    }
                },
                "parameter_version": version,
                "opened_on": opened,
                "next_review_on": case.get("next_review_on")
                or next_review_on(opened, case["scheme"], rules_now),
            }
        )
    cases = _insert(session, BenefitCase, case_rows)
    _insert(
        session,
        CaseStatusPeriod,
        [
            {
                "case_id": case_id,
                "status": row["status"],
                "effective_from": row["status_since"],
                "effective_to": None,
                "monthly_amount_fen": row["monthly_amount_fen"],
                "reason": str(IMPORTED),
                "said": imported,
                "rule": "roll-imported",
                "parameter_version": version,
                "actor": writer.actor.label,
                "recorded_at": now,
            }
            for case_id, row in zip(cases, case_rows, strict=True)
        ],
    )
    audit.record_many(
        session,
        actor=writer.actor,
        at=now,
        entity="benefit_case",
        action="imported",
        reason=IMPORTED,
        parameter_version=version,
        entries=[
            (
                case_id,
                {
                    "household_id": plan.household_id,
                    "lines": plan.household.lines,
                    "roll_amount": yuan_text(plan.roll_amount),
                    "computed_amount": None if plan.computed is None else yuan_text(plan.computed),
                    "status": row["status"],
                    "status_since": row["status_since"].isoformat(),
                },
            )
            for case_id, plan, row in zip(cases, plans, case_rows, strict=True)
        ],
    )


# --- the whole import -------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _batches(
    path: Path, categories: dict[str, set[str]], today: date, size: int
) -> Iterator[list[RollHousehold]]:
    batch: list[RollHousehold] = []
    for item in check_roll(path, categories, today):
        if isinstance(item, RollCheck):
            break
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def check_file(path: Path, today: date, policy: PolicyBook) -> ImportReport:
    """Stage 1: every problem of every row (raises ``RollFileError`` for an unreadable file)."""
    params = policy.at(today)
    summary = check_whole(path, categories_on(params), today)
    report = ImportReport(path.name, summary.households, summary.members)
    report.problems = summary.problems
    report.parameter_version = params.version_id
    return report


def preview(
    engine: Engine, path: Path, writer: Writer, *, batch: int = BATCH
) -> tuple[ImportReport, Iterator[Plan]]:
    """Stages 1 and 2: the check, then (if it passed) every household's plan, as a stream;
    nothing is written. The report's counts are complete once the stream is read."""
    report = check_file(path, writer.today, writer.policy)
    if report.refused_whole:
        return report, iter(())

    def plans() -> Iterator[Plan]:
        params = _entitlement_params(writer)
        for households in _batches(
            path, categories_on(writer.policy.at(writer.today)), writer.today, batch
        ):
            with Session(reader(engine)) as session:
                planned = plan_batch(session, households, params)
            for plan in planned:
                report.counts[plan.action] += 1
                yield plan

    return report, plans()


def _entitlement_params(writer: Writer) -> dict[str, EntitlementParams]:
    params = writer.policy.at(writer.today)
    return {scheme: EntitlementParams.from_policy(params, scheme) for scheme in ("urban", "rural")}


def commit(
    engine: Engine,
    path: Path,
    writer: Writer,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    stop_after_batches: int | None = None,
) -> ImportReport:
    """Stages 1–3: check, plan and write, batch by batch. An unfinished import of the same file
    is resumed where it stopped. ``stop_after_batches`` ends the commit early, unfinished (a
    rehearsal of a killed import)."""
    report = check_file(path, writer.today, writer.policy)
    if report.refused_whole:
        return report
    sha = file_sha256(path)
    version = report.parameter_version
    with session_scope(engine) as session:
        run = session.scalars(
            select(RollImport)
            .where(col(RollImport.sha256) == sha, col(RollImport.state) == "committing")
            .order_by(col(RollImport.id).desc())
        ).first()
        if run is None:
            run = RollImport(
                sha256=sha,
                file_name=path.name[:255],
                state="committing",
                households=report.households,
                parameter_version=version,
                started_by=writer.actor.label,
                started_at=writer.now,
                updated_at=writer.now,
            )
            session.add(run)
            session.flush()
        import_id = run.id or 0
        done_through = run.done_through_line
    report.import_id, report.resumed_from_line = import_id, done_through
    params = _entitlement_params(writer)
    categories = categories_on(writer.policy.at(writer.today))
    batches_done = 0
    for households in _batches(path, categories, writer.today, batch):
        todo = [h for h in households if h.lines[-1] > done_through]
        if not todo:
            continue
        if stop_after_batches is not None and batches_done >= stop_after_batches:
            return _counted(engine, report)
        session = new_session(engine)
        try:
            plans = plan_batch(session, todo, params)
            write_created(session, [p for p in plans if p.action == CREATED], writer, version)
            _insert(session, RollImportHousehold, [_outcome(import_id, plan) for plan in plans])
            run = session.get(RollImport, import_id, with_for_update=True)
            assert run is not None
            for plan in plans:
                setattr(run, plan.action, getattr(run, plan.action) + 1)
            run.done_through_line = todo[-1].lines[-1]
            run.updated_at = writer.now
            session.commit()
        finally:
            session.close()
        batches_done += 1
        if progress:
            progress(todo[-1].lines[-1])
    with session_scope(engine) as session:
        run = session.get(RollImport, import_id, with_for_update=True)
        assert run is not None
        run.state, run.finished_at, run.updated_at = "finished", writer.now, writer.now
        audit.record(
            session,
            actor=writer.actor,
            at=writer.now,
            entity="roll",
            entity_id=import_id,
            action="imported",
            parameter_version=version,
            details={
                "file": run.file_name,
                "sha256": sha,
                "households": run.households,
                **{action: getattr(run, action) for action in ACTION_WORDS},
            },
        )
    return _counted(engine, report)


def _outcome(import_id: int, plan: Plan) -> dict[str, Any]:
    return {
        "import_id": import_id,
        "household_key": plan.household.key,
        "lines": plan.household.lines,
        "action": plan.action,
        "household_id": plan.household_id,
        "roll_amount_fen": to_fen(plan.roll_amount),
        "computed_amount_fen": None if plan.computed is None else to_fen(plan.computed),
        "notes": [as_data(note) for note in plan.notes],
    }


def _counted(engine: Engine, report: ImportReport) -> ImportReport:
    with Session(reader(engine)) as session:
        run = session.get(RollImport, report.import_id)
        assert run is not None
        report.counts = {action: getattr(run, action) for action in ACTION_WORDS}
    return report


# --- the result file --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One household's result, as the result file shows it."""

    key: str
    lines: list[int]
    action: str
    household_id: int | None
    roll_amount: Decimal
    computed: Decimal | None
    notes: list[str | Text]


def outcomes_of_plans(plans: Iterable[Plan]) -> Iterator[Outcome]:
    for plan in plans:
        yield Outcome(
            plan.household.key,
            plan.household.lines,
            plan.action,
            plan.household_id,
            plan.roll_amount,
            plan.computed,
            list(plan.notes),
        )


def outcomes_of_import(engine: Engine, import_id: int, batch: int = 2_000) -> Iterator[Outcome]:
    """What a committed import did, read back in the file's order."""
    with reader(engine).connect() as connection:
        table = RollImportHousehold.__table__  # type: ignore[attr-defined]
        rows = connection.execution_options(stream_results=True, yield_per=batch).execute(
            select(table).where(table.c.import_id == import_id).order_by(table.c.id)
        )
        for row in rows:
            yield Outcome(
                row.household_key,
                list(row.lines),
                row.action,
                row.household_id,
                from_fen(row.roll_amount_fen),
                from_fen(row.computed_amount_fen) if row.computed_amount_fen is not None else None,
                [from_data(note) for note in row.notes],
            )


RESULT_HEADINGS = (
    N_("line"),
    N_("household key"),
    N_("result"),
    N_("household in Workbridge"),
    N_("amount on the roll"),
    N_("amount by the rules"),
    N_("notes"),
)


def result_rows(outcomes: Iterable[Outcome], gettext: Any) -> Iterator[list[Any]]:
    """One row per line of the roll: the household's result on each of its lines, the notes
    on the first (a household is brought in or refused as a whole)."""
    for outcome in outcomes:
        notes = "；".join(render(note, gettext) for note in outcome.notes)
        for index, line in enumerate(outcome.lines):
            yield [
                line,
                outcome.key,
                render(ACTION_WORDS[outcome.action], gettext),
                outcome.household_id,
                outcome.roll_amount if index == 0 else None,
                outcome.computed if index == 0 else None,
                notes if index == 0 else None,
            ]


def write_result(target: str | Path, outcomes: Iterable[Outcome], gettext: Any) -> int:
    """The result file (xlsx): a status per row of the roll; returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=render(N_("import result"), gettext)[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for heading in RESULT_HEADINGS:
        cell = WriteOnlyCell(sheet, value=render(heading, gettext))
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    count = 0
    for row in result_rows(outcomes, gettext):
        cells: list[Any] = []
        for value in row:
            if isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "0.00"
                cells.append(cell)
            elif isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    book.save(str(target))
    return count
