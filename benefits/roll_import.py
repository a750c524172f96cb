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
   *unchanged*, *updated* (only phone numbers or the address differ: taken from the roll) or
   *differs* (anything else differs: each difference listed, nothing applied); a person found in
   another live household, or a household whose people are split or different, is *refused*
   — who belongs where is for a person to decide, not a silent move.
3. **commit**: each batch of planned households is written in one transaction with the
   import's progress (``RollImport.done_through_line``), set-based (a few statements per
   batch, none per member). The same file imported again resumes an unfinished import, and
   after a finished one finds every household unchanged: a second import changes nothing.
4. **result**: an xlsx with a status per row of the file (``benefits.roll_result``).

The planning is ``benefits.roll_plan``'s, the writing ``benefits.roll_write``'s; this module
runs the stages, keeps the import's record and carries an upload on in the service.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from benefits.models import (
    RollImport,
    RollImportHousehold,
)
from benefits.roll_check import (
    RollCheck,
    RollFileError,
    RollHousehold,
    categories_on,
    check_roll,
    check_whole,
)
from benefits.roll_plan import ACTION_WORDS, CREATED, UPDATED, Plan, plan_batch
from benefits.roll_write import Writer, insert_rows, write_created, write_updated
from benefits.rules import EntitlementParams
from kernel import audit
from kernel.background import background_work
from kernel.db import new_session, reader, session_scope
from kernel.errors import Conflict, NotFound, Problem, missing
from kernel.locks import take_within, try_lock
from kernel.messages import N_, Text, as_data, say
from kernel.money import to_fen
from kernel.policy import PolicyBook
from kernel.tabular import RowProblem

log = logging.getLogger(__name__)

BATCH = 500  # households planned and written per transaction


@dataclass
class ImportReport:
    file_name: str
    households: int = 0
    members: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTION_WORDS, 0))
    problems: list[RowProblem] = field(default_factory=list)
    import_id: int | None = None
    resumed_from_line: int = 0
    lines: int = 0  # the file's last line
    parameter_version: str = ""

    @property
    def refused_whole(self) -> bool:
        return bool(self.problems)


Progress = Callable[[int], None]


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
    report = ImportReport(path.name, summary.households, summary.members, lines=summary.last_line)
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


IMPORT_LOCK = "roll-import"
UNFINISHED = ("checking", "planning", "committing", "stopped", "failed")
STATE_WORDS = {
    "checking": N_("being checked"),
    "refused": N_("refused: the file has problems"),
    "planning": N_("being planned"),
    "committing": N_("being written"),
    "stopped": N_("stopped: import the same file again to resume"),
    "finished": N_("finished"),
    "failed": N_("failed: import the same file again to resume"),
}
KEPT_PROBLEMS = 1_000  # shown with the import; the command's CSV has every one


def open_import(
    engine: Engine, path: Path, writer: Writer, *, mode: str = "commit", name: str | None = None
) -> int:
    """The import's record: an unfinished commit of the same file (by its SHA-256) is carried
    on where it stopped, anything else starts afresh."""
    sha = file_sha256(path)
    with session_scope(engine) as session:
        run = None
        if mode == "commit":
            run = session.scalars(
                select(RollImport)
                .where(
                    col(RollImport.sha256) == sha,
                    col(RollImport.mode) == "commit",
                    col(RollImport.state).in_(UNFINISHED),
                )
                .order_by(col(RollImport.id).desc())
            ).first()
        if run is None:
            run = RollImport(
                sha256=sha,
                file_name=(name or path.name)[:255],
                mode=mode,
                state="checking",
                parameter_version=writer.policy.at(writer.today).version_id,
                started_by=writer.actor.label,
                started_at=writer.now,
                updated_at=writer.now,
            )
            session.add(run)
            session.flush()
        else:
            run.state, run.updated_at = "checking", writer.now
        return run.id or 0


def _problem_data(problem: RowProblem | Problem) -> dict[str, Any]:
    """A problem of the file kept with its import: a row's, or the whole file's (no row)."""
    message = problem.message
    return {
        "row": getattr(problem, "row", None),
        "field": problem.field,
        "rule": problem.rule,
        "said": as_data(message) if isinstance(message, Text) else str(message),
    }


def _set(engine: Engine, import_id: int, at: datetime, **values: Any) -> RollImport:
    with session_scope(engine) as session:
        run = session.get(RollImport, import_id, with_for_update=True)
        assert run is not None
        for name, value in values.items():
            setattr(run, name, value)
        run.updated_at = at
        session.flush()
        session.expunge(run)
        return run


def process(
    engine: Engine,
    import_id: int,
    path: Path,
    writer: Writer,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    stop_after_batches: int | None = None,
) -> ImportReport:
    """Stages 1–3 for an opened import: check; then plan (a preview keeps what it would do)
    or plan and write (a commit), batch by batch, each batch with the import's progress.

    ``stop``, when set, ends the work after the batch in hand ("stopped": importing the same
    file again resumes); ``stop_after_batches`` does the same after so many batches (a
    rehearsal of a killed import)."""
    try:
        report = check_file(path, writer.today, writer.policy)
    except RollFileError as exc:
        _set(
            engine,
            import_id,
            writer.now,
            state="refused",
            problem_count=len(exc.problems),
            problems=[_problem_data(p) for p in exc.problems],
        )
        raise
    report.import_id = import_id
    if report.refused_whole:
        _set(
            engine,
            import_id,
            writer.now,
            state="refused",
            lines=report.lines,
            households=report.households,
            problem_count=len(report.problems),
            problems=[_problem_data(p) for p in report.problems[:KEPT_PROBLEMS]],
        )
        return report
    try:
        return _carry_on(
            engine, import_id, path, writer, report, batch, progress, stop, stop_after_batches
        )
    except BaseException:
        _set(engine, import_id, writer.now, state="failed")
        raise


