"""News from the benefits context that other contexts react to (through the kernel bus)."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.events import DomainEvent


@dataclass(frozen=True)
class HouseholdChanged(DomainEvent):
    """Members, circumstances, applications or case status changed: duties may have changed."""

    household_id: int


@dataclass(frozen=True)
class ApplicationDecided(DomainEvent):
    """An application (new or fast re-entry) was approved or rejected."""

    application_id: int
    household_id: int
    kind: str  # new | reentry
    approved: bool
    case_id: int | None
