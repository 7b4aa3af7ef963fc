"""The dashboard's rows in MongoDB (one document a request, keyed by its request id), and
the version of each stream they have applied (one document a stream).

The consumer applies a batch's streams concurrently, each stream's events in order
(shared/messaging/events_consumer.py), so the calls of one round (every stream's
`applied`, then every `get`, every `put`, every `mark_applied`) arrive together: each kind
shares one command (a `Batcher`), as the event store's reads and appends do. A batch of
fifty applicants' events costs a handful of commands, not four per event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection

from services.dashboard.model import RequestRow
from shared.eventstore.batching import Batcher

UNSEEN = {"seen": 0}  # what the views never need
MAX_BATCH = 500  # keys or writes per command


class MongoRows:
    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], streams: AsyncCollection[dict[str, Any]]
    ) -> None:
        self._collection = collection
        self._streams = streams
        self._gets: Batcher[str, dict[str, Any] | None] = Batcher(
            partial(_find, collection), MAX_BATCH
        )
        self._versions: Batcher[str, dict[str, Any] | None] = Batcher(
            partial(_find, streams), MAX_BATCH
        )
        self._puts: Batcher[ReplaceOne[dict[str, Any]], None] = Batcher(
            partial(_write, collection), MAX_BATCH
        )
        self._marks: Batcher[ReplaceOne[dict[str, Any]], None] = Batcher(
            partial(_write, streams), MAX_BATCH
        )

    async def get(self, request_id: str) -> RequestRow | None:
        doc = await self._gets.submit(request_id)
        return None if doc is None else RequestRow.model_validate(doc)

    async def put(self, row: RequestRow) -> None:
        await self._puts.submit(ReplaceOne({"_id": row.request_id}, _doc(row), upsert=True))

    async def submitted_between(self, start: datetime, end: datetime) -> list[RequestRow]:
        """Rows of requests submitted in [start, end), without their event ids."""
        query = {"submitted_at": {"$gte": start, "$lt": end}}
        return [
            RequestRow.model_validate({**doc, "seen": []})
            async for doc in self._collection.find(query, UNSEEN)
        ]

    async def applied(self, stream_id: str) -> int:
        doc = await self._versions.submit(stream_id)
        return 0 if doc is None else int(doc["version"])

    async def mark_applied(self, stream_id: str, version: int) -> None:
        await self._marks.submit(ReplaceOne({"_id": stream_id}, {"version": version}, upsert=True))

    async def replace_all(self, rows: Iterable[RequestRow], versions: dict[str, int]) -> int:
        """The rebuild's last step: these rows and stream versions, and no other."""
        docs = [ReplaceOne({"_id": r.request_id}, _doc(r), upsert=True) for r in rows]
        marks = [ReplaceOne({"_id": s}, {"version": v}, upsert=True) for s, v in versions.items()]
        for collection, writes in ((self._collection, docs), (self._streams, marks)):
            await collection.delete_many({})
            for first in range(0, len(writes), 1000):
                await collection.bulk_write(writes[first : first + 1000], ordered=False)
        return len(docs)


def _doc(row: RequestRow) -> dict[str, Any]:
    return {"_id": row.request_id, **row.model_dump(mode="python"), "status": row.status.value}


async def _find(
    collection: AsyncCollection[dict[str, Any]], ids: list[str]
) -> list[dict[str, Any] | None]:
    """Many callers' documents by id, with one `$in`."""
    found = {d["_id"]: d async for d in collection.find({"_id": {"$in": sorted(set(ids))}})}
    return [found.get(i) for i in ids]


async def _write(
    collection: AsyncCollection[dict[str, Any]], writes: list[ReplaceOne[dict[str, Any]]]
) -> list[None]:
    """Many callers' replacements in one ordered bulk write (a later one of the same id,
    from the same stream's next event, lands after the earlier)."""
    await collection.bulk_write(writes, ordered=True)
    return [None] * len(writes)
