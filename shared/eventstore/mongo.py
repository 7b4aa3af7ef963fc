"""The recorder on a MongoDB-wire server (MongoDB in production, FerretDB locally).

Only what both servers do well: inserts, reads by `_id` (one key or an `$in` list; on
FerretDB both use the `_id` index with our patch, docs/adr/0006-ferretdb-id-index-patch.md),
unique indexes (checked on insert), deletes in a small collection. Event documents are
never updated: an append-only log has no business updating (docs/adr/0003).

Concurrent reads by key are coalesced into one `$in` command (a Batcher), as appends are
into one group commit (group_commit.py): commands per request, not bytes, are what cost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.collections import EVENTS
from shared.event_schema.base import RecordedEvent
from shared.eventstore.batching import Batcher
from shared.eventstore.errors import DuplicateKeyAt
from shared.eventstore.recorder import Document, Recorder, from_document, from_outbox

DUPLICATE_KEY = 11000
MAX_KEYS_PER_READ = 1000  # the patched FerretDB pushes down `$in` lists up to this size


class MongoRecorder(Recorder):
    def __init__(self, db: AsyncDatabase[Document], collection: str = EVENTS) -> None:
        self.events: AsyncCollection[Document] = db[collection]
        self.outbox: AsyncCollection[Document] = db[f"{collection}_outbox"]
        self._reads: Batcher[Sequence[str], list[Document | None]] = Batcher(
            self._read_keys, MAX_KEYS_PER_READ, weight=len
        )

    async def initialize(self) -> None:
        """Create the indexes the event store's guarantees rest on (idempotent)."""
        await self.events.create_index("event_id", unique=True, name="event_id")
        await self.events.create_index("position", unique=True, name="position")
        await self.events.create_index(
            [("stream_id", ASCENDING), ("version", ASCENDING)], name="stream_version"
        )

    async def get(self, keys: Sequence[str]) -> list[Document | None]:
        return await self._reads.submit(keys)

    async def _read_keys(self, requests: list[Sequence[str]]) -> list[list[Document | None]]:
        """Many callers' key lists, read with one `$in` command per thousand keys."""
        wanted = list(dict.fromkeys(key for keys in requests for key in keys))
        found: dict[str, Document] = {}
        for start in range(0, len(wanted), MAX_KEYS_PER_READ):
            chunk = wanted[start : start + MAX_KEYS_PER_READ]
            async for doc in self.events.find({"_id": {"$in": chunk}}, batch_size=len(chunk) + 1):
                found[str(doc["_id"])] = doc
        return [[found.get(key) for key in keys] for keys in requests]

    async def write_ahead(self, docs: Sequence[Document]) -> None:
        entries = [{**d, "_id": outbox_key(d["position"])} for d in docs]
        try:
            await self.outbox.insert_many(entries, ordered=True)
        except BulkWriteError as exc:
            first = _first_duplicate(exc)
            # Take back what this call did write, so the batch is all or none.
            await self.clear_pending([e["position"] for e in entries[:first]])
            raise DuplicateKeyAt(first) from None

    async def insert(self, docs: Sequence[Document]) -> None:
        try:
            if len(docs) == 1:
                await self.events.insert_one(docs[0])
            else:
                await self.events.insert_many(docs, ordered=True)
        except DuplicateKeyError:
            raise DuplicateKeyAt(0) from None
        except BulkWriteError as exc:
            raise DuplicateKeyAt(_first_duplicate(exc)) from None

    async def event_id_taken(self, event_id: str) -> bool:
        return await self.events.find_one({"event_id": event_id}, {"_id": 1}) is not None

    async def pending(self, limit: int = 500) -> list[RecordedEvent]:
        cursor = self.outbox.find({}).sort("_id", ASCENDING).limit(limit)
        return [from_outbox(doc) async for doc in cursor]

    async def clear_pending(self, positions: Sequence[int]) -> None:
        for start in range(0, len(positions), MAX_KEYS_PER_READ):
            chunk = positions[start : start + MAX_KEYS_PER_READ]
            await self.outbox.delete_many({"_id": {"$in": [outbox_key(p) for p in chunk]}})

    async def read_all(self) -> AsyncIterator[RecordedEvent]:
        cursor = self.events.find({}, batch_size=1000)
        async for doc in cursor.sort("position", ASCENDING):
            yield from_document(doc)

    async def raw_documents(
        self, stream_id: str | None = None, after_stream: str | None = None
    ) -> AsyncIterator[Document]:
        query: dict[str, Any] = {}
        if stream_id is not None:
            query["stream_id"] = stream_id
        elif after_stream is not None:
            query["stream_id"] = {"$gt": after_stream}
        cursor = self.events.find(query, batch_size=1000).sort(
            [("stream_id", ASCENDING), ("version", ASCENDING)]
        )
        async for doc in cursor:
            yield doc


def outbox_key(position: int) -> str:
    """An outbox entry's `_id`: text, as FerretDB uses its `_id` index only for text and
    ObjectIDs; zero-padded, so text order is position order."""
    return f"{position:020d}"


def _first_duplicate(exc: BulkWriteError) -> int:
    """Index of the duplicate key that stopped an ordered bulk insert; re-raise otherwise."""
    errors: list[dict[str, Any]] = exc.details.get("writeErrors", [])
    if errors and errors[0].get("code") == DUPLICATE_KEY:
        return int(errors[0]["index"])
    raise exc
