"""Event models: what happened, as frozen pydantic models with a schema version."""

from shared.event_schema.base import DomainEvent, NewEvent, RecordedEvent, utc_millis
from shared.event_schema.registry import EventRegistry, UnknownEventError

__all__ = [
    "DomainEvent",
    "EventRegistry",
    "NewEvent",
    "RecordedEvent",
    "UnknownEventError",
    "utc_millis",
]
