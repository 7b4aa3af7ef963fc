"""The relay continues the trace of an event it publishes for a writer: the append's W3C
`traceparent` is stored with its outbox entry, beside the sealed event and never in it,
so the log, its seals and verify are the same traced or not (shared/eventstore/recorder.py).
The real stack: tests/e2e/test_tracing.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from opentelemetry.sdk.trace import TracerProvider

from shared.event_schema.base import NewEvent, RecordedEvent
from shared.eventstore.chain import GENESIS_HASH, ChainKeys
from shared.eventstore.group_commit import seal_events
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.recorder import TRACEPARENT, outbox_document
from shared.eventstore.relay import OutboxRelay
from shared.eventstore.store import EventStore
from shared.observability import tracing

tracer = TracerProvider().get_tracer("test")


class HeaderRecordingPublisher:
    """Takes each event's headers as the Kafka publisher does (shared/messaging/kafka.py)."""

    def __init__(self) -> None:
        self.headers: dict[str, dict[str, str]] = {}

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            self.headers[event.event_id] = tracing.headers_for(event.event_id)


def new(n: int) -> NewEvent:
    return NewEvent(event_type="T", schema_version=1, payload={"n": n})


def trace_of(header: str) -> str:
    return header.split("-")[1]


async def test_an_append_in_a_trace_keeps_it_beside_the_event_not_in_it(
    chain_keys: ChainKeys,
) -> None:
    recorder = InMemoryRecorder()
    store = EventStore(recorder, chain_keys)  # no publisher: a writer that never publishes
    with tracer.start_as_current_span("submit") as span:
        [record] = await store.append("s-1", [new(1)], expected_version=0)
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert trace_of(recorder.outbox[record.position][TRACEPARENT]) == trace_id
    [stored] = recorder.documents.values()
    assert TRACEPARENT not in stored  # the log is what it would be untraced
    assert await store.pending() == [record]  # the entry's event is the sealed one
    assert (await store.verify()).ok


async def test_an_append_outside_a_trace_stores_no_context(chain_keys: ChainKeys) -> None:
    recorder = InMemoryRecorder()
    record = (await EventStore(recorder, chain_keys).append("s-1", [new(1)], 0))[0]
    assert TRACEPARENT not in recorder.outbox[record.position]
    assert tracing.headers_for(record.event_id) == {}


async def test_the_relay_publishes_a_left_event_in_its_appenders_trace(
    chain_keys: ChainKeys,
) -> None:
    store = EventStore(InMemoryRecorder(), chain_keys)
    with tracer.start_as_current_span("submit") as span:
        [record] = await store.append("s-1", [new(1)], expected_version=0)
    tracing.headers_for(record.event_id)  # the writer's memory of it is gone (it died)
    publisher = HeaderRecordingPublisher()
    assert await OutboxRelay(store, publisher).relay_once() == 1
    header = publisher.headers[record.event_id]["traceparent"]
    assert trace_of(header) == format(span.get_span_context().trace_id, "032x")


async def test_a_dead_writers_entry_is_completed_in_its_trace_without_it_in_the_log(
    chain_keys: ChainKeys,
) -> None:
    """The writer wrote ahead and died before inserting: the relay inserts the sealed event
    as it stands (no context in it, the same hash), then publishes it in the writer's trace."""
    recorder = InMemoryRecorder()
    store = EventStore(recorder, chain_keys)
    long_ago = datetime(2026, 11, 1, tzinfo=UTC)
    [dead] = seal_events(chain_keys, "s-1", [new(1)], 0, GENESIS_HASH, 10, long_ago)
    with tracer.start_as_current_span("submit") as span:
        await recorder.write_ahead([outbox_document(dead, tracing.traceparent())])
    publisher = HeaderRecordingPublisher()
    relay = OutboxRelay(store, publisher, grace=timedelta(0))
    assert await relay.relay_once() == 1
    assert await store.read_stream("s-1") == [dead]
    assert all(TRACEPARENT not in doc for doc in recorder.documents.values())
    assert (await store.verify()).ok
    header = publisher.headers[dead.event_id]["traceparent"]
    assert trace_of(header) == format(span.get_span_context().trace_id, "032x")
