"""Each request counted by route and status (`jemput_http_requests_total`) and traced as
a server span named by its route, never by its URL (shared/observability/tracing.py)."""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability import tracing
from shared.web.http import HTTP_REQUESTS


class RequestTelemetry:
    """ASGI middleware. The paths in `untraced` (probes, scrapes) are counted but get no
    span of their own. The status is the one sent; a request that raised is counted by
    whatever answers it further out (a 500 from the framework)."""

    def __init__(self, app: ASGIApp, service: str, untraced: Collection[str] = ()) -> None:
        self.app, self.service, self.untraced = app, service, tuple(untraced)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        method: str = scope["method"]
        try:
            if scope.get("path", "").startswith(self.untraced):
                await self.app(scope, receive, noting_status)
                return
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            with tracing.http_span(self.service, method, headers) as span:
                await self.app(scope, receive, noting_status)
                tracing.finish(span, self.service, method, _route(scope), status)
        finally:
            HTTP_REQUESTS.labels(self.service, _route(scope), status).inc()


def _route(scope: Scope) -> str:
    """The route's template (`/v1/status/{code}`), set on the scope by routing."""
    return str(getattr(scope.get("route"), "path", "unmatched"))
