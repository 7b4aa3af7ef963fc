"""The relay publishes every stored event at least once, in order, whatever fails when."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import pytest

from shared.event_schema.base import NewEvent, RecordedEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.relay import OutboxRelay
from shared.eventstore.store import EventStore
from tests.waiting import eventually


class RecordingPublisher:
    """Keeps what it was given; can be told to fail before or after 'sending'."""

    def __init__(self) -> None:
        self.sent: list[RecordedEvent] = []
        self.fail_before = False
        self.fail_after = False
        self.attempts = 0

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        self.attempts += 1
        if self.fail_before:
            raise ConnectionError("broker down")
        self.sent.extend(events)
        if self.fail_after:
            raise ConnectionError("acknowledgement lost")


def new(n: int) -> NewEvent:
    return NewEvent(event_type="T", schema_version=1, payload={"n": n})


@pytest.fixture
def recorder() -> InMemoryRecorder:
    return InMemoryRecorder()


@pytest.fixture
def store(recorder: InMemoryRecorder, chain_keys: ChainKeys) -> EventStore:
    return EventStore(recorder, chain_keys)


async def fill(store: EventStore, streams: int, per_stream: int) -> None:
    for v in range(per_stream):
        for s in range(streams):
            await store.append(f"s{s}", [new(v)], expected_version=v)


async def test_publishes_in_position_order_and_empties_the_outbox(
    store: EventStore,
) -> None:
    await fill(store, streams=3, per_stream=4)
    publisher = RecordingPublisher()
    relay = OutboxRelay(store, publisher, batch_size=5)
    assert [await relay.relay_once() for _ in range(4)] == [5, 5, 2, 0]
    positions = [e.position for e in publisher.sent]
    assert len(positions) == 12
    assert positions == sorted(set(positions))
    assert await store.pending() == []


async def test_a_failed_publish_keeps_the_events_for_next_time(store: EventStore) -> None:
    await fill(store, streams=1, per_stream=3)
    publisher = RecordingPublisher()
    relay = OutboxRelay(store, publisher)
    publisher.fail_before = True
    with pytest.raises(ConnectionError):
        await relay.relay_once()
    publisher.fail_before = False
    assert await relay.relay_once() == 3
    assert len(publisher.sent) == 3


async def test_a_crash_after_sending_republishes_rather_than_loses(
    store: EventStore,
) -> None:
    await fill(store, streams=2, per_stream=2)
    publisher = RecordingPublisher()
    publisher.fail_after = True
    with pytest.raises(ConnectionError):
        await OutboxRelay(store, publisher).relay_once()
    publisher.fail_after = False
    await OutboxRelay(store, publisher).relay_once()  # a new relay, as after a restart
    ids = [e.event_id for e in publisher.sent]
    assert len(Counter(ids)) == 4  # none missing
    assert set(Counter(ids).values()) == {2}  # each published twice


async def test_run_keeps_going_after_failures_and_stops_when_told(
    store: EventStore,
) -> None:
    await fill(store, streams=1, per_stream=2)
    publisher = RecordingPublisher()
    publisher.fail_before = True
    stop = asyncio.Event()
    relay = OutboxRelay(store, publisher, idle_seconds=0.01, retry_seconds=0.01)
    task = asyncio.create_task(relay.run(stop))
    await eventually(lambda: publisher.attempts >= 3, what="several failed rounds")
    publisher.fail_before = False
    await eventually(lambda: len(publisher.sent) == 2, what="the events after recovery")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(publisher.sent) == 2


async def test_an_entry_in_flight_holds_back_later_ones_and_void_ones_are_dropped(
    store: EventStore, recorder: InMemoryRecorder
) -> None:
    [first] = await store.append("s", [new(1)], expected_version=0)
    p = first.position
    in_flight = first.model_copy(update={"event_id": "slow", "version": 2, "position": p + 1})
    void = first.model_copy(update={"event_id": "lost-race", "position": p + 2})  # v1 is taken
    recorder.outbox[p + 1] = {"_id": "s:2", **in_flight.model_dump()}
    recorder.outbox[p + 2] = {"_id": "s:1", **void.model_dump()}
    publisher = RecordingPublisher()
    relay = OutboxRelay(store, publisher, grace=timedelta(minutes=5))
    assert await relay.relay_once() == 1
    assert [e.event_id for e in publisher.sent] == [first.event_id]
    assert sorted(recorder.outbox) == [p + 1, p + 2]  # waiting for the slow writer
    await recorder.insert([{"_id": "s:0000000002", **in_flight.model_dump()}])  # it arrives
    assert await relay.relay_once() == 2
    assert [e.event_id for e in publisher.sent] == [first.event_id, "slow"]
    assert recorder.outbox == {}
