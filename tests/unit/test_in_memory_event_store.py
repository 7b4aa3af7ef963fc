"""The event store contract, held against the in-memory store."""

from __future__ import annotations

import pytest

from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.port import Document, EventStore
from tests.contract.event_store_contract import EventStoreContract, SteppingClock, event


@pytest.fixture
def store(chain_keys: ChainKeys) -> InMemoryEventStore:
    return InMemoryEventStore(chain_keys, clock=SteppingClock())


class TestInMemoryEventStore(EventStoreContract):
    async def tamper_update(self, store: EventStore, key: str, changes: Document) -> None:
        assert isinstance(store, InMemoryEventStore)
        store.documents[key].update(changes)

    async def tamper_delete(self, store: EventStore, key: str) -> None:
        assert isinstance(store, InMemoryEventStore)
        del store.documents[key]

    async def tamper_insert(self, store: EventStore, doc: Document) -> None:
        assert isinstance(store, InMemoryEventStore)
        store.documents[doc["_id"]] = doc


class RepeatingPositionsStore(InMemoryEventStore):
    """Hands out the first position again, as two processes on one slot can."""

    first: int | None = None

    async def _reserve_positions(self, count: int, after: int = 0) -> int:
        position = await super()._reserve_positions(count, after)
        if self.first is None:
            self.first = position
        return self.first if position == self.first + 1 else position


async def test_a_position_handed_out_twice_is_drawn_again(chain_keys: ChainKeys) -> None:
    store = RepeatingPositionsStore(chain_keys)
    [first] = await store.append("a", [event(1)], expected_version=0)
    [second] = await store.append("b", [event(2)], expected_version=0)
    assert second.position > first.position + 1
    assert (await store.verify()).ok
