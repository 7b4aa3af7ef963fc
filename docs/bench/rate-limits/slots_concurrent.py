"""shared/web/rate_limit.py on FerretDB (ADR 11): 300 hits, 8 concurrent callers split over two
limiters with their own clients (two processes' worth), limit 50 a minute.
Run from the repository root: `.venv/bin/python docs/bench/rate-limits/slots_concurrent.py`.
"""

import asyncio
import statistics
import time
import uuid

from pymongo import AsyncMongoClient

from shared.web.rate_limit import MongoSlotStore, RateLimiter

HITS, CALLERS, URL = 300, 8, "mongodb://127.0.0.1:27017/"


async def main():
    db = "slots_" + uuid.uuid4().hex[:8]
    clients = [AsyncMongoClient(URL) for _ in range(2)]
    limiters = [RateLimiter(MongoSlotStore(c[db]["rate_limits"]), 50, 60) for c in clients]
    allowed, latencies = 0, []

    async def caller(i, n):
        nonlocal allowed
        for _ in range(n):
            started = time.perf_counter()
            verdict = await limiters[i % 2].hit("client-a")  # before `allowed` is read
            allowed += verdict.allowed
            latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    await asyncio.gather(
        *(caller(i, HITS // CALLERS + (i < HITS % CALLERS)) for i in range(CALLERS))
    )
    took = time.monotonic() - started
    stored = await clients[0][db]["rate_limits"].count_documents({})
    latencies.sort()
    print(
        f"allowed={allowed} (limit 50) slot documents={stored} {took:.2f}s "
        f"p50={statistics.median(latencies) * 1000:.1f}ms "
        f"p99={latencies[int(len(latencies) * 0.99)] * 1000:.1f}ms"
    )
    await clients[0].drop_database(db)
    for client in clients:
        await client.close()


asyncio.run(main())