def _carry_on(
    engine: Engine,
    import_id: int,
    path: Path,
    writer: Writer,
    report: ImportReport,
    batch: int,
    progress: Progress | None,
    stop: threading.Event | None,
    stop_after_batches: int | None,
) -> ImportReport:
    with Session(reader(engine)) as session:
        committing = get_import(session, import_id).mode == "commit"
    run = _set(
        engine,
        import_id,
        writer.now,
        lines=report.lines,
        households=report.households,
        state="committing" if committing else "planning",
    )
    done_through = report.resumed_from_line = run.done_through_line
    version = run.parameter_version
    params = _entitlement_params(writer)
    categories = categories_on(writer.policy.at(writer.today))
    batches_done = 0
    for households in _batches(path, categories, writer.today, batch):
        todo = [h for h in households if h.lines[-1] > done_through]
        if not todo:
            continue
        if (stop is not None and stop.is_set()) or (
            stop_after_batches is not None and batches_done >= stop_after_batches
        ):
            _set(engine, import_id, writer.now, state="stopped")
            return _counted(engine, report)
        session = new_session(engine)
        try:
            plans = plan_batch(session, todo, params)
            if committing:
                created = [p for p in plans if p.action == CREATED]
                write_created(session, created, writer, version)
                updated = [p for p in plans if p.action == UPDATED]
                write_updated(session, updated, writer, version)
            insert_rows(session, RollImportHousehold, [_outcome(import_id, plan) for plan in plans])
            held = session.get(RollImport, import_id, with_for_update=True)
            assert held is not None
            for plan in plans:
                setattr(held, plan.action, getattr(held, plan.action) + 1)
            held.done_through_line = todo[-1].lines[-1]
            held.updated_at = writer.now
            session.commit()
        finally:
            session.close()
        batches_done += 1
        if progress:
            progress(todo[-1].lines[-1])
    with session_scope(engine) as session:
        held = session.get(RollImport, import_id, with_for_update=True)
        assert held is not None
        held.state, held.finished_at, held.updated_at = "finished", writer.now, writer.now
        held.done_through_line = report.lines
        if committing:
            audit.record(
                session,
                actor=writer.actor,
                at=writer.now,
                entity="roll",
                entity_id=import_id,
                action="imported",
                parameter_version=version,
                details={
                    "file": held.file_name,
                    "sha256": held.sha256,
                    "households": held.households,
                    **{action: getattr(held, action) for action in ACTION_WORDS},
                },
            )
    return _counted(engine, report)


def busy() -> Problem:
    return Problem(
        "file",
        "one-import-at-a-time",
        say("another roll is being brought in; wait for it to finish"),
    )


def commit(
    engine: Engine,
    path: Path,
    writer: Writer,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    stop_after_batches: int | None = None,
) -> ImportReport:
    """Open (or resume) the import of ``path`` and carry it through, here and now. One import
    writes at a time: two at once could each find a person new and create them twice."""
    lock = try_lock(engine, IMPORT_LOCK)
    if lock is None:
        raise Conflict(busy())
    try:
        import_id = open_import(engine, path, writer, mode="commit")
        return process(
            engine,
            import_id,
            path,
            writer,
            batch=batch,
            progress=progress,
            stop_after_batches=stop_after_batches,
        )
    finally:
        lock.release()


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


# --- in the service: started by a request, carried on after it -------------------------------


def start_in_background(
    engine: Engine, folder: Path, path: Path, name: str, writer: Writer, mode: str
) -> RollImport:
    """Open the import of an uploaded file and carry it on in a thread of this process (the
    API answers 202 at once); ``folder``, where the upload was put, is removed when it ends.

    A commit takes the import lock here, so a second one is refused (409) before anything
    starts; the thread gives it back."""
    lock = None
    try:
        if mode == "commit":
            lock = take_within(engine, IMPORT_LOCK)
            if lock is None:
                raise Conflict(busy())
        import_id = open_import(engine, path, writer, mode=mode, name=name)
    except BaseException:
        if lock is not None:
            lock.release()
        shutil.rmtree(folder, ignore_errors=True)
        raise

    def work() -> None:
        try:
            process(engine, import_id, path, writer, stop=background_work.stop)
        except RollFileError:
            pass  # kept with the import as its problems
        except Exception:
            log.exception("roll import %s stopped; import the same file again to resume", import_id)
        finally:
            if lock is not None:
                lock.release()
            shutil.rmtree(folder, ignore_errors=True)

    with Session(reader(engine)) as session:
        opened = get_import(session, import_id)
        session.expunge(opened)
    background_work.start(work, name=f"roll-import-{import_id}")
    return opened


def get_import(session: Session, import_id: int) -> RollImport:
    run = session.get(RollImport, import_id)
    if run is None:
        raise NotFound(missing("import_id", import_id))
    return run


def list_imports(session: Session, limit: int, offset: int) -> list[RollImport]:
    query = select(RollImport).order_by(col(RollImport.id).desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def require_result(run: RollImport) -> None:
    """A result is given for an import that went through its households (all, or as far as
    it came before it was stopped); a refused file has its problems instead."""
    if run.state not in ("finished", "stopped"):
        raise Conflict(
            Problem(
                "import_id",
                "import-not-done",
                say(
                    "the import is %(state)s: its result is given once it has finished",
                    state=say(STATE_WORDS[run.state]),
                ),
            )
        )
