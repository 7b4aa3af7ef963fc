"""The event store contract, held against an event store on the in-memory recorder."""

from __future__ import annotations

import pytest

from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.positions import PositionClock
from shared.eventstore.recorder import Document
from shared.eventstore.store import EventStore
from tests.contract.event_store_contract import EventStoreContract, SteppingClock, event


@pytest.fixture
def store(chain_keys: ChainKeys) -> EventStore:
    return EventStore(InMemoryRecorder(), chain_keys, clock=SteppingClock())


def documents(store: EventStore) -> dict[str, Document]:
    assert isinstance(store.recorder, InMemoryRecorder)
    return store.recorder.documents


class TestInMemoryEventStore(EventStoreContract):
    async def tamper_update(self, store: EventStore, key: str, changes: Document) -> None:
        documents(store)[key].update(changes)

    async def tamper_delete(self, store: EventStore, key: str) -> None:
        del documents(store)[key]

    async def tamper_insert(self, store: EventStore, doc: Document) -> None:
        documents(store)[doc["_id"]] = doc


class RepeatingPositions(PositionClock):
    """Hands out the first position again, as two processes on one slot can."""

    first: int | None = None

    def reserve(self, count: int, after: int = 0) -> int:
        position = super().reserve(count, after)
        if self.first is None:
            self.first = position
        return self.first if position == self.first + 1 else position


async def test_a_position_handed_out_twice_is_drawn_again(chain_keys: ChainKeys) -> None:
    store = EventStore(InMemoryRecorder(), chain_keys, positions=RepeatingPositions())
    [first] = await store.append("a", [event(1)], expected_version=0)
    [second] = await store.append("b", [event(2)], expected_version=0)
    assert second.position > first.position + 1
    assert (await store.verify()).ok
