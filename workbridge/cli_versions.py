"""``workbridge policy --propose FILE``: the versions of a profile file proposed in the service.

A county that keeps its parameters in a file (the shape of ``kernel/policy_profiles``) proposes
the file's new versions here; each then goes the way of one proposed on the page — replayed,
and signed off by a second person (``activation.replay.versions``). Versions the book has
already, or that were proposed before, are left alone, so the same file can be given again
after it grows.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from activation.replay import versions
from activation.replay.version_rules import ChangeAsk, VersionAsk
from kernel.clock import office_today
from kernel.db import session_scope, settings_engine
from kernel.errors import DomainError, InvalidInput, Problem
from kernel.messages import say
from kernel.parameter_versions import live_book
from workbridge.cli_common import (
    command_clock,
    command_settings,
    console,
    console_operator,
    print_problems,
)


def version_asks(document: dict[str, Any]) -> list[VersionAsk]:
    return [
        VersionAsk(
            version=str(entry.get("id", "")),
            effective_from=_day(entry.get("effective_from")),
            note=str(entry.get("note", "")),
            changes=tuple(
                ChangeAsk(key, _written(spec.get("value")), str(spec.get("basis", "")))
                for key, spec in (entry.get("params") or {}).items()
            ),
        )
        for entry in document.get("version", [])
    ]


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "")


def _written(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def propose_file(path: str) -> int:
    settings = command_settings()
    source = Path(path)
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        print_problems(
            InvalidInput([Problem("file", "profile-file", say("%(error)s", error=str(exc)))])
        )
        return 2
    engine = settings_engine(settings)
    clock = command_clock(settings, engine)
    book = live_book(engine, settings.policy_profile)
    with session_scope(engine) as session:
        known = versions.taken_labels(session, book)
    actor = console_operator().label
    status = 0
    for ask in version_asks(document):
        if ask.version in known:
            console.print(f"{ask.version}: in the book or proposed already; left alone")
            continue
        try:
            with session_scope(engine) as session:
                row = versions.propose(
                    session,
                    book,
                    ask,
                    actor=actor,
                    now=clock.now(),
                    today=office_today(clock, settings.zone),
                )
                console.print(
                    f"{row.version}: proposed as parameter version {row.id}; replay it and have "
                    "a second person sign it off at /app/parameter-versions"
                )
        except DomainError as exc:
            console.print(f"[red]{ask.version}:[/red]")
            print_problems(exc)
            status = 2
    engine.dispose()
    return status
