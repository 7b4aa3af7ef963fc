"""A recorder in memory, for unit tests and quick experiments.

It keeps the same documents the MongoDB recorder keeps and enforces the same unique keys,
so the contract tests hold an event store on it to exactly the same behaviour.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence

from shared.event_schema.base import RecordedEvent
from shared.eventstore.errors import DuplicateKeyAt
from shared.eventstore.recorder import Document, Recorder, from_document, from_outbox


class InMemoryRecorder(Recorder):
    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}  # by key; tests may tamper with it
        self.outbox: dict[int, Document] = {}  # by position

    async def get(self, keys: Sequence[str]) -> list[Document | None]:
        return [copy.deepcopy(self.documents.get(key)) for key in keys]

    async def write_ahead(self, docs: Sequence[Document]) -> None:
        for index, doc in enumerate(docs):
            if doc["position"] in self.outbox:
                raise DuplicateKeyAt(index)
        for doc in docs:
            self.outbox[doc["position"]] = copy.deepcopy(doc)

    async def insert(self, docs: Sequence[Document]) -> None:
        event_ids = {d["event_id"] for d in self.documents.values()}
        positions = {d["position"] for d in self.documents.values()}
        for index, doc in enumerate(docs):
            if (
                doc["_id"] in self.documents
                or doc["event_id"] in event_ids
                or doc["position"] in positions
            ):
                raise DuplicateKeyAt(index)
            self.documents[doc["_id"]] = copy.deepcopy(doc)
            event_ids.add(doc["event_id"])
            positions.add(doc["position"])

    async def event_id_taken(self, event_id: str) -> bool:
        return any(d["event_id"] == event_id for d in self.documents.values())

    async def pending(self, limit: int = 500) -> list[RecordedEvent]:
        return [from_outbox(self.outbox[p]) for p in sorted(self.outbox)[:limit]]

    async def clear_pending(self, positions: Sequence[int]) -> None:
        for position in positions:
            self.outbox.pop(position, None)

    async def read_all(self) -> AsyncIterator[RecordedEvent]:
        for doc in sorted(self.documents.values(), key=lambda d: d["position"]):
            yield from_document(copy.deepcopy(doc))

    async def raw_documents(
        self, stream_id: str | None = None, after_stream: str | None = None
    ) -> AsyncIterator[Document]:
        docs = sorted(
            (
                d
                for d in self.documents.values()
                if stream_id in (None, d.get("stream_id"))
                and (after_stream is None or str(d.get("stream_id")) > after_stream)
            ),
            key=lambda d: (str(d.get("stream_id")), d.get("version", 0)),
        )
        for doc in docs:
            yield copy.deepcopy(doc)
