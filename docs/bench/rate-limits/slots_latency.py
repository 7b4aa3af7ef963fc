import asyncio, time, uuid, statistics
from pymongo import AsyncMongoClient
from shared.rate_limit import MongoSlotStore, RateLimiter
async def main():
    db = "pages_lat_" + uuid.uuid4().hex[:8]
    c = AsyncMongoClient("mongodb://127.0.0.1:27017/")
    lim = RateLimiter(MongoSlotStore(c[db]["rate_limits"]), 30, 60)
    lat = []
    for i in range(200):  # 200 clients, first hit each: one insert
        t = time.perf_counter(); await lim.hit(f"client-{i}"); lat.append(time.perf_counter() - t)
    lat.sort(); print(f"allowed hit: p50={statistics.median(lat)*1000:.1f}ms p99={lat[197]*1000:.1f}ms")
    for _ in range(30): await lim.hit("x")
    lat = []
    for _ in range(200):
        t = time.perf_counter(); await lim.hit("x"); lat.append(time.perf_counter() - t)
    lat.sort(); print(f"refused hit: p50={statistics.median(lat)*1000:.3f}ms")
    await c.drop_database(db); await c.close()
asyncio.run(main())
