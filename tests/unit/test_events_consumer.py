"""The events consumer on its own (no broker): what it takes, what it dead-letters, and
that a store outage makes it wait, not dead-letter, within seconds."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from shared.domain.events import NotificationDelivered, registry
from shared.event_schema import RecordedEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.store import EventStore
from shared.messaging import events_consumer
from shared.messaging.events_consumer import EventsConsumer
from shared.messaging.routes import on
from shared.privacy.dead_letters import REASONS

KEYS = ChainKeys.single("test", "test-chain-key-0123456789")


class DeadLetters:
    """A publisher that keeps what it is given (the consumer's dead-letter topic)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    async def publish(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)

    @property
    def reasons(self) -> list[str]:
        return [e["reason"] for e in self.entries]


class Source:
    topic, partition, offset = "events", 0, 0


async def stored_event(store: EventStore) -> RecordedEvent:
    event = NotificationDelivered(request_id="r-00000001", notification_id="n", attempt=1)
    [record] = await store.append("applicant-1", [registry.to_new_event(event)], 0)
    return record


def consumer(
    store: EventStore, handled: list[str], letters: DeadLetters, confirm: Any = None
) -> EventsConsumer:
    async def handle(event: NotificationDelivered, record: RecordedEvent) -> None:
        handled.append(record.event_id)

    return EventsConsumer(
        "test",
        [on(NotificationDelivered, handle)],
        letters,  # type: ignore[arg-type]
        KEYS,
        confirm=confirm or store.holds,
    )


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_consumer, "FIRST_PAUSE_SECONDS", 0.01)
    monkeypatch.setattr(events_consumer, "LONGEST_PAUSE_SECONDS", 0.02)


async def test_a_store_outage_is_waited_for_not_dead_lettered() -> None:
    store = EventStore(InMemoryRecorder(), KEYS)
    record = await stored_event(store)
    calls = 0

    async def flaky(seen: RecordedEvent) -> bool:
        nonlocal calls
        calls += 1
        if calls <= 3:
            raise AutoReconnect("the store is away")
        return await store.holds(seen)

    handled: list[str] = []
    letters = DeadLetters()
    await consumer(store, handled, letters, flaky).on_batch(
        [record.model_dump_json().encode()], [Source()]
    )
    assert (handled, letters.entries, calls) == ([record.event_id], [], 4)


async def test_only_what_the_log_holds_is_handled() -> None:
    store = EventStore(InMemoryRecorder(), KEYS)
    record = await stored_event(store)
    never_stored = record.model_copy(update={"event_id": "other"})
    never_stored = never_stored.model_copy(
        update={"hash": KEYS.seal(never_stored.model_dump())}  # sealed, as with a leaked key
    )
    unsealed = record.model_copy(update={"event_id": "forged", "hash": "0" * 64})
    handled: list[str] = []
    letters = DeadLetters()
    bodies = [r.model_dump_json().encode() for r in (unsealed, never_stored, record, record)]
    await consumer(store, handled, letters).on_batch(
        [b"{", *bodies], [Source()] * (len(bodies) + 1)
    )
    assert letters.reasons == ["not_an_event", "unsealed", "not_in_log"]
    assert handled == [record.event_id, record.event_id]  # handlers drop repeats themselves


def test_every_reason_the_consumer_gives_is_one_the_documents_list() -> None:
    given = set(re.findall(r'Refused\("(\w+)"', inspect.getsource(events_consumer)))
    given |= set(re.findall(r'"(handler_failed)"', inspect.getsource(events_consumer)))
    assert given == {"not_an_event", "unsealed", "not_in_log", "unreadable_event", "handler_failed"}
    assert given <= set(REASONS)


def test_a_fetch_waits_as_the_settings_say() -> None:
    """One batch carries several events when a fetch waits for them (settings.fetch).
    `_connection_args` is what FastStream hands aiokafka's consumer."""
    from faststream.kafka import KafkaRouter

    from shared.messaging.fetch import Fetch
    from shared.settings import InfraSettings

    router = KafkaRouter()
    fetch = InfraSettings(kafka_fetch_min_bytes=4321, kafka_fetch_max_wait_ms=37).fetch()
    assert fetch == Fetch(4321, 37)
    EventsConsumer("test", [], router.publisher("dead"), KEYS).subscribe(router, "t", "", fetch)
    args = router.subscribers[0]._connection_args  # type: ignore[attr-defined]
    assert (args["fetch_min_bytes"], args["fetch_max_wait_ms"]) == (4321, 37)
