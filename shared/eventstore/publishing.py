"""What a store hands its events to once they are in the log (Kafka, in the services), and
how a writer publishes its own appends in the background."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from shared.event_schema.base import RecordedEvent
from shared.eventstore.batching import Batcher
from shared.observability import tracing

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Return only once every event is durably accepted by the broker; raise otherwise."""


CLEAR_EVERY_SECONDS = 0.5  # well inside the relay's min age (2 s): it leaves them be


class Publications:
    """Appends' records published as they are stored, many appends per publish, then their
    outbox entries cleared. If publishing fails the entries stay, and the relay publishes
    them later: the append stands.

    Clearing waits up to `clear_every` seconds and takes everything published meanwhile
    in one command: a delete per publish was a third of a writer's store commands. An
    entry left by a crash in between is published again by the relay (consumers drop
    event ids they have seen)."""

    def __init__(
        self,
        publisher: EventPublisher,
        clear_pending: Callable[[Sequence[int]], Awaitable[None]],
        max_events: int,
        clear_every: float = CLEAR_EVERY_SECONDS,
    ) -> None:
        self._publisher = publisher
        self._clear_pending = clear_pending
        self._clear_every = clear_every
        self._published: list[int] = []  # positions whose entries are still to clear
        self._clearing: asyncio.Task[None] | None = None
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
        """Wait for the publications under way and clear their entries (e.g. before
        shutting down)."""
        while self._under_way:
            await asyncio.gather(*self._under_way, return_exceptions=True)
        if self._clearing is not None:
            self._clearing.cancel()
            await asyncio.gather(self._clearing, return_exceptions=True)
        await self._clear_now()

    async def _publish(self, batches: list[list[RecordedEvent]]) -> list[None]:
        records = [r for batch in batches for r in batch]
        try:
            await self._publisher.publish(records)
        except Exception as exc:
            log.warning("publishing failed; the relay will: %s", type(exc).__name__)
            return [None] * len(batches)
        self._published.extend(r.position for r in records)
        if self._clearing is None or self._clearing.done():
            self._clearing = asyncio.create_task(self._clear_soon())
        return [None] * len(batches)

    async def _clear_soon(self) -> None:
        await asyncio.sleep(self._clear_every)
        await self._clear_now()

    async def _clear_now(self) -> None:
        positions, self._published = self._published, []
        if not positions:
            return
        try:
            await self._clear_pending(positions)
        except Exception as exc:  # the relay settles them: stored, so published again
            log.warning("clearing published entries failed: %s", type(exc).__name__)
