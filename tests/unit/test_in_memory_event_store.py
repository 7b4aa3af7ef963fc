"""The event store contract, held against the in-memory store."""

from __future__ import annotations

import pytest

from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.port import Document, EventStore
from tests.contract.event_store_contract import EventStoreContract, SteppingClock


@pytest.fixture
def store(chain_keys: ChainKeys) -> InMemoryEventStore:
    return InMemoryEventStore(chain_keys, clock=SteppingClock())


class TestInMemoryEventStore(EventStoreContract):
    async def tamper_update(self, store: EventStore, event_id: str, changes: Document) -> None:
        assert isinstance(store, InMemoryEventStore)
        store.documents[event_id].update(changes)

    async def tamper_delete(self, store: EventStore, event_id: str) -> None:
        assert isinstance(store, InMemoryEventStore)
        del store.documents[event_id]

    async def tamper_insert(self, store: EventStore, doc: Document) -> None:
        assert isinstance(store, InMemoryEventStore)
        store.documents[doc["_id"]] = doc
