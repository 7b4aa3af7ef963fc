"""shared/web/rate_limit.py on FerretDB (ADR 11): what an allowed hit costs (one insert) and
what a refused one costs once the client is known full (nothing).
Run from the repository root: `.venv/bin/python docs/bench/rate-limits/slots_latency.py`.
"""

import asyncio
import statistics
import time
import uuid

from pymongo import AsyncMongoClient

from shared.web.rate_limit import MongoSlotStore, RateLimiter


async def timed(limiter, clients):
    latencies = []
    for client in clients:
        started = time.perf_counter()
        await limiter.hit(client)
        latencies.append(time.perf_counter() - started)
    return sorted(latencies)


async def main():
    db = "slots_" + uuid.uuid4().hex[:8]
    mongo = AsyncMongoClient("mongodb://127.0.0.1:27017/")
    limiter = RateLimiter(MongoSlotStore(mongo[db]["rate_limits"]), 30, 60)
    allowed = await timed(limiter, [f"client-{i}" for i in range(200)])
    print(f"allowed: p50={statistics.median(allowed) * 1000:.1f}ms p99={allowed[197] * 1000:.1f}ms")
    await timed(limiter, ["full"] * 30)
    refused = await timed(limiter, ["full"] * 200)
    print(f"refused: p50={statistics.median(refused) * 1000:.3f}ms")
    await mongo.drop_database(db)
    await mongo.close()


asyncio.run(main())
