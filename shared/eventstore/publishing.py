"""What a store hands its events to once they are in the log (Kafka, in the services)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.events.base import RecordedEvent


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Return only once every event is durably accepted by the broker; raise otherwise."""
