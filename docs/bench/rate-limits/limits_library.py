"""The `limits` library's MongoDB storage on FerretDB (ADR 11): 300 hits from 8 concurrent
callers against 50 a minute for one key, per strategy.

Not a jemput dependency: run it in a scratch virtualenv with `limits[mongodb]` and `motor`
(its asyncio storage needs Motor), against a running FerretDB:
`python limits_library.py` (creating its TTL indexes fails at once) and
`python limits_library.py --skip-ttl` (pretends they exist, to see each strategy count).
"""

import asyncio
import sys
import time
import uuid

from limits import parse
from limits.aio.storage import MongoDBStorage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)

HITS, CALLERS, URL = 300, 8, "async+mongodb://127.0.0.1:27017/"


async def run(strategy, name):
    storage = MongoDBStorage(URL, database_name="limits_" + uuid.uuid4().hex[:8])
    if "--skip-ttl" in sys.argv:
        storage._MongoDBStorage__indices_created = True
    limiter, item = strategy(storage), parse("50/minute")
    allowed, errors, kinds = 0, 0, set()

    async def caller(n):
        nonlocal allowed, errors
        for _ in range(n):
            try:
                hit = await limiter.hit(item, "client-a")  # before `allowed` is read
                allowed += bool(hit)
            except Exception as exc:
                errors += 1
                kinds.add(f"{type(exc).__name__}: {str(exc)[:100]}")

    started = time.monotonic()
    await asyncio.gather(*(caller(HITS // CALLERS + (i < HITS % CALLERS)) for i in range(CALLERS)))
    took = time.monotonic() - started
    print(f"{name}: allowed={allowed} (limit 50) errors={errors} {took:.2f}s {kinds}")


async def main():
    await run(FixedWindowRateLimiter, "fixed")
    await run(MovingWindowRateLimiter, "moving")
    await run(SlidingWindowCounterRateLimiter, "sliding")


asyncio.run(main())
