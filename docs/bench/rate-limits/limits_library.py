"""Measure `limits` MongoDB storage on the shared FerretDB: 300 hits from 8 concurrent callers, limit 50/min."""
import asyncio, time, uuid, sys
from limits import parse
from limits.aio.storage import MongoDBStorage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, SlidingWindowCounterRateLimiter

async def run(strategy_cls, name):
    db = "pages_limits_" + uuid.uuid4().hex[:8]
    storage = MongoDBStorage("async+mongodb://127.0.0.1:27017/", database_name=db)
    limiter = strategy_cls(storage)
    if "--skip-ttl" in sys.argv: storage._MongoDBStorage__indices_created = True
    item = parse("50/minute")
    allowed = errors = 0
    err_types = set()
    async def caller(n):
        nonlocal allowed, errors
        for _ in range(n):
            try:
                if await limiter.hit(item, "client-a"):
                    allowed += 1
            except Exception as exc:
                errors += 1; err_types.add(f"{type(exc).__name__}: {str(exc)[:120]}")
    t = time.monotonic()
    await asyncio.gather(*(caller(300 // 8 + (1 if i < 300 % 8 else 0)) for i in range(8)))
    print(f"{name}: allowed={allowed} (limit 50) errors={errors} seconds={time.monotonic()-t:.2f} {err_types}")

async def main():
    for cls, name in [(FixedWindowRateLimiter, "fixed"), (MovingWindowRateLimiter, "moving"), (SlidingWindowCounterRateLimiter, "sliding")]:
        await run(cls, name)
asyncio.run(main())
