"""Open-loop load: request i of a step leaves at t0 + i/rate, whatever came back before.

Each request is its own task, created at its time; the sender never waits for answers.
Latency is measured from the scheduled time, so a late sender (the generator itself being
slow) shows up as latency rather than hiding it; how late the sender was is kept apart.

Times are wall-clock (`time.time()`), the clock the SMTP sink (another process) stamps
arrivals with. The client is aiohttp's: one keep-alive pool for every intake instance, the
bodies encoded before the step, only the tracking code read from each answer (a regex on
the raw bytes), so the generator stays a small share of the CPU it measures.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiohttp
from yarl import URL

from .forms import Forms

TRACKING_CODE = re.compile(rb'"tracking_code"\s*:\s*"([^"\\]+)"')


@dataclass(slots=True)
class Sent:
    index: int
    request_id: str
    scheduled: float  # time.time()
    lag: float = 0.0  # how late the task started, seconds
    done: float | None = None
    status: int | None = None
    error: str | None = None  # "timeout", an exception class, "bad_answer" or None
    tracking_code: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and bool(self.tracking_code)

    @property
    def latency(self) -> float | None:
        return None if self.done is None else self.done - self.scheduled


def client(connections: int, timeout: float) -> aiohttp.ClientSession:
    """One keep-alive HTTP/1.1 pool for all intake instances (pool waits count as latency,
    and towards the timeout)."""
    connector = aiohttp.TCPConnector(
        limit=connections, limit_per_host=0, keepalive_timeout=60, force_close=False
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
    )


async def post(
    http: aiohttp.ClientSession,
    url: URL,
    body: bytes,
    headers: dict[str, str],
    sent: Sent,
) -> None:
    sent.lag = time.time() - sent.scheduled
    try:
        async with http.post(url, data=body, headers=headers) as response:
            answer = await response.read()
            sent.status = status = response.status
    except TimeoutError:  # aiohttp's timeouts (ServerTimeoutError too) are TimeoutErrors
        sent.error = "timeout"
    except aiohttp.ClientError as exc:
        sent.error = type(exc).__name__
    else:
        if 200 <= status < 300:
            found = TRACKING_CODE.search(answer)
            if found is None:
                sent.error = "bad_answer"
            else:
                sent.tracking_code = found.group(1).decode()
    sent.done = time.time()


async def open_loop(
    http: aiohttp.ClientSession,
    intake_urls: Sequence[str],
    api_key: str,
    forms: Forms,
    first: int,
    count: int,
    rate: float,
    on_tick: Callable[[int], None] | None = None,
) -> list[Sent]:
    """Send `count` requests (indexes first..) at `rate`/s, round-robin over `intake_urls`;
    returns once every one has an answer, an error or has run out of the client's timeout."""
    bodies = [json.dumps(forms.body(first + n)).encode() for n in range(count)]
    headers = {"X-API-Key": api_key, "Content-Type": "application/json"}
    urls = [URL(f"{u.rstrip('/')}/v1/requests") for u in intake_urls]
    sent = [Sent(first + n, forms.request_id(first + n), 0.0) for n in range(count)]
    tasks: list[asyncio.Task[None]] = []
    start = time.time() + 0.05
    next_tick = 1.0
    for n in range(count):
        at = start + n / rate
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[n].scheduled = at
        tasks.append(
            asyncio.create_task(post(http, urls[n % len(urls)], bodies[n], headers, sent[n]))
        )
        if on_tick is not None and at - start >= next_tick:
            on_tick(n + 1)
            next_tick += 1.0
    await asyncio.gather(*tasks)
    return sent


async def drain(pending: Callable[[], int], limit: float, every: float = 0.2) -> tuple[bool, float]:
    """Wait until `pending()` is 0 or `limit` seconds pass: (drained, seconds waited)."""
    started = time.perf_counter()
    while pending() > 0:
        if time.perf_counter() - started > limit:
            return False, time.perf_counter() - started
        await asyncio.sleep(every)
    return True, time.perf_counter() - started
