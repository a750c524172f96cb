"""A replay run, kept for good (issue 16: "Runs are kept, cannot be deleted, store aggregates
and the reform, and can be re-run").

What was asked (the months, the office, the changes, the grid, the budget, whether priced whole),
who asked and when, and what came back: the gate and the aggregates — never a person. The
database refuses to delete a run, and to change one once it has finished (migration 0032).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from kernel.db import UTCDateTime


class PolicyReplay(SQLModel, table=True):
    __tablename__ = "policy_replay"

    id: int | None = Field(default=None, primary_key=True)
    requested_at: datetime = Field(sa_type=UTCDateTime, index=True)
    requested_by: str = Field(max_length=160)
    first_month: str = Field(max_length=7)
    last_month: str = Field(max_length=7)
    office: str | None = Field(default=None, max_length=120)
    changes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    grid: list[str] = Field(sa_column=Column(JSON, nullable=False))
    budget: str | None = Field(default=None, max_length=24)
    whole: bool = False  # a reform of several changes priced once, without its stacking steps
    rerun_of: int | None = Field(default=None, foreign_key="policy_replay.id")
    state: str = Field(max_length=16)  # running | finished | failed
    gate_passed: bool | None = None
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
