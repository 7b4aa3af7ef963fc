"""Publishes stored events to Kafka and only then clears their not-yet-published mark.

Why not a transaction: FerretDB has none, and MongoDB's would not span Kafka anyway.
The event document carries its own mark, so a crash anywhere leads to publishing again
(consumers drop events they have seen by event id), never to an event left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from shared.events.base import RecordedEvent
from shared.eventstore.port import EventStore

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Return only once every event is durably accepted by the broker; raise otherwise."""


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        publisher: EventPublisher,
        batch_size: int = 500,
        idle_seconds: float = 0.1,
        retry_seconds: float = 1.0,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._retry_seconds = retry_seconds

    async def relay_once(self) -> int:
        """Publish one batch of unpublished events; returns how many."""
        events = await self._store.unpublished(self._batch_size)
        if not events:
            return 0
        await self._publisher.publish(events)
        await self._store.mark_published([e.event_id for e in events])
        return len(events)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; waits briefly when idle, longer after a failure."""
        while not stop.is_set():
            try:
                done = await self.relay_once()
            except Exception as exc:  # keep relaying: the events stay marked
                log.warning("relay batch failed, will retry: %s", type(exc).__name__)
                done, pause = 0, self._retry_seconds
            else:
                pause = self._idle_seconds
            if done == 0:
                try:
                    await asyncio.wait_for(stop.wait(), pause)
                except TimeoutError:
                    pass
