"""Open-loop load: request i of a step leaves at t0 + i/rate, whatever came back before.

Each request is its own task, created at its time; the sender never waits for answers.
Latency is measured from the scheduled time, so a late sender (the generator itself being
slow) shows up as latency rather than hiding it; how late the sender was is kept apart.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from .forms import Forms


@dataclass
class Sent:
    index: int
    request_id: str
    scheduled: float  # perf_counter
    lag: float = 0.0  # how late the task started, seconds
    done: float | None = None
    status: int | None = None
    error: str | None = None  # "timeout", an exception class, or None
    tracking_code: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and bool(self.tracking_code)

    @property
    def latency(self) -> float | None:
        return None if self.done is None else self.done - self.scheduled


def client(connections: int, timeout: float) -> httpx.AsyncClient:
    """One keep-alive HTTP/1.1 pool for all intake instances (pool waits count as latency)."""
    return httpx.AsyncClient(
        http1=True,
        http2=False,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=60,
        ),
    )


async def _post(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    sent: Sent,
    limit: float,
) -> None:
    sent.lag = time.perf_counter() - sent.scheduled
    try:
        async with asyncio.timeout(limit):
            response = await http.post(url, content=body, headers=headers)
    except TimeoutError:
        sent.error = "timeout"
    except httpx.TimeoutException:
        sent.error = "timeout"
    except httpx.HTTPError as exc:
        sent.error = type(exc).__name__
    else:
        sent.status = response.status_code
        if response.is_success:
            try:
                sent.tracking_code = str(response.json()["tracking_code"])
            except (ValueError, KeyError, TypeError):
                sent.error = "bad_answer"
    sent.done = time.perf_counter()


async def open_loop(
    http: httpx.AsyncClient,
    intake_urls: Sequence[str],
    api_key: str,
    forms: Forms,
    first: int,
    count: int,
    rate: float,
    limit: float,
    on_tick: Callable[[int], None] | None = None,
) -> list[Sent]:
    """Send `count` requests (indexes first..) at `rate`/s, round-robin over `intake_urls`;
    returns once every one has an answer, an error or has run out of `limit` seconds."""
    bodies = [json.dumps(forms.body(first + n)).encode() for n in range(count)]
    headers = {"X-API-Key": api_key, "Content-Type": "application/json"}
    urls = [f"{u.rstrip('/')}/v1/requests" for u in intake_urls]
    sent = [Sent(first + n, forms.request_id(first + n), 0.0) for n in range(count)]
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter() + 0.05
    next_tick = 1.0
    for n in range(count):
        at = start + n / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[n].scheduled = at
        tasks.append(
            asyncio.create_task(
                _post(http, urls[n % len(urls)], bodies[n], headers, sent[n], limit)
            )
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
