"""What an exception out of a handler becomes: never a bare 500 for what is not a bug.

- the store unreachable or late: 503 `store_down` with Retry-After, and the store breaker
  opens for that long (the caller's retry will do; the next callers hear "not now" at once);
- a `ConcurrencyError` (many writers on one stream at once): 503 `overload`;
- anything else: a clean 500 `internal error`.
Only the exception's type is logged: messages may hold personal data."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi.responses import JSONResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.eventstore.errors import ConcurrencyError, store_unavailable
from shared.web.http import unavailable

log = logging.getLogger(__name__)


class AnswerFailures:
    """ASGI middleware; `store_down(seconds)` is told when the store was found away (the
    store breaker's `open_for`). An exception after the answer began is re-raised: the
    answer cannot be replaced any more."""

    def __init__(
        self,
        app: ASGIApp,
        service: str,
        retry_after: int,
        store_down: Callable[[float], None],
    ) -> None:
        self.app, self.service = app, service
        self.retry_after, self.store_down = retry_after, store_down

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_start)
        except Exception as exc:
            if started:
                raise
            await self.answer(exc)(scope, receive, send)

    def answer(self, exc: Exception) -> Response:
        kind = {"error_type": type(exc).__name__}
        if store_unavailable(exc):
            log.warning("store unavailable", extra=kind)
            self.store_down(self.retry_after)
            return unavailable(self.service, "store_down", self.retry_after)
        if isinstance(exc, ConcurrencyError):
            log.warning("contention", extra=kind)
            return unavailable(self.service, "overload", self.retry_after)
        log.error("unhandled error", extra=kind)
        return JSONResponse({"detail": "internal error"}, 500)
