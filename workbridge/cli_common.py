"""What every ``workbridge`` command shares: the console it prints to, its settings and clock,
who runs it (for the audit log), and how a refused action is shown."""

from __future__ import annotations

import argparse
from typing import Any, TypeAlias

from rich.console import Console

from kernel.auth import Principal, Role
from kernel.clock import Clock, SystemClock
from kernel.errors import DomainError
from kernel.settings import Settings
from kernel.training_clock import TrainingClock, parse_clock_setting
from kernel.working_days import calendar_for, configure_working_days

# what each command module's add_… function adds its command to
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

console = Console()


def command_settings() -> Settings:
    """The settings of a command, and what they configure for the whole process (the working
    days a re-entry decision is due in)."""
    settings = Settings.from_env()
    configure_working_days(calendar_for(settings.holidays_file))
    return settings


def command_clock(settings: Settings, engine: Any) -> Clock:
    """The real clock, or a training copy's (kernel.training_clock), for jobs run by hand."""
    start = parse_clock_setting(settings.clock)
    if start is None:
        return SystemClock()
    return TrainingClock(engine, start, settings.zone).load()


def console_operator() -> Principal:
    """Who runs a command at the console, for the audit log: the operating-system user."""
    import getpass

    try:
        name = getpass.getuser()
    except Exception:
        name = "unknown"
    return Principal(kind="cli", id=0, name=name, role=Role.ADMIN)


def print_problems(exc: DomainError) -> None:
    console.print(f"[red]{exc.title}[/red]")
    for problem in exc.problems:
        where = f"{problem.field}: " if problem.field else ""
        console.print(f"  {where}{problem.message}  [dim]({problem.rule})[/dim]")
