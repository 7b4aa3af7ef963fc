"""An event store in memory, for unit tests and quick experiments.

It keeps the same documents a MongoDB store keeps and enforces the same unique keys,
so the contract tests hold it to exactly the same behaviour.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

from shared.events.base import RecordedEvent, utc_millis
from shared.eventstore.chain import ChainKeys
from shared.eventstore.port import (
    Document,
    DuplicateKeyAt,
    EventStore,
    from_document,
)


class InMemoryEventStore(EventStore):
    def __init__(self, keys: ChainKeys, clock: Callable[[], datetime] = utc_millis) -> None:
        super().__init__(keys, clock)
        self.documents: dict[str, Document] = {}  # by event id; tests may tamper with it
        self._last_position = 0

    def _by_stream(self, stream_id: str) -> list[Document]:
        return sorted(
            (d for d in self.documents.values() if d["stream_id"] == stream_id),
            key=lambda d: d["version"],
        )

    async def _hash_at(self, stream_id: str, version: int) -> str | None:
        for doc in self.documents.values():
            if doc["stream_id"] == stream_id and doc["version"] == version:
                return str(doc["hash"])
        return None

    async def _reserve_positions(self, count: int) -> int:
        first = self._last_position + 1
        self._last_position += count
        return first

    async def _insert(self, docs: Sequence[Document]) -> None:
        taken = {(d["stream_id"], d["version"]) for d in self.documents.values()}
        for index, doc in enumerate(docs):
            if doc["_id"] in self.documents or (doc["stream_id"], doc["version"]) in taken:
                raise DuplicateKeyAt(index)
            self.documents[doc["_id"]] = copy.deepcopy(doc)
            taken.add((doc["stream_id"], doc["version"]))

    async def _find(self, event_ids: Sequence[str]) -> list[Document]:
        return [copy.deepcopy(self.documents[i]) for i in event_ids if i in self.documents]

    async def stream_version(self, stream_id: str) -> int:
        return max((d["version"] for d in self._by_stream(stream_id)), default=0)

    async def read_stream(
        self, stream_id: str, from_version: int = 1, as_of: datetime | None = None
    ) -> list[RecordedEvent]:
        return [
            from_document(d)
            for d in self._by_stream(stream_id)
            if d["version"] >= from_version and (as_of is None or d["recorded_at"] <= as_of)
        ]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        docs = sorted(
            (d for d in self.documents.values() if d["position"] > after_position),
            key=lambda d: d["position"],
        )
        return [from_document(d) for d in docs[:limit]]

    async def unpublished(self, limit: int = 500) -> list[RecordedEvent]:
        docs = sorted(
            (d for d in self.documents.values() if d.get("unpublished")),
            key=lambda d: d["position"],
        )
        return [from_document(d) for d in docs[:limit]]

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        for event_id in event_ids:
            if event_id in self.documents:
                self.documents[event_id].pop("unpublished", None)

    async def raw_documents(self, stream_id: str | None = None) -> AsyncIterator[Document]:
        docs = sorted(
            (d for d in self.documents.values() if stream_id is None or d["stream_id"] == stream_id),
            key=lambda d: (str(d.get("stream_id")), d.get("version", 0)),
        )
        for doc in docs:
            yield copy.deepcopy(doc)
