"""The raw ceiling: insert_many of event-shaped documents, batches of 100, same server.

The documents are copies of one applicant's four stored events (fill.Filler builds them
exactly as the store would), each with a fresh `_id`, event id and position, into a
scratch collection with the same indexes as the events collection. Nothing else (no
outbox, no counter, no reads): what the server can take at most, to set the pipeline's
end-to-end event rate against.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import event_key

SCRATCH = "bench_ceiling"


async def _writer(
    scratch: AsyncCollection[dict[str, Any]], queue: Iterator[list[dict[str, Any]]]
) -> None:
    for chunk in queue:  # the writers share one iterator
        await scratch.insert_many(chunk, ordered=False)


async def ceiling(
    db: AsyncDatabase[dict[str, Any]],
    samples: Sequence[dict[str, Any]],
    documents: int,
    batch: int = 100,
    writers: Sequence[int] = (1, 4),
) -> dict[str, Any]:
    """Documents per second with 1 and with 4 concurrent writers; `best` is the ceiling."""
    positions = itertools.count(10**12)  # far from any real position
    results: dict[str, Any] = {"documents": documents, "batch": batch, "rates": {}}
    sizes = [len(str(s)) for s in samples]
    results["doc_chars"] = round(sum(sizes) / len(sizes))
    for count in writers:
        scratch = db[SCRATCH]
        await scratch.drop()
        await scratch.create_index("event_id", unique=True, name="event_id")
        await scratch.create_index("position", unique=True, name="position")
        await scratch.create_index(
            [("stream_id", ASCENDING), ("version", ASCENDING)], name="stream_version"
        )

        def docs(k: int) -> list[dict[str, Any]]:
            made = []
            for i in range(k):
                sample = samples[i % len(samples)]
                stream = f"ceiling-{uuid.uuid4().hex}"
                position = next(positions)
                made.append(
                    sample
                    | {
                        "_id": event_key(stream, sample["version"]),
                        "stream_id": stream,
                        "event_id": str(uuid.uuid4()),
                        "position": position,
                    }
                )
            return made

        batches = [docs(batch) for _ in range(max(documents // batch, 1))]
        queue = iter(batches)

        started = time.perf_counter()
        await asyncio.gather(*(_writer(scratch, queue) for _ in range(count)))
        seconds = time.perf_counter() - started
        results["rates"][str(count)] = round(len(batches) * batch / seconds, 1)
    await db[SCRATCH].drop()
    results["best"] = max(results["rates"].values())
    return results
