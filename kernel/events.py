"""Domain events: how a leaf context tells others about news without importing them.

Handlers run synchronously inside the publisher's transaction, so an event's effects commit or
roll back with the change that caused it. The composition root (``workbridge``) subscribes
handlers once at start-up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True)
class DomainEvent:
    """Base class; concrete events are frozen dataclasses named in the past tense."""


Handler = Callable[[Session, Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def publish(self, session: Session, event: DomainEvent) -> None:
        for event_type in type(event).__mro__:
            for handler in self._handlers.get(event_type, []):  # type: ignore[arg-type]
                handler(session, event)


bus = EventBus()
