"""Publishes what writers left in the outbox, then removes the entries.

Why an outbox and not a transaction: FerretDB has none, and MongoDB's would not span
Kafka anyway. Every event is written to the outbox before the log (see store.py), so a
crash anywhere leads to publishing again (consumers drop event ids they have seen),
never to an event left behind.

A writer that has a publisher publishes its own events right after storing them and
clears their entries (publishing.py); the relay then only sweeps up after writers that died
or could not reach Kafka: it leaves entries younger than `min_age` to their writers.
Without publishing writers (min_age 0) it publishes everything, in position order. Each
event goes out in its writer's trace: the context stored with its entry (recorder.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from prometheus_client import Counter, Gauge

from shared.eventstore.outbox import Settled
from shared.eventstore.publishing import EventPublisher
from shared.eventstore.store import EventStore

__all__ = ["EventPublisher", "OutboxRelay"]

log = logging.getLogger(__name__)

BACKLOG = Gauge("jemput_relay_backlog", "Outbox entries the last look found (at most one batch)")
PUBLISHED = Counter("jemput_relay_published_total", "Events the relay published")
FAILURES = Counter("jemput_relay_failures_total", "Relay batches that failed", ["error"])
OLDEST = Gauge(
    "jemput_outbox_oldest_age_seconds",
    "Age of the oldest outbox entry the last look found (0: none): stored, not yet on Kafka",
)


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        publisher: EventPublisher,
        batch_size: int = 500,
        grace: timedelta = timedelta(seconds=10),
        idle_seconds: float = 0.05,
        retry_seconds: float = 1.0,
        min_age: timedelta = timedelta(0),
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._grace = grace  # how long a writer may take between outbox and log
        self._idle_seconds = idle_seconds
        self._retry_seconds = retry_seconds
        self._min_age = min_age  # entries younger than this are their writers' to publish

    async def relay_once(self) -> int:
        """Publish what is ready of one outbox batch; returns how many entries it settled."""
        entries = await self._store.pending(self._batch_size)
        BACKLOG.set(len(entries))
        oldest = min((e.recorded_at for e in entries), default=None)
        OLDEST.set(0 if oldest is None else (self._store.now() - oldest).total_seconds())
        if self._min_age:
            now = self._store.now()
            entries = [e for e in entries if now - e.recorded_at >= self._min_age]
        verdicts = await self._store.settle(entries, self._grace)
        # Stop at the first entry still in flight, so no stream's events overtake each other.
        ready = []
        for entry, verdict in zip(entries, verdicts, strict=True):
            if verdict is Settled.IN_FLIGHT:
                break
            ready.append((entry, verdict))
        publish = [e for e, v in ready if v is Settled.STORED]
        if publish:
            await self._publisher.publish(publish)
            PUBLISHED.inc(len(publish))
        await self._store.clear_pending([e.position for e, _ in ready])
        return len(ready)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; waits briefly when idle, longer after a failure."""
        while not stop.is_set():
            try:
                done = await self.relay_once()
            except Exception as exc:  # keep relaying: the entries stay in the outbox
                log.warning("relay batch failed, will retry: %s", type(exc).__name__)
                FAILURES.labels(type(exc).__name__).inc()
                done, pause = 0, self._retry_seconds
            else:
                pause = self._idle_seconds
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
