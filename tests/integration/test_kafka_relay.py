"""Stored events reach a FastStream consumer through the real broker, keyed and in order."""

from __future__ import annotations

import uuid
from collections import defaultdict

from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from pymongo.asynchronous.database import AsyncDatabase

from shared.event_schema.base import NewEvent, RecordedEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.recorder import Document
from shared.eventstore.relay import OutboxRelay
from shared.eventstore.store import EventStore
from shared.messaging.kafka import KafkaEventPublisher, make_broker
from tests.waiting import eventually


async def test_relay_delivers_every_event_keyed_by_stream_in_stream_order(
    mongo_db: AsyncDatabase[Document], chain_keys: ChainKeys, kafka_bootstrap: str
) -> None:
    recorder = MongoRecorder(mongo_db)
    await recorder.initialize()
    store = EventStore(recorder, chain_keys)
    streams = [f"applicant-{n}" for n in range(5)]
    for version in range(6):
        for stream in streams:
            await store.append(
                stream,
                [NewEvent(event_type="T", schema_version=1, payload={"v": version + 1})],
                expected_version=version,
            )

    topic = f"test.relay.{uuid.uuid4().hex[:8]}"
    received: dict[str, list[int]] = defaultdict(list)
    keys_ok: list[bool] = []
    broker = make_broker(kafka_bootstrap, "test-relay")

    @broker.subscriber(
        topic, group_id=f"g-{topic}", auto_offset_reset="earliest", ack_policy=AckPolicy.ACK
    )
    async def collect(event: RecordedEvent, msg: KafkaMessage) -> None:
        keys_ok.append(msg.raw_message.key == event.stream_id.encode())  # type: ignore[union-attr]
        received[event.stream_id].append(event.version)

    async with broker:
        await broker.start()
        relay = OutboxRelay(store, KafkaEventPublisher(broker, lambda _: topic), batch_size=7)
        while await relay.relay_once():
            pass
        await eventually(
            lambda: sum(map(len, received.values())) >= 30, what="30 events on the topic"
        )

    assert all(keys_ok)
    assert {s: received[s] for s in streams} == {s: [1, 2, 3, 4, 5, 6] for s in streams}
    assert await store.pending() == []
