"""A service's consumer of the events topic: it acts only on what is in the log.

Anyone who can write to the topic can publish anything, so a message is taken in four
steps, and what fails a step goes to the dead-letter topic with its reason, never back
into the topic's redelivery (one bad message must not stall a partition):

1. parse: a stored event's JSON, or `not_an_event`;
2. check: its seal, with the chain key (a forged event has none: `unsealed`); then, for a
   service that acts on the store, that the store holds this very event (`not_in_log`):
   the next sealed link of a stream this process holds, or the event stored at its place;
3. read: open its sealed personal fields and load it as a domain event
   (`unreadable_event`);
4. handle: the route's handler; a handler that fails for a reason other than an outage
   (`handler_failed`) is dead-lettered too, to be replayed after a fix.

An outage is not poison: when the store cannot be reached (or a service's own
`redeliver_on` errors, e.g. a channel that stays down) the consumer waits, retrying with
jittered exponential pauses (stamina) so that consumers do not all come back at the same
moment, for up to `MAX_PAUSE_SECONDS`; then the batch is delivered again.

Messages are taken in batches (what one poll returns): one applicant's events in order,
different applicants' concurrently, so their store reads and appends share commands.
Offsets are committed after the whole batch is handled; a batch delivered again is safe
because handlers are idempotent (they derive what they record from the event's id) and
decide on the store's state, not on the message: a replayed old event changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaRouter, Topic
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.publisher.usecase import DefaultPublisher
from prometheus_client import Counter, Gauge

from shared.domain.events import registry
from shared.event_schema import DomainEvent, RecordedEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.errors import store_unavailable
from shared.messaging.consumers import raw_body
from shared.messaging.fetch import Fetch
from shared.messaging.patience import while_store_away
from shared.messaging.routes import Route, Routes, by_event_type
from shared.observability.tracing import handling, received
from shared.privacy.dead_letters import dead_letter
from shared.privacy.personal_data import PersonalData

log = logging.getLogger(__name__)

HANDLED = Counter("jemput_events_handled_total", "Events handled", ["group", "event_type"])
DEAD_LETTERS = Counter(
    "jemput_dead_letters_total", "Messages sent to a dead-letter topic", ["group", "reason"]
)
RETRIES = Counter(
    "jemput_handler_retries_total",
    "Handler runs retried because the store was unavailable",
    ["group", "error"],
)
PAUSED = Gauge("jemput_consumer_paused", "Applicants' events waiting for the store", ["group"])

T = TypeVar("T")
Seen = Callable[[RecordedEvent], object]
Confirm = Callable[[RecordedEvent], Awaitable[bool]]
PersonalDataOf = Callable[[], PersonalData]  # called when needed: wiring may come later
MAX_BATCH = 200
FIRST_PAUSE_SECONDS = 0.25
LONGEST_PAUSE_SECONDS = 5.0
MAX_PAUSE_SECONDS = 180.0  # well inside max.poll.interval.ms (300 s)


class Refused(Exception):
    """A message this consumer will not act on, and why (a dead-letter reason)."""

    def __init__(self, reason: str, error: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


@dataclass(frozen=True)
class Taken:
    """A message that passed every check: the stored record and, opened, its event."""

    record: RecordedEvent
    event: DomainEvent | None  # None for routes that take the record as stored
    route: Route[Any]


@dataclass(frozen=True)
class Parsed:
    """A message as read off the topic: its record, or why it is not one."""

    record: RecordedEvent | None
    error: str
    body: bytes
    source: Any  # its Kafka record (topic, partition, offset)


class EventsConsumer:
    """One consumer group on the events topic, with its routing table."""

    def __init__(
        self,
        group_id: str,
        routes: Routes,
        dead_letters: DefaultPublisher,
        keys: ChainKeys,
        *,
        confirm: Confirm | None = None,
        seen: Seen | None = None,
        personal: PersonalDataOf | None = None,
        redeliver_on: tuple[type[BaseException], ...] = (),
    ) -> None:
        """`keys` check every event's seal. `confirm(record)` says whether the store holds
        it (for a service that acts on the store; without it, a valid seal is trusted, for
        a reader that only counts, idempotently by event id: the dashboard). `seen` is
        told of every sealed event that passes by (the store's `remember`, so that a
        handler's read finds it in memory). `personal` opens sealed personal fields and
        seals dead letters' bodies. `redeliver_on`: a handler's errors that mean "later".
        """
        self.group_id = group_id
        self._routes = by_event_type(routes)
        self._dead_letters = dead_letters
        self._keys = keys
        self._confirm = confirm
        self._seen = seen
        self._personal = personal
        self._redeliver_on = redeliver_on

    def subscribe(
        self, router: KafkaRouter, topic: str, description: str, fetch: Fetch | None = None
    ) -> None:
        fetch = fetch or Fetch()

        @router.subscriber(
            # Not declared by FastStream, which would create it with one partition: the
            # broker's own default (num.partitions, 4 locally) or the operators decide.
            Topic(topic, declare=False),
            group_id=self.group_id,
            auto_offset_reset="earliest",
            decoder=raw_body,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            batch=True,
            max_records=MAX_BATCH,
            fetch_min_bytes=fetch.min_bytes,
            fetch_max_wait_ms=fetch.max_wait_ms,
            description=description,
        )
        async def on_events(bodies: list[bytes], msg: KafkaMessage) -> None:
            # The batch's ConsumerRecords, in order, beside their bodies.
            await self.on_batch(bodies, msg.raw_message)

    async def on_batch(self, bodies: Sequence[bytes], sources: Sequence[Any]) -> None:
        # Parsed in order, before anything waits: the stream cache sees links in order.
        parsed = [self._parse(body, source) for body, source in zip(bodies, sources, strict=True)]
        # Checked and opened together: their store reads share commands.
        taken = await asyncio.gather(*(self._take(item) for item in parsed))
        by_stream: dict[str, list[tuple[Taken, bytes, Any]]] = {}
        for item in taken:
            if item is not None:
                by_stream.setdefault(item[0].record.stream_id, []).append(item)
        await asyncio.gather(*(self._handle_in_order(items) for items in by_stream.values()))

    def _parse(self, body: bytes, source: Any) -> Parsed:
        try:
            record = RecordedEvent.model_validate_json(body)
        except Exception as exc:  # whatever fails to read is this message's fault
            return Parsed(None, type(exc).__name__, body, source)
        if self._seen is not None:
            self._seen(record)  # taken into memory only as a sealed next link
        return Parsed(record, "", body, source)

    async def _take(self, parsed: Parsed) -> tuple[Taken, bytes, Any] | None:
        record, body, source = parsed.record, parsed.body, parsed.source
        try:
            if record is None:
                raise Refused("not_an_event", parsed.error)
            route = self._routes.get(record.event_type)
            if route is None:
                return None  # not this service's business
            received(self.group_id, record.event_id, getattr(source, "headers", None))
            taken = await self._patiently(partial(self._checked, record, route), record)
        except Refused as refused:
            await self._dead_letter(source, body, refused.reason, refused.error)
            return None
        return taken, body, source

    async def _checked(self, record: RecordedEvent, route: Route[Any]) -> Taken:
        if not self._keys.sealed(record.model_dump(), record.hash):
            raise Refused("unsealed", "seal")
        if self._confirm is not None and not await self._confirm(record):
            raise Refused("not_in_log", "not_in_log")
        try:
            if route.handle_record is not None:  # taken as stored: nothing to open
                (route.reads or registry.load)(record)
                return Taken(record, None, route)
            opened = record if self._personal is None else await self._personal().open_one(record)
            return Taken(record, registry.load(opened), route)
        except Exception as exc:
            if store_unavailable(exc):
                raise
            raise Refused("unreadable_event", type(exc).__name__) from None

    async def _handle_in_order(self, items: list[tuple[Taken, bytes, Any]]) -> None:
        for taken, body, source in items:
            record = taken.record
            try:
                with handling(self.group_id, record.event_type, record.event_id):
                    await self._patiently(partial(_run, taken), record)
            except self._redeliver_on:
                raise  # later: the batch comes again
            except Exception as exc:
                if store_unavailable(exc):
                    raise  # waited long enough: the batch comes again
                log.error(
                    "handler failed",
                    extra={"event_id": record.event_id, "error": type(exc).__name__},
                )
                await self._dead_letter(source, body, "handler_failed", type(exc).__name__)
                continue
            HANDLED.labels(self.group_id, record.event_type).inc()
            log.debug(
                "handled", extra={"event_type": record.event_type, "event_id": record.event_id}
            )

    async def _patiently(self, step: Callable[[], Awaitable[T]], record: RecordedEvent) -> T:
        """Run `step`; while the store is unavailable, retry it with jittered pauses."""
        paused = False

        def retrying(attempt: int) -> None:
            nonlocal paused
            RETRIES.labels(self.group_id, "store_unavailable").inc()
            log.warning("store unavailable; retried", extra={"event_id": record.event_id})
            if not paused:
                paused = True
                PAUSED.labels(self.group_id).inc()

        try:
            return await while_store_away(
                step,
                first=FIRST_PAUSE_SECONDS,
                longest=LONGEST_PAUSE_SECONDS,
                limit=MAX_PAUSE_SECONDS,
                retrying=retrying,
            )
        finally:
            if paused:
                PAUSED.labels(self.group_id).dec()

    async def _dead_letter(self, source: Any, body: bytes, reason: str, error: str) -> None:
        personal = None if self._personal is None else self._personal()
        entry = await dead_letter(personal, source, body, reason, error=error)
        await self._dead_letters.publish(entry)
        DEAD_LETTERS.labels(self.group_id, reason).inc()


async def _run(taken: Taken) -> None:
    route = taken.route
    if route.handle_record is not None:
        await route.handle_record(taken.record)
    elif route.handle is not None and taken.event is not None:
        await route.handle(taken.event, taken.record)
