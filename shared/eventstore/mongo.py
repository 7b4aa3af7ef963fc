"""The event store on a MongoDB-wire server (MongoDB in production, FerretDB locally).

One collection, one document per event, `_id` = event id. Only features both servers
have: unique indexes, ordered inserts, findAndModify with upsert, sorted finds. No
transactions: the not-yet-published mark lives on the event document itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.events.base import RecordedEvent, utc_millis
from shared.eventstore.chain import ChainKeys
from shared.eventstore.port import Document, DuplicateKeyAt, EventStore, from_document

DUPLICATE_KEY = 11000
POSITION_COUNTER_ID = "events.position"


class MongoEventStore(EventStore):
    def __init__(
        self,
        db: AsyncDatabase[Document],
        keys: ChainKeys,
        clock: Callable[[], datetime] = utc_millis,
        collection: str = "events",
    ) -> None:
        super().__init__(keys, clock)
        self.events: AsyncCollection[Document] = db[collection]
        self._counters: AsyncCollection[Document] = db[f"{collection}_counters"]

    async def initialize(self) -> None:
        """Create the indexes the store's guarantees rest on (idempotent)."""
        await self.events.create_index(
            [("stream_id", ASCENDING), ("version", ASCENDING)], unique=True, name="stream_version"
        )
        await self.events.create_index([("position", ASCENDING)], unique=True, name="position")
        await self.events.create_index([("unpublished", ASCENDING)], name="unpublished")

    async def _hash_at(self, stream_id: str, version: int) -> str | None:
        doc = await self.events.find_one(
            {"stream_id": stream_id, "version": version}, {"hash": 1, "_id": 0}
        )
        return None if doc is None else str(doc["hash"])

    async def _reserve_positions(self, count: int) -> int:
        counter = await self._counters.find_one_and_update(
            {"_id": POSITION_COUNTER_ID},
            {"$inc": {"value": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(counter["value"]) - count + 1

    async def _insert(self, docs: Sequence[Document]) -> None:
        try:
            if len(docs) == 1:
                await self.events.insert_one(docs[0])
            else:
                await self.events.insert_many(docs, ordered=True)
        except BulkWriteError as exc:
            errors: list[dict[str, Any]] = exc.details.get("writeErrors", [])
            if errors and errors[0].get("code") == DUPLICATE_KEY:
                raise DuplicateKeyAt(int(errors[0]["index"])) from None
            raise
        except DuplicateKeyError:
            raise DuplicateKeyAt(0) from None

    async def _find(self, event_ids: Sequence[str]) -> list[Document]:
        return await self.events.find({"_id": {"$in": list(event_ids)}}).to_list(None)

    async def stream_version(self, stream_id: str) -> int:
        doc = await self.events.find_one(
            {"stream_id": stream_id}, {"version": 1, "_id": 0}, sort=[("version", -1)]
        )
        return 0 if doc is None else int(doc["version"])

    async def read_stream(
        self, stream_id: str, from_version: int = 1, as_of: datetime | None = None
    ) -> list[RecordedEvent]:
        query: dict[str, Any] = {"stream_id": stream_id, "version": {"$gte": from_version}}
        if as_of is not None:
            query["recorded_at"] = {"$lte": as_of}
        cursor = self.events.find(query).sort("version", ASCENDING)
        return [from_document(doc) async for doc in cursor]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        cursor = (
            self.events.find({"position": {"$gt": after_position}})
            .sort("position", ASCENDING)
            .limit(limit)
        )
        return [from_document(doc) async for doc in cursor]

    async def unpublished(self, limit: int = 500) -> list[RecordedEvent]:
        cursor = self.events.find({"unpublished": True}).sort("position", ASCENDING).limit(limit)
        return [from_document(doc) async for doc in cursor]

    async def mark_published(self, event_ids: Sequence[str]) -> None:
        await self.events.update_many(
            {"_id": {"$in": list(event_ids)}}, {"$unset": {"unpublished": ""}}
        )

    async def raw_documents(self, stream_id: str | None = None) -> AsyncIterator[Document]:
        query = {} if stream_id is None else {"stream_id": stream_id}
        cursor = self.events.find(query, batch_size=1000).sort(
            [("stream_id", ASCENDING), ("version", ASCENDING)]
        )
        async for doc in cursor:
            yield doc
