"""The event store contract against the real MongoDB-wire server, tampering by raw driver."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.chain import ChainKeys
from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.recorder import Document
from shared.eventstore.store import ConcurrencyError, EventStore
from tests.contract.event_store_contract import EventStoreContract, SteppingClock, event


@pytest.fixture
async def store(mongo_db: AsyncDatabase[Document], chain_keys: ChainKeys) -> EventStore:
    recorder = MongoRecorder(mongo_db)
    await recorder.initialize()
    return EventStore(recorder, chain_keys, clock=SteppingClock())


def events(store: EventStore) -> AsyncCollection[Document]:
    assert isinstance(store.recorder, MongoRecorder)
    return store.recorder.events


class TestMongoEventStore(EventStoreContract):
    async def tamper_update(self, store: EventStore, key: str, changes: Document) -> None:
        result = await events(store).update_one({"_id": key}, {"$set": changes})
        assert result.modified_count == 1

    async def tamper_delete(self, store: EventStore, key: str) -> None:
        assert (await events(store).delete_one({"_id": key})).deleted_count == 1

    async def tamper_insert(self, store: EventStore, doc: Document) -> None:
        await events(store).insert_one(doc)


async def test_writers_in_separate_processes_race_and_exactly_one_wins(
    mongo_db: AsyncDatabase[Document], chain_keys: ChainKeys
) -> None:
    """Separate store instances share nothing in memory, like separate service replicas."""
    writers = [EventStore(MongoRecorder(mongo_db), chain_keys) for _ in range(8)]
    await MongoRecorder(mongo_db).initialize()
    await writers[0].append("s-1", [event(0)], expected_version=0)
    for w in writers:  # every writer has seen version 1
        assert await w.stream_version("s-1") == 1
    results = await asyncio.gather(
        *(w.append("s-1", [event(n + 1)], expected_version=1) for n, w in enumerate(writers)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert sum(isinstance(r, ConcurrencyError) for r in results) == len(writers) - 1
    assert [r.version for r in await writers[3].read_stream("s-1")] == [1, 2]
    assert (await writers[5].verify()).ok


async def test_concurrent_writers_to_many_streams_all_land_with_unique_positions(
    mongo_db: AsyncDatabase[Document], chain_keys: ChainKeys
) -> None:
    """Positions come from each writer's clock; the outbox's unique position key guards them."""
    writers = [EventStore(MongoRecorder(mongo_db), chain_keys) for _ in range(4)]
    await MongoRecorder(mongo_db).initialize()
    results = await asyncio.gather(
        *(writers[n % 4].append(f"s-{n}", [event(n)], expected_version=0) for n in range(40))
    )
    positions = [records[0].position for records in results]
    assert len(set(positions)) == 40
    assert len([r async for r in writers[0].read_all()]) == 40
