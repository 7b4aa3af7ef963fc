"""What a store hands its events to once they are in the log (Kafka, in the services), and
how a writer publishes its own appends in the background."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from shared import tracing
from shared.event_schema.base import RecordedEvent
from shared.eventstore.batching import Batcher

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Return only once every event is durably accepted by the broker; raise otherwise."""


class Publications:
    """Appends' records published as they are stored, many appends per publish, then their
    outbox entries cleared. If publishing fails the entries stay, and the relay publishes
    them later: the append stands."""

    def __init__(
        self,
        publisher: EventPublisher,
        clear_pending: Callable[[Sequence[int]], Awaitable[None]],
        max_events: int,
    ) -> None:
        self._publisher = publisher
        self._clear_pending = clear_pending
        self._under_way: set[asyncio.Task[None]] = set()
        self._batches: Batcher[list[RecordedEvent], None] = Batcher(
            self._publish, max_events, weight=len
        )

    def start(self, records: list[RecordedEvent]) -> None:
        """Publish in the background: stored is what the caller waits for."""
        tracing.remember([r.event_id for r in records])  # the caller's trace goes with them
        task = asyncio.create_task(self._batches.submit(records))
        self._under_way.add(task)
        task.add_done_callback(self._under_way.discard)

    async def flush(self) -> None:
        """Wait for the publications under way (e.g. before shutting down)."""
        while self._under_way:
            await asyncio.gather(*self._under_way, return_exceptions=True)

    async def _publish(self, batches: list[list[RecordedEvent]]) -> list[None]:
        records = [r for batch in batches for r in batch]
        try:
            await self._publisher.publish(records)
        except Exception as exc:
            log.warning("publishing failed; the relay will: %s", type(exc).__name__)
            return [None] * len(batches)
        await self._clear_pending([r.position for r in records])
        return [None] * len(batches)
