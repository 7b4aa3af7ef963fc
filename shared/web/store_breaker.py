"""The store breaker: while the store is known to be away, HTTP requests are refused at
once (503 and Retry-After) instead of each waiting out the store's timeouts.

Two things open it: a request that found the store unreachable (for Retry-After seconds),
and a background probe that pings the store every `probe_seconds` and opens it when a
ping fails or takes longer than `probe_timeout_seconds`: a store that stops answering
without closing its connections (frozen, a network partition) costs callers then at most
about a second, not the store's own timeouts. A ping that answers closes it again.
`RefuseWhileOpen` is the ASGI middleware that answers for it; what opens it from a request
is `AnswerFailures` (shared/web/failures.py), which sees the store's errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection

from prometheus_client import Counter, Gauge
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.web.http import HTTP_REQUESTS, unavailable

log = logging.getLogger(__name__)

BREAKER_OPEN = Gauge(
    "jemput_store_breaker_open",
    "1 while requests are refused because the store is away (the store breaker is open)",
    ["service"],
)
BREAKER_OPENED = Counter(
    "jemput_store_breaker_opened_total",
    "Times the store breaker opened, by what opened it: a request or the probe",
    ["service", "by"],
)
PROBE_SECONDS = Gauge(
    "jemput_store_probe_seconds", "How long the last store ping took", ["service"]
)


class StoreBreaker:
    def __init__(self, service: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._service = service
        self._clock = clock
        self._until = 0.0  # opened by a request: until then
        self._probe_failing = False  # opened by the probe: until a ping answers
        BREAKER_OPEN.labels(service).set_function(lambda: int(self.is_open))

    @property
    def is_open(self) -> bool:
        return self._probe_failing or self._clock() < self._until

    def open_for(self, seconds: float) -> None:
        """A request found the store away: refuse the next ones for `seconds`."""
        if not self.is_open:
            BREAKER_OPENED.labels(self._service, "request").inc()
        self._until = max(self._until, self._clock() + seconds)

    def probed(self, answered: bool) -> None:
        if not answered and not self.is_open:
            BREAKER_OPENED.labels(self._service, "probe").inc()
            log.warning("store did not answer the probe: refusing requests until it does")
        elif answered and self._probe_failing:
            log.info("store answers the probe again")
            self._until = 0.0  # a ping answered: the store is back, whoever opened it
        self._probe_failing = not answered


async def probe_store(
    breaker: StoreBreaker,
    ping: Callable[[], Awaitable[object]],
    service: str,
    every_seconds: float,
    timeout_seconds: float,
) -> None:
    """Ping until cancelled; each ping that fails or is late opens the breaker."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        try:
            async with asyncio.timeout(timeout_seconds):
                await ping()
        except Exception as exc:  # any failure: the store cannot serve requests now
            log.debug("store probe failed", extra={"error_type": type(exc).__name__})
            answered = False
        else:
            answered = True
        PROBE_SECONDS.labels(service).set(loop.time() - started)
        breaker.probed(answered)
        await asyncio.sleep(max(0.0, every_seconds - (loop.time() - started)))


@contextlib.asynccontextmanager
async def probing(
    breaker: StoreBreaker,
    ping: Callable[[], Awaitable[object]],
    service: str,
    every_seconds: float,
    timeout_seconds: float,
) -> AsyncIterator[None]:
    """Probe the store in the background while the block runs."""
    task = asyncio.create_task(probe_store(breaker, ping, service, every_seconds, timeout_seconds))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class RefuseWhileOpen:
    """ASGI middleware: while the breaker is open, 503 `store_down` with Retry-After at
    once, before the body is read; the paths in `exempt` (probes, scrapes) always pass."""

    def __init__(
        self,
        app: ASGIApp,
        breaker: StoreBreaker,
        service: str,
        retry_after: int,
        exempt: Collection[str] = (),
    ) -> None:
        self.app, self.breaker, self.service = app, breaker, service
        self.retry_after, self.exempt = retry_after, tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exempt = scope["type"] != "http" or scope.get("path", "").startswith(self.exempt)
        if exempt or not self.breaker.is_open:
            await self.app(scope, receive, send)
            return
        HTTP_REQUESTS.labels(self.service, "store_down", 503).inc()
        await unavailable(self.service, "store_down", self.retry_after)(scope, receive, send)
