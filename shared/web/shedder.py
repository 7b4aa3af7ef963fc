"""The load shedder: a process handles at most `max_in_flight` requests at once and
answers the next ones 503 `overload` with Retry-After, before reading their bodies, so an
overloaded process spends nothing more on them (ADR 7). Clients resend with the same
`request_id`; nothing is taken twice."""

from __future__ import annotations

from collections.abc import Collection

from prometheus_client import Gauge
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.web.http import HTTP_REQUESTS, unavailable

IN_FLIGHT = Gauge("jemput_http_in_flight", "Requests being handled now", ["service"])


class LoadShedder:
    """ASGI middleware. `max_in_flight` 0 sheds nothing (the gauge still counts); the
    paths in `exempt` (probes, scrapes) are neither counted nor shed: a probe must see an
    overloaded process answer."""

    def __init__(
        self,
        app: ASGIApp,
        service: str,
        max_in_flight: int,
        retry_after: int,
        exempt: Collection[str] = (),
    ) -> None:
        self.app, self.service = app, service
        self.max_in_flight, self.retry_after, self.exempt = (
            max_in_flight,
            retry_after,
            tuple(exempt),
        )
        self.busy = 0  # requests in this process now (one event loop: no lock needed)
        self._gauge = IN_FLIGHT.labels(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        if self.max_in_flight and self.busy >= self.max_in_flight:
            HTTP_REQUESTS.labels(self.service, "shed", 503).inc()
            await unavailable(self.service, "overload", self.retry_after)(scope, receive, send)
            return
        self.busy += 1
        self._gauge.set(self.busy)
        try:
            await self.app(scope, receive, send)
        finally:
            self.busy -= 1
            self._gauge.set(self.busy)
