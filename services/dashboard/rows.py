"""The dashboard's rows in MongoDB (one document a request, keyed by its request id), and
the version of each stream they have applied (one document a stream)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection

from services.dashboard.model import RequestRow

UNSEEN = {"seen": 0}  # what the views never need


class MongoRows:
    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], streams: AsyncCollection[dict[str, Any]]
    ) -> None:
        self._collection = collection
        self._streams = streams

    async def get(self, request_id: str) -> RequestRow | None:
        doc = await self._collection.find_one({"_id": request_id})
        return None if doc is None else RequestRow.model_validate(doc)

    async def put(self, row: RequestRow) -> None:
        await self._collection.replace_one({"_id": row.request_id}, _doc(row), upsert=True)

    async def submitted_between(self, start: datetime, end: datetime) -> list[RequestRow]:
        """Rows of requests submitted in [start, end), without their event ids."""
        query = {"submitted_at": {"$gte": start, "$lt": end}}
        return [
            RequestRow.model_validate({**doc, "seen": []})
            async for doc in self._collection.find(query, UNSEEN)
        ]

    async def applied(self, stream_id: str) -> int:
        doc = await self._streams.find_one({"_id": stream_id})
        return 0 if doc is None else int(doc["version"])

    async def mark_applied(self, stream_id: str, version: int) -> None:
        await self._streams.replace_one({"_id": stream_id}, {"version": version}, upsert=True)

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
