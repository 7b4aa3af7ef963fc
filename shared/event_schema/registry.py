"""Maps stored event types and schema versions to models; upcasts old versions on read.

Stored events are never rewritten: an event written as version 1 stays version 1 in the
log, and every read brings it forward through the registered upcasters, one step at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationInfo

from shared.event_schema.base import DomainEvent, JsonObject, NewEvent, RecordedEvent

Upcaster = Callable[[JsonObject], JsonObject]
E = TypeVar("E", bound=type[DomainEvent])


class UnknownEventError(LookupError):
    """A stored event whose type, or a step of whose upcasting, is not registered."""


RECORDED = {"recorded": True}  # the validation context of a stored event being read


def recorded(info: ValidationInfo) -> bool:
    """Whether a validator is reading a stored event (rather than new input)."""
    return isinstance(info.context, dict) and info.context.get("recorded") is True


class EventRegistry:
    def __init__(self) -> None:
        self._models: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, model: E) -> E:
        """Class decorator: make `model` readable and writable through this registry."""
        name = model.event_type
        if name in self._models and self._models[name] is not model:
            raise ValueError(f"event type {name!r} is registered twice")
        self._models[name] = model
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: `fn(payload at from_version) -> payload at from_version + 1`."""

        def add(fn: Upcaster) -> Upcaster:
            key = (event_type, from_version)
            if key in self._upcasters:
                raise ValueError(f"two upcasters for {event_type} v{from_version}")
            self._upcasters[key] = fn
            return fn

        return add

    def models(self) -> list[type[DomainEvent]]:
        """Every registered event class, in the order they were registered."""
        return list(self._models.values())

    def model_for(self, event_type: str) -> type[DomainEvent]:
        try:
            return self._models[event_type]
        except KeyError:
            raise UnknownEventError(f"unknown event type {event_type!r}") from None

    def to_new_event(
        self,
        event: DomainEvent,
        *,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> NewEvent:
        """Wrap a domain event for the store. Its type must be registered here."""
        if self.model_for(event.event_type) is not type(event):
            raise UnknownEventError(f"{type(event).__name__} is not the registered model")
        fields: dict[str, Any] = {
            "event_type": event.event_type,
            "schema_version": event.schema_version,
            "payload": event.model_dump(mode="json"),
            "causation_id": causation_id,
            "correlation_id": correlation_id,
        }
        if event_id is not None:
            fields["event_id"] = event_id
        if occurred_at is not None:
            fields["occurred_at"] = occurred_at
        return NewEvent(**fields)

    def upcast(self, event_type: str, schema_version: int, payload: JsonObject) -> JsonObject:
        """Bring `payload` from `schema_version` to the registered model's version."""
        target = self.model_for(event_type).schema_version
        if schema_version > target:
            raise UnknownEventError(
                f"{event_type} v{schema_version} is newer than this code's v{target}"
            )
        for version in range(schema_version, target):
            try:
                step = self._upcasters[(event_type, version)]
            except KeyError:
                raise UnknownEventError(f"no upcaster for {event_type} v{version}") from None
            payload = step(dict(payload))
        return payload

    def load(self, record: RecordedEvent) -> DomainEvent:
        """The domain event a stored record holds, upcast to the current schema."""
        payload = self.upcast(record.event_type, record.schema_version, record.payload)
        # RECORDED: validators that check new input more strictly than before let what was
        # recorded under the old checks through (the log is never rewritten; it must read).
        return self.model_for(record.event_type).model_validate(payload, context=RECORDED)
