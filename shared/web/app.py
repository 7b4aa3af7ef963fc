"""One app for every jemput service: `service_app(settings, name, ...)`.

What every service shares is here, once: the FastAPI app (title, no built-in telemetry),
the lifespan's common parts (the service's own set-up, then the broker started, the
service's loops while it serves, and on the way out the store flushed before the broker
stops and the database client closed), the store probe, readiness, health and metrics,
the API-key table, the error bodies and the middleware. A service's bootstrap adds only
what is its own: its routers, its dependencies, its consumers.

The middleware, outermost first (each an ASGI class in its own module):
`SecurityHeaders` on every answer (page_headers.py) → `LoadShedder` (shedder.py) →
`RefuseWhileOpen`, the store breaker (store_breaker.py) → `RequestTelemetry`
(telemetry.py) → `AnswerFailures` (failures.py) → `BodyGuard` (body_guard.py) → routes.
The shedder and the breaker refuse before a body is read; the body guard refuses before a
handler runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pymongo import AsyncMongoClient
from starlette.exceptions import HTTPException

from shared.eventstore.store import EventStore
from shared.runtime import kafka_answers
from shared.settings import ServiceSettings
from shared.web.api_errors import FieldError, InvalidRequest
from shared.web.body_guard import BodyGuard
from shared.web.failures import AnswerFailures
from shared.web.http import FASTAPI_OFF, ApiKeys, allowed_methods, field_errors
from shared.web.page_headers import SecurityHeaders
from shared.web.shedder import LoadShedder
from shared.web.store_breaker import RefuseWhileOpen, StoreBreaker, probing
from shared.web.telemetry import RequestTelemetry

log = logging.getLogger(__name__)
# A consumer caught mid-rebalance can wait on the group for ever while it stops; the
# process must still exit (and close its database client) in time for the next one.
BROKER_STOP_SECONDS = 15.0
PROBES = ("/health/", "/metrics")  # never shed nor refused: probes must see the process
Check = Callable[[], Awaitable[Any]]
# The service's own part of the lifespan: set up (include its routers in the broker,
# before it starts), yield the event store to flush on the way out (or None), clean up.
SetUp = Callable[[FastAPI], AbstractAsyncContextManager[EventStore | None]]
# What runs while the app serves, with the broker connected (the relay's loop).
Serving = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def service_app(
    settings: ServiceSettings,
    name: str,
    client: AsyncMongoClient[dict[str, Any]],
    *,
    broker: KafkaBroker | None = None,
    set_up: SetUp | None = None,
    serving: Serving | None = None,
    consumes: bool = True,
    without: Collection[str] = (),
    pages: Collection[str] = (),
    description: str = "",
) -> FastAPI:
    """The app of the service `name` (title `jemput <name>`). `broker`: connected while
    the app runs, its subscribers started if it `consumes`; readiness then asks it too,
    unless "kafka" is in `without` (reported as degraded, the service still ready).
    `pages`: path prefixes of pages' own files, which need no store: served while the
    store breaker refuses everything else (an app must load, and install its offline
    copy, on a moment's store trouble)."""
    checks: dict[str, Check] = {"mongo": lambda: client.admin.command("ping")}
    if broker is not None:
        checks["kafka"] = lambda: kafka_answers(broker)
    breaker = StoreBreaker(name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(client.close)  # last: everything above may use it
            store = await stack.enter_async_context(set_up(app)) if set_up else None
            if broker is not None:
                await broker.connect()
                stack.push_async_callback(_stop_within, broker, name, BROKER_STOP_SECONDS)
                if consumes:
                    await broker.start()
            if store is not None:  # what was stored reaches Kafka before the broker stops
                stack.push_async_callback(store.flush)
            if serving is not None:
                await stack.enter_async_context(serving(app))
            if settings.store_probe_seconds > 0:
                ping = checks["mongo"]
                every, timeout = settings.store_probe_seconds, settings.store_probe_timeout_seconds
                await stack.enter_async_context(probing(breaker, ping, name, every, timeout))
            yield

    app = FastAPI(
        telemetry=FASTAPI_OFF,
        title=f"jemput {name}",
        version="1",
        description=description,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.api_keys = ApiKeys(settings.api_keys)
    app.state.store_breaker = breaker
    app.exception_handler(RequestValidationError)(_invalid)
    app.exception_handler(HTTPException)(_refused)
    _add_health(
        app,
        {k: c for k, c in checks.items() if k not in without},
        {k: c for k, c in checks.items() if k in without},
    )
    if settings.metrics_port is None:  # else served on a port of their own (runtime.serve)
        app.get("/metrics", include_in_schema=False)(_metrics)
    # add_middleware puts each outside the ones before it: innermost first.
    retry_after = settings.retry_after_seconds
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        AnswerFailures, service=name, retry_after=retry_after, store_down=breaker.open_for
    )
    app.add_middleware(RequestTelemetry, service=name, untraced=PROBES)
    app.add_middleware(
        RefuseWhileOpen,
        breaker=breaker,
        service=name,
        retry_after=retry_after,
        exempt=(*PROBES, *pages),
    )
    app.add_middleware(
        LoadShedder,
        service=name,
        max_in_flight=settings.max_in_flight_requests,
        retry_after=retry_after,
        exempt=PROBES,
    )
    app.add_middleware(SecurityHeaders)  # on every answer, the pages' above all
    return app


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    body = InvalidRequest(errors=[FieldError(**e) for e in field_errors(exc)])
    return JSONResponse(body.model_dump(), 422)


async def _refused(request: Request, exc: Exception) -> Response:
    """FastAPI's own answer, but a 405's `Allow` names every method of the path: Starlette
    names only those of the first route that matched it (GET and POST /v1/devices are two
    routes)."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request))
    return await http_exception_handler(
        request, HTTPException(exc.status_code, exc.detail, headers)
    )


async def _metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _add_health(app: FastAPI, required: dict[str, Check], reported: dict[str, Check]) -> None:
    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        failed = await _failing(required)
        body: dict[str, Any] = {"status": "ok" if not failed else "unavailable", "failed": failed}
        # What the service can do without (intake takes requests while Kafka is away: the
        # log is the truth and the relay catches up) is reported, and leaves it ready.
        degraded = await _failing(reported)
        if degraded:
            body["degraded"] = degraded
        return JSONResponse(body, 200 if not failed else 503)


async def _failing(checks: dict[str, Check]) -> list[str]:
    failed = []
    for name, check in checks.items():
        try:
            await check()
        except Exception:  # any failure: the dependency cannot serve now
            failed.append(name)
    return failed


async def _stop_within(broker: KafkaBroker, name: str, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await broker.stop()
    except TimeoutError:
        log.warning("%s: Kafka did not stop within %.0f s; leaving it", name, seconds)
