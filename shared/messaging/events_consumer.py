"""Subscribe a service to the events topic with a table of handlers by event class.

The table is the service's routing, in one place, built with `on(EventClass, handler)` so
that each handler is typed for the events it gets. Each handler gets the domain event and
its stored record; it must be idempotent (derive the ids of what it records from the
record's event id). A message that is not a stored event of a known type goes to the
dead-letter topic and is skipped.

A handler that fails because the store cannot be reached (or did not answer in time) is
not poison: the consumer pauses on that applicant's events and retries the handler, with
a growing pause, until the store is back (or `MAX_PAUSE_SECONDS` pass, when the batch is
delivered again: the group must hear from us within aiokafka's max.poll.interval.ms).

Messages are taken in batches (what one poll returns): one applicant's events are handled
in order, different applicants' concurrently, so their store reads and appends share
commands (the store coalesces them). Offsets are committed only after the whole batch is
handled; if a handler fails, the batch is delivered again and handlers drop repeats.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaRouter, Topic
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.publisher.usecase import DefaultPublisher
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from shared.domain.events import registry
from shared.event_schema import DomainEvent, RecordedEvent, UnknownEventError
from shared.eventstore.chain import ChainKeys
from shared.http import store_unavailable
from shared.messaging.consumers import raw_body
from shared.privacy.crypto import UnreadableError
from shared.privacy.dead_letters import dead_letter
from shared.privacy.personal_data import MissingDataKeyError, PersonalData
from shared.tracing import handling, received

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

E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[E, RecordedEvent], Awaitable[None]]
Seen = Callable[[RecordedEvent], object]
PersonalDataOf = Callable[[], PersonalData]  # called when needed: wiring may come later
MAX_BATCH = 200
FIRST_PAUSE_SECONDS = 0.25
LONGEST_PAUSE_SECONDS = 5.0
MAX_PAUSE_SECONDS = 180.0  # well inside max.poll.interval.ms (300 s)


RecordHandler = Callable[[RecordedEvent], Awaitable[None]]


@dataclass(frozen=True)
class Route(Generic[E]):
    event: type[E]
    handle: Handler[E] | None = None
    handle_record: RecordHandler | None = None  # takes the record as stored, sealed
    reads: Callable[[RecordedEvent], object] | None = None  # what must parse, or dead letter


def on(event: type[E], handle: Handler[E]) -> Route[E]:
    """One line of a routing table: events of class `event` go to `handle`."""
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


def subscribe_events(
    router: KafkaRouter,
    topic: str,
    group_id: str,
    dead_letter_topic: str,
    routes: Routes,
    description: str,
    dead_letters: DefaultPublisher | None = None,
    seen: Seen | None = None,
    personal: PersonalDataOf | None = None,
    keys: ChainKeys | None = None,
) -> None:
    """`seen` is told of every stored event that passes by (e.g. the store's `remember`,
    so that a handler's read of the stream finds it already in memory). `personal` opens
    sealed personal fields before the event is read (handlers get the opened event and
    the sealed record) and seals dead letters' bodies. With `keys`, an event whose seal
    does not check (forged on the topic) goes to the dead-letter topic: for a consumer that
    takes what it reads as true, without the store (the dashboard)."""
    by_type: dict[str, Route[Any]] = {}
    for route in routes:
        if route.event.event_type in by_type:
            raise ValueError(f"two handlers for {route.event.__name__}")
        by_type[route.event.event_type] = route
    if dead_letters is None:
        dead_letters = router.publisher(
            dead_letter_topic, description="Events this service could not read"
        )

    @router.subscriber(
        # Not declared by FastStream, which would create it with one partition: the
        # broker's own default (num.partitions, 4 locally) or the operators decide.
        Topic(topic, declare=False),
        group_id=group_id,
        auto_offset_reset="earliest",
        decoder=raw_body,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=MAX_BATCH,
        description=description,
    )
    async def on_events(bodies: list[bytes], msg: KafkaMessage) -> None:
        sources: Sequence[Any] = msg.raw_message  # the batch's ConsumerRecords, in order
        by_stream: dict[str, list[tuple[DomainEvent | None, RecordedEvent]]] = {}
        # Read together (in order): opening sealed fields reads data keys, and concurrent
        # reads share one command.
        items = await asyncio.gather(
            *(_read(body, source) for body, source in zip(bodies, sources, strict=True))
        )
        for item in items:
            if item is not None:
                by_stream.setdefault(item[1].stream_id, []).append(item)
        await asyncio.gather(*(_handle_in_order(items) for items in by_stream.values()))

    async def _read(body: bytes, source: Any) -> tuple[DomainEvent | None, RecordedEvent] | None:
        try:
            record = RecordedEvent.model_validate_json(body)
        except ValidationError as exc:
            await dead_letters.publish(
                await _dead_letter(source, body, "not_an_event", type(exc).__name__)
            )
            DEAD_LETTERS.labels(group_id, "not_an_event").inc()
            return None
        if seen is not None:
            seen(record)
        route = by_type.get(record.event_type)
        if route is None:
            return None  # not this service's business
        received(group_id, record.event_id, getattr(source, "headers", None))  # its trace
        if keys is not None and not keys.sealed(record.model_dump(), record.hash):
            await dead_letters.publish(await _dead_letter(source, body, "unsealed", "seal"))
            DEAD_LETTERS.labels(group_id, "unsealed").inc()
            return None
        try:
            if route.handle_record is not None:  # taken as stored: nothing to open
                (route.reads or registry.load)(record)
                return None, record
            opened = record if personal is None else await personal().open_one(record)
            return registry.load(opened), record
        except (UnknownEventError, ValidationError, UnreadableError, MissingDataKeyError) as exc:
            await dead_letters.publish(
                await _dead_letter(source, body, "unreadable_event", type(exc).__name__)
            )
            DEAD_LETTERS.labels(group_id, "unreadable_event").inc()
            return None

    async def _handle_in_order(items: list[tuple[DomainEvent | None, RecordedEvent]]) -> None:
        for event, record in items:
            with handling(group_id, record.event_type, record.event_id):
                await _handle_patiently(event, record)
            HANDLED.labels(group_id, record.event_type).inc()
            log.debug(
                "handled", extra={"event_type": record.event_type, "event_id": record.event_id}
            )

    async def _dead_letter(raw: Any, body: bytes, reason: str, error: str) -> dict[str, Any]:
        return await dead_letter(
            None if personal is None else personal(), raw, body, reason, error=error
        )

    async def _handle_patiently(event: DomainEvent | None, record: RecordedEvent) -> None:
        route = by_type[record.event_type]
        waited, pause = 0.0, FIRST_PAUSE_SECONDS
        while True:
            try:
                if route.handle_record is not None:
                    await route.handle_record(record)
                elif route.handle is not None and event is not None:
                    await route.handle(event, record)
                return
            except Exception as exc:
                if not store_unavailable(exc) or waited >= MAX_PAUSE_SECONDS:
                    raise
                RETRIES.labels(group_id, type(exc).__name__).inc()
                log.warning(
                    "store unavailable; pausing before a retry",
                    extra={"error": type(exc).__name__, "event_id": record.event_id},
                )
            PAUSED.labels(group_id).inc()
            try:
                await asyncio.sleep(pause)
            finally:
                PAUSED.labels(group_id).dec()
            waited += pause
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
