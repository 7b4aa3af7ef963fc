"""Measure shared/rate_limit.py on the shared FerretDB: 300 hits, 8 concurrent callers split
over two limiter instances (two clients = two intake processes), limit 50 a minute."""
import asyncio, time, uuid, statistics
from pymongo import AsyncMongoClient
from shared.rate_limit import MongoSlotStore, RateLimiter

async def main():
    db = "pages_slots_" + uuid.uuid4().hex[:8]
    clients = [AsyncMongoClient("mongodb://127.0.0.1:27017/") for _ in range(2)]
    limiters = [RateLimiter(MongoSlotStore(c[db]["rate_limits"]), 50, 60) for c in clients]
    allowed = 0; lat = []
    async def caller(i, n):
        nonlocal allowed
        for _ in range(n):
            t = time.perf_counter()
            v = await limiters[i % 2].hit("client-a")
            lat.append(time.perf_counter() - t)
            allowed += v.allowed
    t = time.monotonic()
    await asyncio.gather(*(caller(i, 300 // 8 + (1 if i < 300 % 8 else 0)) for i in range(8)))
    took = time.monotonic() - t
    docs = await clients[0][db]["rate_limits"].count_documents({})
    lat.sort()
    print(f"allowed={allowed} (limit 50) slot documents={docs} seconds={took:.2f} "
          f"p50={statistics.median(lat)*1000:.1f}ms p99={lat[int(len(lat)*0.99)]*1000:.1f}ms")
    await clients[0].drop_database(db)
    for c in clients: await c.close()
asyncio.run(main())
