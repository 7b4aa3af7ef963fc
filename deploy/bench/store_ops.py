"""What each kind of store command costs the server, in server CPU per document.

    make bench-store-ops            # or: .venv/bin/python deploy/bench/store_ops.py --docs 2000

The pipeline's CPU per request is mostly the store's (docs/bench): this measures, on the
server the services use, the server's own CPU time (its process, read from /proc) for each
command shape jemput sends, per document, beside the raw baseline of inserting a plain
document alone. It says which of a request's commands are worth removing: on FerretDB a
command costs about as much as its documents' work many times over, and an upsert costs
nearly that much per document even in a bulk write.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from deploy.benchkit.process import cpu_seconds
from shared.settings import InfraSettings

STATE = Path(__file__).resolve().parents[2] / ".local"
BODY = {"form": {"details": "x" * 600}, "sealed": {"enc": "z" * 300}}  # ~1 KB, as an event
Doc = dict[str, Any]


def event(i: int) -> Doc:
    stream = f"s{i}"
    return {"_id": f"{stream}:1", "event_id": f"e{i}", "position": 10**12 + i, **BODY}


async def measure(
    pid: int | None, docs: int, work: Callable[[], Awaitable[None]]
) -> tuple[float | None, float]:
    """Server CPU ms per document (None without the server's pid) and wall ms per doc."""
    before = cpu_seconds(pid) if pid else None
    started = time.perf_counter()
    await work()
    wall = (time.perf_counter() - started) / docs * 1000
    after = cpu_seconds(pid) if pid else None
    if before is None or after is None:
        return None, wall
    return (after - before) / docs * 1000, wall


def shapes(db: AsyncDatabase[Doc], n: int, batch: int) -> list[tuple[str, Callable[[], Any]]]:
    events, plain, outbox, rows = db["events"], db["plain"], db["outbox"], db["rows"]
    chunks = [range(i, min(i + batch, n)) for i in range(0, n, batch)]

    async def plain_alone() -> None:
        for i in range(n):
            await plain.insert_one({"_id": f"p{i}", **BODY})

    async def event_alone() -> None:
        for i in range(n):
            await events.insert_one(event(i))

    async def events_together() -> None:
        for chunk in chunks:
            await events.insert_many([event(n + i) for i in chunk])

    async def outbox_alone() -> None:
        for i in range(n):
            await outbox.insert_one({**event(i), "_id": f"{i:020d}"})

    async def outbox_cleared_together() -> None:
        for chunk in chunks:
            await outbox.delete_many({"_id": {"$in": [f"{i:020d}" for i in chunk]}})

    async def read_together() -> None:
        for chunk in chunks:
            await events.find({"_id": {"$in": [f"s{i}:1" for i in chunk]}}).to_list(None)

    async def upsert_alone() -> None:
        for i in range(n):
            await rows.replace_one({"_id": f"r{i}"}, {"status": "submitted"}, upsert=True)

    async def upserts_together() -> None:
        for chunk in chunks:
            writes = [
                ReplaceOne({"_id": f"r{i}"}, {"status": "verified"}, upsert=True) for i in chunk
            ]
            await rows.bulk_write(writes)

    return [
        ("raw: insert_one, plain document", plain_alone),
        ("insert_one, event (3 unique/secondary indexes)", event_alone),
        (f"insert_many, events, {batch} a call", events_together),
        ("insert_one, outbox entry", outbox_alone),
        (f"delete_many $in, outbox, {batch} a call", outbox_cleared_together),
        (f"find $in by _id, {batch} a call", read_together),
        ("replace_one upsert, alone", upsert_alone),
        (f"bulk replace upserts, {batch} a call", upserts_together),
    ]


async def main(docs: int, batch: int, db_name: str) -> None:
    settings = InfraSettings()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.mongo_url)
    pid_file = STATE / "run" / "ferretdb.pid"
    pid = int(pid_file.read_text()) if pid_file.exists() else None
    if pid is None:
        print("store-ops: no FerretDB pid (not the local stack): wall times only")
    db = client[db_name]
    try:
        await db["events"].create_index("event_id", unique=True)
        await db["events"].create_index("position", unique=True)
        await db["events"].create_index([("stream_id", 1), ("version", 1)])
        print(f"store-ops: {docs:,} documents a shape, database {db_name}")
        print("| command | server CPU ms/doc | wall ms/doc | vs raw |\n|---|---:|---:|---:|")
        raw: float | None = None
        for name, work in shapes(db, docs, batch):
            cpu, wall = await measure(pid, docs, work)
            raw = cpu if raw is None else raw
            ratio = f"{cpu / raw:.2f}" if cpu is not None and raw else "-"
            shown = "-" if cpu is None else f"{cpu:.3f}"
            print(f"| {name} | {shown} | {wall:.3f} | {ratio} |")
    finally:
        await client.drop_database(db_name)
        await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000, help="documents per command shape")
    parser.add_argument("--batch", type=int, default=10, help="documents per batched command")
    parser.add_argument("--db", default=f"jemput_store_ops_{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()
    asyncio.run(main(args.docs, args.batch, args.db))
