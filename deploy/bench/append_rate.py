"""Event store append rate beside raw inserts into the same server, in the same run.

    make bench                      # or: .venv/bin/python deploy/bench/append_rate.py --events 2000

Each line pairs what the store does with the nearest raw baseline: the store's append is
an outbox insert and an event insert, shared by concurrent appends in one group commit
(plus a read when the stream head is not cached): with one writer about a third of the raw
single-insert rate, with many writers above it.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

from pymongo import AsyncMongoClient

from shared.event_schema.base import NewEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.store import EventStore
from shared.settings import InfraSettings

PAYLOAD = {
    "request_kind": "ektp_recording",
    "outreach_point": {"kind": "school", "name": "SMAN 70", "kecamatan": "317407"},
    "device_id": "tablet-17",
    "note": "x" * 200,
}


async def timed(count: int, work: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await work()
    return count / (time.perf_counter() - start)


async def _all(worker: Callable[[int], Awaitable[None]], workers: int) -> None:
    await asyncio.gather(*(worker(w) for w in range(workers)))


async def main(events: int, workers: int, batch: int, db_name: str) -> None:
    settings = InfraSettings()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        settings.mongo_url, tz_aware=True, maxPoolSize=workers + 4
    )
    db = client[db_name]
    recorder = MongoRecorder(db)
    store = EventStore(recorder, ChainKeys.single("bench", "bench-key-0123456789"))
    await recorder.initialize()
    raw = db["raw"]
    await raw.create_index("event_id", unique=True)
    await raw.create_index("position", unique=True)
    streams = max(events // 10, 1)

    def new() -> NewEvent:
        return NewEvent(event_type="RequestSubmitted", schema_version=1, payload=PAYLOAD)

    def raw_doc(n: int) -> dict[str, object]:
        return {
            "_id": f"raw-{n}",
            "event_id": str(uuid.uuid4()),
            "position": n,
            **new().model_dump(),
        }

    counter = iter(range(10**9))
    versions = {f"s{i}": 0 for i in range(streams)}

    async def append_one(stream: str) -> None:
        await store.append(stream, [new()], versions[stream])
        versions[stream] += 1

    rows: list[tuple[str, float, str, float]] = []

    async def seq_raw() -> None:
        for _ in range(events):
            await raw.insert_one(raw_doc(next(counter)))

    async def seq_store() -> None:
        for n in range(events):
            await append_one(f"s{n % streams}")

    rows.append(
        (
            "append, 1 writer",
            await timed(events, seq_store),
            "insert_one, 1 writer",
            await timed(events, seq_raw),
        )
    )

    async def store_worker(w: int) -> None:  # each writer has streams of its own: no races
        for n in range(w, events, workers):
            await append_one(f"w{w}-{n % 50}")

    async def raw_worker(w: int) -> None:
        for _ in range(w, events, workers):
            await raw.insert_one(raw_doc(next(counter)))

    versions.update({f"w{w}-{i}": 0 for w in range(workers) for i in range(50)})
    rows.append(
        (
            f"append, {workers} writers",
            await timed(events, lambda: _all(store_worker, workers)),
            f"insert_one, {workers} writers",
            await timed(events, lambda: _all(raw_worker, workers)),
        )
    )

    async def batch_store() -> None:
        for n in range(0, events, batch):
            await store.append(f"b{n}", [new() for _ in range(batch)], 0)

    async def batch_raw() -> None:
        for _ in range(0, events, batch):
            await raw.insert_many([raw_doc(next(counter)) for _ in range(batch)])

    rows.append(
        (
            f"append {batch}/call",
            await timed(events, batch_store),
            f"insert_many {batch}/call",
            await timed(events, batch_raw),
        )
    )

    server = await client.server_info()
    print(
        f"server: {settings.mongo_url} (reports MongoDB {server.get('version')}); "
        f"{events} events per row, payload ~{len(str(PAYLOAD))} bytes"
    )
    print(f"{'event store':<24}{'events/s':>10}   {'raw baseline':<26}{'docs/s':>10}{'ratio':>8}")
    for label, rate, base_label, base in rows:
        print(f"{label:<24}{rate:>10.0f}   {base_label:<26}{base:>10.0f}{rate / base:>8.2f}")
    await client.drop_database(db_name)
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument(
        "--db", default=f"jemput_bench_{uuid.uuid4().hex[:8]}", help="its database (dropped)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.events, args.workers, args.batch, args.db))
