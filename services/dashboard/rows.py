"""The dashboard's rows in MongoDB (one document a request, keyed by its request id), and
the version of each stream they have applied (one document a stream).

The consumer applies a batch's streams concurrently, each stream's events in order
(shared/messaging/events_consumer.py), so the calls of one round (every stream's
`applied`, then every `get`, every `put`, every `mark_applied`) arrive together: each kind
shares one command (a `Batcher`), as the event store's reads and appends do. A batch of
fifty applicants' events costs a handful of commands, not four per event.

On FerretDB an upsert costs about 0.6 ms of server CPU per document even in a bulk write,
an insert in a batch a third of that (measured, docs/bench): a new row is inserted, and
the stream versions applied are written behind, every `MARK_EVERY_SECONDS`, only the
latest of each stream. A version written late is never ahead of the rows (it is kept
only once its rows are stored), so after a crash or a partition moving to another
instance the consumer finds a lower version than it applied: it reads the versions
between from the log and applies them again, which changes nothing (each row remembers
the events it took)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from services.dashboard.model import RequestRow
from shared.eventstore.batching import Batcher

log = logging.getLogger(__name__)
UNSEEN = {"seen": 0}  # what the views never need
MAX_BATCH = 500  # keys or inserts per command
# Replacements per command. FerretDB 1.24 on SQLite as released never answers an update
# of 100 or more statements on existing documents and keeps the database's write lock
# (our build is patched: deploy/local/ferretdb/patches/0002-*.patch, ADR 15); a hundred
# keeps each command's cost low on any server.
MAX_UPDATES = 100
MARK_EVERY_SECONDS = 1.0
KNOWN_STREAMS = 50_000  # versions applied kept in memory (the newest streams)
DUPLICATE_KEY = 11000


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
            partial(_write, collection), MAX_UPDATES
        )
        self._adds: Batcher[dict[str, Any], bool] = Batcher(partial(_insert, collection), MAX_BATCH)
        self._known: OrderedDict[str, int] = OrderedDict()  # stream -> version applied
        self._unwritten: dict[str, int] = {}  # marks not yet written
        self._writing: asyncio.Task[None] | None = None

    async def get(self, request_id: str) -> RequestRow | None:
        doc = await self._gets.submit(request_id)
        return None if doc is None else RequestRow.model_validate(doc)

    async def add(self, row: RequestRow) -> bool:
        return await self._adds.submit(_doc(row))

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
        known = self._known.get(stream_id)
        if known is not None:
            return known
        doc = await self._versions.submit(stream_id)
        return 0 if doc is None else int(doc["version"])

    async def mark_applied(self, stream_id: str, version: int) -> None:
        self._known[stream_id] = self._unwritten[stream_id] = version
        self._known.move_to_end(stream_id)
        while len(self._known) > KNOWN_STREAMS:
            self._known.popitem(last=False)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_marks_soon())

    async def flush(self) -> None:
        """Write the versions not yet written (on the way out)."""
        if self._writing is not None:
            self._writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writing
        await self._write_marks()

    async def _write_marks_soon(self) -> None:
        while True:  # until no mark came while the last ones were written
            await asyncio.sleep(MARK_EVERY_SECONDS)
            try:
                await self._write_marks()
            except Exception as exc:  # written next time; until then the rows are ahead
                log.warning("stream versions not written: %s", type(exc).__name__)
            if not self._unwritten:
                return

    async def _write_marks(self) -> None:
        marks, self._unwritten = self._unwritten, {}
        writes = [ReplaceOne({"_id": s}, {"version": v}, upsert=True) for s, v in marks.items()]
        try:
            for first in range(0, len(writes), MAX_UPDATES):
                await self._streams.bulk_write(writes[first : first + MAX_UPDATES])
        except Exception:
            self._unwritten = marks | self._unwritten  # newer ones win
            raise

    async def replace_all(self, rows: Iterable[RequestRow], versions: dict[str, int]) -> int:
        """The rebuild's last step: these rows and stream versions, and no other."""
        docs = [ReplaceOne({"_id": r.request_id}, _doc(r), upsert=True) for r in rows]
        marks = [ReplaceOne({"_id": s}, {"version": v}, upsert=True) for s, v in versions.items()]
        for collection, writes in ((self._collection, docs), (self._streams, marks)):
            await collection.delete_many({})
            for first in range(0, len(writes), MAX_UPDATES):
                await collection.bulk_write(writes[first : first + MAX_UPDATES])
        return len(docs)


def _doc(row: RequestRow) -> dict[str, Any]:
    return {"_id": row.request_id, **row.model_dump(mode="python"), "status": row.status.value}


async def _find(
    collection: AsyncCollection[dict[str, Any]], ids: list[str]
) -> list[dict[str, Any] | None]:
    """Many callers' documents by id, with one `$in`."""
    found = {d["_id"]: d async for d in collection.find({"_id": {"$in": sorted(set(ids))}})}
    return [found.get(i) for i in ids]


async def _insert(
    collection: AsyncCollection[dict[str, Any]], docs: list[dict[str, Any]]
) -> list[bool]:
    """Many callers' new rows in one insert; False for each that was there already."""
    try:
        await collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        there = {int(e["index"]) for e in errors}
        return [i not in there for i in range(len(docs))]
    return [True] * len(docs)


async def _write(
    collection: AsyncCollection[dict[str, Any]], writes: list[ReplaceOne[dict[str, Any]]]
) -> list[None]:
    """Many callers' replacements in one ordered bulk write (a later one of the same id,
    from the same stream's next event, lands after the earlier)."""
    await collection.bulk_write(writes, ordered=True)
    return [None] * len(writes)
