"""A consumer's routing table: which handler gets which event class, in one place.

Built with `on(EventClass, handler)` so that each handler is typed for the events it gets,
or `on_record(...)` for a reader that takes events as stored, sealed (the dashboard).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.event_schema import DomainEvent, RecordedEvent

E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[E, RecordedEvent], Awaitable[None]]
RecordHandler = Callable[[RecordedEvent], Awaitable[None]]


@dataclass(frozen=True)
class Route(Generic[E]):
    event: type[E]
    handle: Handler[E] | None = None
    handle_record: RecordHandler | None = None  # takes the record as stored, sealed
    reads: Callable[[RecordedEvent], object] | None = None  # what must parse, or dead letter


def on(event: type[E], handle: Handler[E]) -> Route[E]:
    """One line of a routing table: events of class `event` go to `handle`, opened."""
    return Route(event, handle=handle)


def on_record(
    event: type[E], handle: RecordHandler, reads: Callable[[RecordedEvent], object] | None = None
) -> Route[E]:
    """Events of class `event` go to `handle` as they were stored: sealed personal fields
    stay sealed and nothing is opened, for a reader that needs only what is in clear and
    holds no keys (the dashboard). `reads(record)` parses what the handler will read (by
    default the whole event); what does not parse goes to the dead-letter topic."""
    return Route(event, handle_record=handle, reads=reads)


Routes = Sequence[Route[Any]]


def by_event_type(routes: Routes) -> dict[str, Route[Any]]:
    table: dict[str, Route[Any]] = {}
    for route in routes:
        if route.event.event_type in table:
            raise ValueError(f"two handlers for {route.event.__name__}")
        table[route.event.event_type] = route
    return table
