"""News from the benefits context that other contexts react to (through the kernel bus)."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.events import DomainEvent


@dataclass(frozen=True)
class HouseholdChanged(DomainEvent):
    """Members, circumstances, applications or case status changed: duties may have changed."""

    household_id: int
